"""KPI API: definitions, figures per group within the caller's scope, drill-down, training."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from aftersales.kpi import actions
from aftersales.orders import actions as order_actions


def _two_stations(new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]) -> Any:
    done = walk(new_order(), "complete")
    north = new_order(unit=data["u2"], customer=data["c2"])
    for action, who, kw in (
        ("dispatch", "dispatcher", {"station": data["s2"]}),
        ("assign", "dispatcher", {"technician": people["tech_north"]}),
        ("accept", "tech_north", {}),
        ("depart", "tech_north", {}),
        ("arrive", "tech_north", {}),
    ):
        north = order_actions.order_transition(actor=people[who], order=north, action=action, **kw)
    actions.kpi_refresh(company_id=data["company"].pk)
    return done


def test_definitions_list_every_kpi_with_version(api: Any, people: dict[str, Any]) -> None:
    got = api(people["department_head"]).get("/kpis")
    assert got.status_code == 200
    codes = {d["code"]: d for d in got.json()}
    assert codes["first_time_fix"]["version"] == 1
    assert codes["first_time_fix"]["reopen_days"] == 30
    assert codes["mttr_working"]["clock"] == "working"


def test_agent_may_not_read_kpis(api: Any, people: dict[str, Any]) -> None:
    assert api(people["agent"]).get("/kpis").status_code == 403


def test_figures_grouped_by_station_with_labels(
    api: Any, new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    _two_stations(new_order, walk, people, data)
    today = timezone.localdate().isoformat()
    got = api(people["department_head"]).get(
        f"/kpis/timely_response?period_from={today}&period_to={today}&group_by=station"
    )
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["version"] == 1
    rows = {r["label"]: r for r in body["rows"]}
    assert set(rows) == {"上海一站", "北京一站"}
    assert rows["上海一站"]["denominator"] == "1"
    assert rows["上海一站"]["target"] == "95"


def test_station_manager_sees_only_their_station(
    api: Any, new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    _two_stations(new_order, walk, people, data)
    client = api(people["station_manager"])
    got = client.get("/kpis/timely_response?group_by=station")
    assert [r["key"] for r in got.json()["rows"]] == [data["s1"].pk]
    other = client.get(f"/kpis/timely_response?station={data['s2'].pk}")
    assert other.json()["rows"][0]["denominator"] == "0"


def test_drilldown_lists_the_orders(
    api: Any, new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    done = _two_stations(new_order, walk, people, data)
    got = api(people["department_head"]).get("/kpis/first_time_fix/orders?part=numerator")
    assert got.status_code == 200
    assert [(r["order_id"], r["order_number"]) for r in got.json()] == [(done.pk, done.number)]


def test_bad_grouping_and_unknown_kpi_are_4xx(api: Any, people: dict[str, Any]) -> None:
    client = api(people["department_head"])
    assert client.get("/kpis/nope").status_code == 404
    bad = client.get("/kpis/timely_response?group_by=colour")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid"


def test_training_record_by_station_manager(
    api: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    client = api(people["station_manager"])
    today = timezone.localdate().isoformat()
    body = {
        "technician_id": people["tech"].pk,
        "course": "变频空调维修",
        "hours": "16",
        "date": today,
    }
    got = client.post("/training-records", body)
    assert got.status_code == 201, got.content
    other = {**body, "technician_id": people["tech_north"].pk}
    assert client.post("/training-records", other).status_code == 422
    assert api(people["tech"]).post("/training-records", body).status_code == 403
    actions.kpi_refresh(company_id=data["company"].pk)
    fig = api(people["tech"]).get("/kpis/training_hours").json()
    assert fig["rows"][0]["numerator"] == "16"
    assert fig["rows"][0]["value"] == "16.00"


def test_assessment_run_over_the_api(
    api: Any, new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    import datetime as dt

    from aftersales.kpi.assessment import DEFAULT_SCHEME

    _two_stations(new_order, walk, people, data)
    head = people["department_head"]
    scheme = actions.assessment_scheme_save(
        actor=head, name="月度", period_kind="month", definition=DEFAULT_SCHEME
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    body = {
        "scheme_id": scheme.pk,
        "period_from": (yesterday - dt.timedelta(days=30)).isoformat(),
        "period_to": yesterday.isoformat(),
    }
    client = api(head)
    made = client.post("/assessment-runs", body)
    assert made.status_code == 201, made.content
    run_id = made.json()["id"]
    assert client.post("/assessment-runs", body).json()["id"] == run_id
    results = client.get(f"/assessment-runs/{run_id}/results").json()
    assert {r["subject_name"] for r in results} == {"上海一站", "北京一站"}
    one = results[0]["id"]
    got = client.post(f"/assessment-results/{one}/adjustments", {"points": "-3", "reason": ""})
    assert got.status_code == 422
    got = client.post(f"/assessment-results/{one}/adjustments", {"points": "-3", "reason": "迟报"})
    assert got.status_code == 200 and got.json()["lines"][-1]["points"] == "-3.00"
    mine = api(people["station_manager"]).get(f"/assessment-runs/{run_id}/results").json()
    assert [r["subject_name"] for r in mine] == ["上海一站"]
    assert api(people["station_manager"]).post("/assessment-runs", body).status_code == 403
    moved = client.post(f"/assessment-runs/{run_id}/moves", {"verb": "approve"})
    assert moved.status_code == 409
    assert client.post(f"/assessment-runs/{run_id}/moves", {"verb": "review"}).status_code == 200
    assert (
        client.post(f"/assessment-runs/{run_id}/moves", {"verb": "approve"}).json()["status"]
        == "approved"
    )
    from aftersales.kpi.selectors import approved_results

    settled = approved_results(
        data["company"].pk, yesterday - dt.timedelta(days=30), yesterday, "station"
    )
    assert len(settled) == 2
