"""KPI pages through the test client: dashboard, detail, drill-down, scorecards, exports,
and scope (a station manager sees only their station)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from aftersales.kpi import actions
from aftersales.orders import actions as order_actions


@pytest.fixture
def history(new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]) -> Any:
    done = walk(new_order(), "follow_up")
    north = new_order(unit=data["u2"], customer=data["c2"])
    for action, who, kw in (
        ("dispatch", "dispatcher", {"station": data["s2"]}),
        ("assign", "dispatcher", {"technician": people["tech_north"]}),
        ("accept", "tech_north", {}),
    ):
        north = order_actions.order_transition(actor=people[who], order=north, action=action, **kw)
    actions.kpi_refresh(company_id=data["company"].pk)
    return {"done": done, "north": north}


def test_dashboard_shows_figures_charts_and_tables(
    login: Any, people: dict[str, Any], history: Any
) -> None:
    page = login(people["department_head"]).get("/kpi/")
    assert page.status_code == 200
    html = page.content.decode()
    for chart in ("trend", "sla", "backlog", "satisfaction", "complaints", "pareto-model"):
        assert f'data-testid="chart-{chart}"' in html
    assert 'id="kpi-charts"' in html
    assert "<script>" not in html.replace('<script type="application/json"', "")
    assert "上海一站" in html and "北京一站" in html


def test_station_manager_dashboard_shows_only_their_station(
    login: Any, people: dict[str, Any], history: Any
) -> None:
    html = login(people["station_manager"]).get("/kpi/").content.decode()
    assert "上海一站" in html
    assert "北京一站" not in html


def test_drilldown_lists_the_orders_behind_first_time_fix(
    login: Any, people: dict[str, Any], history: Any, data: dict[str, Any]
) -> None:
    client = login(people["department_head"])
    page = client.get(f"/kpi/first_time_fix/orders/?part=numerator&station={data['s1'].pk}")
    assert page.status_code == 200
    assert history["done"].number in page.content.decode()
    other = client.get(f"/kpi/first_time_fix/orders/?part=numerator&station={data['s2'].pk}")
    assert history["done"].number not in other.content.decode()


def test_exports_are_xlsx_with_the_table(login: Any, people: dict[str, Any], history: Any) -> None:
    client = login(people["department_head"])
    got = client.get("/kpi/export/sla/")
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 5  # header + four targets
    drill = client.get("/kpi/first_time_fix/orders/?part=numerator&format=xlsx")
    rows = list(load_workbook(io.BytesIO(drill.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[1][1] == history["done"].number
    detail = client.get("/kpi/timely_response/?group_by=technician&format=xlsx")
    assert detail.status_code == 200


@pytest.mark.parametrize("group_by", ["station", "technician", "region", "model", "month"])
def test_kpi_detail_by_each_group(
    login: Any, people: dict[str, Any], history: Any, group_by: str
) -> None:
    page = login(people["department_head"]).get(f"/kpi/timely_response/?group_by={group_by}")
    assert page.status_code == 200


def test_scorecards_and_their_scope(
    login: Any, people: dict[str, Any], history: Any, data: dict[str, Any]
) -> None:
    head = login(people["department_head"])
    assert head.get(f"/kpi/stations/{data['s1'].pk}/").status_code == 200
    assert head.get(f"/kpi/technicians/{people['tech'].pk}/").status_code == 200
    manager = login(people["station_manager"])
    assert manager.get(f"/kpi/stations/{data['s2'].pk}/").status_code == 404
    assert manager.get(f"/kpi/technicians/{people['tech_north'].pk}/").status_code == 404
    tech = login(people["tech"])
    assert tech.get(f"/kpi/technicians/{people['tech'].pk}/").status_code == 200
    assert tech.get(f"/kpi/technicians/{people['tech_b'].pk}/").status_code == 404


def test_agent_may_not_open_the_dashboard(login: Any, people: dict[str, Any]) -> None:
    assert login(people["agent"]).get("/kpi/").status_code == 403


def test_assessment_pages_score_adjust_review_approve(
    login: Any, people: dict[str, Any], history: Any, data: dict[str, Any]
) -> None:
    import datetime as dt
    import json

    from django.utils import timezone

    from aftersales.kpi.assessment import DEFAULT_SCHEME
    from aftersales.kpi.models import AssessmentRun, AssessmentScheme

    head = login(people["department_head"])
    assert head.get("/kpi/assessments/").status_code == 200
    got = head.post(
        "/kpi/assessments/",
        {
            "op": "scheme",
            "name": "网点月度",
            "period_kind": "month",
            "definition": json.dumps(DEFAULT_SCHEME),
        },
    )
    assert got.status_code == 302
    scheme = AssessmentScheme.objects.get()
    bad = head.post("/kpi/assessments/", {"op": "scheme", "name": "x", "definition": "[1"})
    assert bad.status_code == 302 and AssessmentScheme.objects.count() == 1
    end = timezone.localdate() - dt.timedelta(days=1)
    got = head.post(
        "/kpi/assessments/",
        {"scheme": scheme.pk, "period_from": (end - dt.timedelta(days=30)), "period_to": end},
    )
    run = AssessmentRun.objects.get()
    assert got.url == f"/kpi/assessments/{run.pk}/"
    result = run.results.get(subject_id=data["s1"].pk)
    head.post(got.url, {"op": "adjust", "result": result.pk, "points": "-2", "reason": "资料不全"})
    page = head.get(got.url).content.decode()
    assert "资料不全" in page and "-2.00" in page
    manager = login(people["station_manager"])
    assert manager.get(got.url).status_code == 200
    assert manager.post(got.url, {"op": "review"}).status_code == 302
    assert AssessmentRun.objects.get().status == "draft"
    head.post(got.url, {"op": "review"})
    head.post(got.url, {"op": "approve"})
    assert AssessmentRun.objects.get().status == "approved"
    assert head.get(got.url + "?format=xlsx").status_code == 200


def test_training_page_records_hours(login: Any, people: dict[str, Any]) -> None:
    manager = login(people["station_manager"])
    got = manager.post(
        "/kpi/training/",
        {"technician": people["tech"].pk, "course": "安全规范", "hours": "8", "date": "2026-01-05"},
    )
    assert got.status_code == 302
    page = manager.get("/kpi/training/").content.decode()
    assert "安全规范" in page
    assert login(people["tech"]).post("/kpi/training/", {}).status_code == 403


def test_self_assessment_prefills_from_the_system_and_saves(
    login: Any, people: dict[str, Any], history: Any
) -> None:
    from aftersales.kpi.models import SelfAssessment

    head = login(people["department_head"])
    page = head.get("/kpi/gbt27922/").content.decode()
    assert "投诉处理" in page and 'data-testid="self-score"' in page
    form = {f"answer-{c}": "yes" for c in ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")}
    form.update({"answer-1.8": "partly", "evidence-1.8": "年度培训计划", "answer-2.7": "na"})
    assert head.post("/kpi/gbt27922/", form).status_code == 302
    saved = SelfAssessment.objects.get()
    assert saved.answers["1.8"] == {"answer": "partly", "evidence": "年度培训计划"}
    assert str(saved.score) == "39.47"  # (35 + 2.5) × 100 / 95
    bad = head.post("/kpi/gbt27922/", {"answer-1.1": "maybe"})
    assert bad.status_code == 302 and SelfAssessment.objects.count() == 1
    assert login(people["finance"]).post("/kpi/gbt27922/", form).status_code == 403


def test_self_assessment_menu_permission_and_page_agree(
    login: Any, people: dict[str, Any], history: Any
) -> None:
    """A station manager is offered their station's self-assessment (its own figures,
    read-only); a technician is not offered it and is refused; the company's saved one and
    its PDF stay the company's."""
    from aftersales.kpi.selectors import self_assessment_scope
    from aftersales.web.navigation import menu_for

    def offered(user: Any) -> bool:
        return any(e["name"] == "self-assessment" for g in menu_for(user) for e in g["entries"])

    manager, tech = people["station_manager"], people["tech"]
    assert self_assessment_scope(people["department_head"]) == "company"
    assert self_assessment_scope(manager) == "station"
    assert self_assessment_scope(tech) is None
    assert offered(people["department_head"]) and offered(manager) and not offered(tech)
    assert login(tech).get("/kpi/gbt27922/").status_code == 403
    page = login(manager).get("/kpi/gbt27922/")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="self-station"' in text
    assert manager.station.name in text and 'data-testid="self-save"' not in text
    assert 'data-testid="self-pdf"' not in text and "投诉处理" in text
    form = {"answer-1.1": "yes"}
    assert login(manager).post("/kpi/gbt27922/", form).status_code == 403
    assert login(manager).get("/kpi/gbt27922/pdf/").status_code in (403, 404)


def test_monthly_report_to_subscribers_once(
    login: Any, people: dict[str, Any], history: Any
) -> None:
    import datetime as dt

    from aftersales.kpi.actions import kpi_monthly_reports
    from aftersales.notifications.models import OutboxMessage

    manager = login(people["station_manager"])
    assert manager.post("/kpi/subscription/", {"channel": "in_app"}).status_code == 302
    assert 'value="in_app" selected' in manager.get("/kpi/").content.decode()
    next_month = (timezone_today().replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    assert kpi_monthly_reports(today=next_month) == 1
    assert kpi_monthly_reports(today=next_month) == 0
    message = OutboxMessage.objects.get(event="kpi_monthly")
    assert message.recipient_id == people["station_manager"].pk
    assert "一次修复率" in message.body
    manager.post("/kpi/subscription/", {"channel": "off"})
    assert kpi_monthly_reports(today=next_month + dt.timedelta(days=31)) == 0


def timezone_today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


def test_home_figures_tag_shows_the_users_own_month(
    rf: Any, people: dict[str, Any], history: Any
) -> None:
    from django.template import Context, Template

    tpl = Template("{% load kpi_tags %}{% kpi_home_figures %}")
    request = rf.get("/")
    request.user = people["tech"]
    html = tpl.render(Context({"request": request}))
    assert 'data-testid="home-figures"' in html and "100.00 %" in html
    request.user = people["agent"]
    assert "home-figures" not in tpl.render(Context({"request": request}))


def test_a_breakdown_adds_up_to_the_headline_with_the_orders_of_no_station(
    login: Any, people: dict[str, Any], history: Any, new_order: Any, data: dict[str, Any]
) -> None:
    from aftersales.core import clock
    from aftersales.kpi import dashboards

    with clock.at(clock.now() - dt.timedelta(days=3)):
        new_order()  # taken three days ago, never sent to a station: its response is late
    actions.kpi_refresh(company_id=data["company"].pk)
    head = people["department_head"]
    (start, end), _filters = _period_and_filters()
    query = f"period_from={start}&period_to={end}&group_by=station"
    page = login(head).get(f"/kpi/timely_response/?{query}").content.decode()
    assert "未派网点" in page
    total = dashboards.headline(head, *_period_and_filters(), ["timely_response"])[0]
    chart = dashboards.by_group(head, "timely_response", *_period_and_filters(), "station")
    assert chart.keys[-1] is None
    assert sum(row[2] for row in chart.rows) == total["denominator"] > 0
    assert sum(row[1] for row in chart.rows) == total["numerator"]


def _period_and_filters() -> tuple[Any, dict[str, Any]]:
    from aftersales.core import clock

    today = clock.today()
    keys = ("station", "region", "technician", "category", "model", "fault_code", "service_type")
    return (today - dt.timedelta(days=10), today), dict.fromkeys(keys)
