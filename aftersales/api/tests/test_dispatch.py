"""/api/v1 dispatch: slots and booking, candidates, moves, day plans, capacity; scope and
errors. Runs on real time: the day planned is a few days ahead and the technicians have a
shift that day whatever the calendar says."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.core.models import AuditEntry
from aftersales.dispatch.models import Shift, Territory, Visit
from aftersales.dispatch.tests.fixtures import TZ, spot
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(soon):
    return soon


def _at(day, hour):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def test_slots_are_offered_and_one_is_booked(api, crew, customer_order, day):
    order = customer_order(spot(2, 1))
    client = api(crew["people"]["agent"])

    slots = client.get(f"/orders/{order.pk}/slots?first={day.isoformat()}&days=1")
    assert slots.status_code == 200, slots.json()
    offered = slots.json()
    assert offered and {s["day"] for s in offered} == {day.isoformat()}
    first = offered[0]

    booked = client.post(
        f"/orders/{order.pk}/appointment", {"start": first["start"], "end": first["end"]}
    )
    assert booked.status_code == 200, booked.json()
    assert booked.json()["technician_id"] in (crew["skilled"].pk, crew["plain"].pk)
    order.refresh_from_db()
    assert order.appointment_start == dt.datetime.fromisoformat(first["start"])
    assert OrderEvent.objects.filter(order=order, kind="appointment", action="book").count() == 1


def test_a_window_that_cannot_be_served_is_409_in_the_users_language(
    api, crew, customer_order, day
):
    order = customer_order(spot(2, 1))
    response = api(crew["people"]["agent"]).post(
        f"/orders/{order.pk}/appointment",
        {"start": _at(day, 22).isoformat(), "end": _at(day, 23).isoformat()},  # after hours
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert response.json()["message"] == "该时段已无法安排，请另选时段。"
    assert not Visit.objects.filter(order=order).exists()


def test_candidates_say_who_is_qualified_and_why_not(api, crew, customer_order, day):
    order = customer_order(spot(1), required_skills={"ac": 2})
    response = api(crew["people"]["dispatcher"]).get(
        f"/orders/{order.pk}/candidates?day={day.isoformat()}"
    )
    assert response.status_code == 200
    by_id = {c["technician_id"]: c for c in response.json()}
    assert by_id[crew["skilled"].pk]["qualified"] is True
    assert by_id[crew["skilled"].pk]["added_minutes"] is not None
    assert (by_id[crew["plain"].pk]["qualified"], by_id[crew["plain"].pk]["refusal"]) == (
        False,
        "skill",
    )
    assert response.json()[0]["technician_id"] == crew["skilled"].pk  # best first


def test_agents_cannot_read_candidates_or_plan(api, crew, customer_order, day):
    order = customer_order(spot(1))
    client = api(crew["people"]["agent"])
    assert client.get(f"/orders/{order.pk}/candidates").status_code == 403
    response = client.post(
        "/dispatch/plans", {"station_id": crew["station"].pk, "day": day.isoformat()}
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_propose_commit_and_the_visits_list(api, crew, customer_order, day):
    orders = [customer_order(spot(k, 1)) for k in range(1, 5)]
    client = api(crew["people"]["dispatcher"])

    proposed = client.post(
        "/dispatch/plans",
        {"station_id": crew["station"].pk, "day": day.isoformat(), "seconds": 0.3},
    )
    assert proposed.status_code == 201, proposed.json()
    plan = proposed.json()
    assert plan["status"] == "proposed" and plan["result"]["metrics"]["served"] == 4
    assert client.get(f"/dispatch/plans/{plan['id']}").json()["status"] == "proposed"

    committed = client.post(f"/dispatch/plans/{plan['id']}/commit")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    again = client.post(f"/dispatch/plans/{plan['id']}/commit")
    assert again.status_code == 409 and again.json()["code"] == "plan_not_proposed"

    visits = client.get(f"/dispatch/visits?station={crew['station'].pk}&day={day.isoformat()}")
    assert sorted(v["order_id"] for v in visits.json()) == sorted(o.pk for o in orders)
    for route in plan["result"]["routes"]:
        mine = [v for v in visits.json() if v["technician_id"] == route["technician"]]
        assert [v["order_id"] for v in mine] == [s["order"] for s in route["stops"]]
    assert ServiceOrder.objects.filter(status="assigned").count() == 4


def test_a_stale_plan_is_409_and_cannot_be_committed_later(api, crew, customer_order, day):
    order = customer_order(spot(1))
    client = api(crew["people"]["dispatcher"])
    plan = client.post(
        "/dispatch/plans",
        {"station_id": crew["station"].pk, "day": day.isoformat(), "seconds": 0.2},
    ).json()
    client.post(f"/orders/{order.pk}/assign", {"technician_id": crew["plain"].pk})

    response = client.post(f"/dispatch/plans/{plan['id']}/commit")
    assert response.status_code == 409 and response.json()["code"] == "plan_stale"
    assert response.json()["details"]["changed"] == [order.number]
    assert client.get(f"/dispatch/plans/{plan['id']}").json()["status"] == "stale"


def test_another_stations_people_cannot_see_a_plan(api, crew, customer_order, day, make_user):
    customer_order(spot(1))
    plan = (
        api(crew["people"]["dispatcher"])
        .post(
            "/dispatch/plans",
            {"station_id": crew["station"].pk, "day": day.isoformat(), "seconds": 0.2},
        )
        .json()
    )
    north_manager = make_user(Role.STATION_MANAGER, station=crew["people"]["tech_north"].station)
    client = api(north_manager)
    assert client.get(f"/dispatch/plans/{plan['id']}").status_code == 404
    assert client.post(f"/dispatch/plans/{plan['id']}/commit").status_code == 404
    assert (
        client.get(
            f"/dispatch/visits?station={crew['station'].pk}&day={day.isoformat()}"
        ).status_code
        == 404
    )


def test_a_visit_placed_by_hand_is_locked_and_checked(api, crew, customer_order, day):
    order = customer_order(spot(3), required_skills={"ac": 2})
    client = api(crew["people"]["dispatcher"])

    refused = client.post(
        f"/orders/{order.pk}/visit",
        {"technician_id": crew["plain"].pk, "start": _at(day, 10).isoformat()},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_qualified"

    placed = client.post(
        f"/orders/{order.pk}/visit",
        {"technician_id": crew["skilled"].pk, "start": _at(day, 10).isoformat()},
    )
    assert placed.status_code == 200, placed.json()
    assert placed.json()["locked"] is True
    assert placed.json()["technician_id"] == crew["skilled"].pk
    order.refresh_from_db()
    assert (order.status, order.technician_id) == ("assigned", crew["skilled"].pk)


# --- capacity --------------------------------------------------------------------------------


def test_shift_set_replaces_the_days_hours_and_is_audited(api, crew, day):
    client = api(crew["people"]["dispatcher"])
    body = {
        "technician_id": crew["plain"].pk,
        "day": day.isoformat(),
        "start": "10:00",
        "end": "16:00",
        "break_minutes": 30,
    }
    response = client.put("/dispatch/shifts", body)
    assert response.status_code == 200, response.json()
    assert response.json()["start"] == "10:00:00"
    shifts = client.get(
        f"/dispatch/shifts?station={crew['station'].pk}&first={day}&last={day}"
    ).json()["items"]
    assert {(s["technician_id"], s["start"]) for s in shifts} == {
        (crew["skilled"].pk, "08:00:00"),
        (crew["plain"].pk, "10:00:00"),
    }
    assert AuditEntry.objects.filter(action="shift.set").count() == 1

    backwards = client.put("/dispatch/shifts", {**body, "start": "16:00", "end": "10:00"})
    assert backwards.status_code == 422 and "end" in backwards.json()["details"]["fields"]
    past = client.put("/dispatch/shifts", {**body, "day": "2020-01-01"})
    assert past.status_code == 422 and "day" in past.json()["details"]["fields"]

    deleted = client.delete(f"/dispatch/shifts/{response.json()['id']}")
    assert deleted.status_code == 204
    assert not Shift.objects.filter(technician=crew["plain"].technician).exists()


def test_leave_lists_the_visits_it_hits_and_refuses_overlap(api, crew, customer_order, day):
    order = customer_order(spot(2))
    client = api(crew["people"]["dispatcher"])
    client.post(
        f"/orders/{order.pk}/visit",
        {"technician_id": crew["plain"].pk, "start": _at(day, 11).isoformat()},
    )
    body = {
        "technician_id": crew["plain"].pk,
        "first_day": day.isoformat(),
        "last_day": (day + dt.timedelta(days=2)).isoformat(),
        "reason": "年假",
    }
    added = client.post("/dispatch/leave", body)
    assert added.status_code == 201, added.json()
    assert added.json()["affected_orders"] == [order.pk]
    overlap = client.post("/dispatch/leave", {**body, "first_day": body["last_day"]})
    assert overlap.status_code == 409 and overlap.json()["code"] == "leave_overlaps"
    # On leave: no longer a candidate that day.
    cands = client.get(f"/orders/{order.pk}/candidates?day={day.isoformat()}").json()
    assert {c["technician_id"]: c["refusal"] for c in cands}[crew["plain"].pk] == "not_working"


def test_a_station_manager_edits_only_their_own_technicians(api, crew, day, make_user):
    north = crew["people"]["tech_north"]
    org.technician_profile_set(actor=None, user=north, skills={})
    manager = make_user(Role.STATION_MANAGER, station=crew["station"])
    response = api(manager).post(
        "/dispatch/leave",
        {"technician_id": north.pk, "first_day": day.isoformat(), "last_day": day.isoformat()},
    )
    assert response.status_code == 404
    technician = api(crew["plain"]).put(
        "/dispatch/shifts",
        {
            "technician_id": crew["plain"].pk,
            "day": day.isoformat(),
            "start": "08:00",
            "end": "09:00",
        },
    )
    assert technician.status_code == 403


def test_territories_are_validated_and_replaced_whole(api, crew, org_tree):
    client = api(crew["people"]["service_manager"])
    body = {
        "station_id": crew["station"].pk,
        "name": "浦东",
        "regions": [org_tree["east"].pk],
        "postcode_prefixes": "2001， 2002",
        "polygon": [[121.4, 31.1], [121.6, 31.1], [121.6, 31.3]],
        "technicians": [crew["skilled"].pk],
    }
    created = client.post("/dispatch/territories", body)
    assert created.status_code == 201, created.json()
    assert created.json()["postcode_prefixes"] == "2001,2002"
    assert created.json()["technicians"] == [crew["skilled"].pk]

    empty = client.post(
        "/dispatch/territories", {"station_id": crew["station"].pk, "name": "空", "regions": []}
    )
    assert empty.status_code == 422 and empty.json()["code"] == "invalid"
    foreign = client.post(
        "/dispatch/territories", {**body, "technicians": [crew["people"]["tech_north"].pk]}
    )
    assert foreign.status_code == 422 and "technicians" in foreign.json()["details"]["fields"]
    bad_ring = client.post("/dispatch/territories", {**body, "polygon": [[500, 1], [1, 1], [2, 2]]})
    assert bad_ring.status_code == 422 and "polygon" in bad_ring.json()["details"]["fields"]

    tid = created.json()["id"]
    replaced = client.put(
        f"/dispatch/territories/{tid}", {**body, "regions": [], "technicians": []}
    )
    assert replaced.status_code == 200
    assert (replaced.json()["regions"], replaced.json()["technicians"]) == ([], [])
    assert client.delete(f"/dispatch/territories/{tid}").status_code == 204
    assert not Territory.objects.exists()


def test_durations_and_skill_requirements_need_the_rules_permission(api, crew, catalog):
    manager = api(crew["people"]["service_manager"])
    body = {"service_type": "repair", "minutes": 45, "category_id": catalog["category"].pk}
    assert manager.put("/dispatch/durations", body).status_code == 200
    again = manager.put("/dispatch/durations", {**body, "minutes": 75})
    assert again.status_code == 200 and again.json()["minutes"] == 75
    assert [d["minutes"] for d in manager.get("/dispatch/durations").json()] == [75]
    foreign = manager.put("/dispatch/durations", {**body, "category_id": 0})
    assert foreign.status_code == 422

    requirement = manager.put(
        "/dispatch/skill-requirements",
        {"category_id": catalog["category"].pk, "skill_id": crew["skill"].pk, "level": 3},
    )
    assert requirement.status_code == 200 and requirement.json()["level"] == 3

    dispatcher = api(crew["people"]["dispatcher"])
    assert dispatcher.put("/dispatch/durations", body).status_code == 403
    assert (
        dispatcher.delete(f"/dispatch/skill-requirements/{requirement.json()['id']}").status_code
        == 403
    )
    assert (
        manager.delete(f"/dispatch/skill-requirements/{requirement.json()['id']}").status_code
        == 204
    )


def test_dispatch_settings_are_read_by_all_and_changed_by_managers(api, crew):
    agent = api(crew["people"]["agent"])
    defaults = agent.get("/dispatch/settings")
    assert defaults.status_code == 200 and defaults.json()["notice_hours"] == 8
    assert agent.patch("/dispatch/settings", {"notice_hours": 12}).status_code == 403

    manager = api(crew["people"]["service_manager"])
    changed = manager.patch(
        "/dispatch/settings",
        {"notice_hours": 12, "rest_periods": [["12:00", "13:30"]], "visits_from": "09:00"},
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["notice_hours"] == 12
    assert changed.json()["rest_periods"] == [["12:00", "13:30"]]
    assert agent.get("/dispatch/settings").json()["visits_from"] == "09:00:00"

    bad = manager.patch(
        "/dispatch/settings",
        {"booking_days": 0, "rest_periods": [["14:00", "13:00"]], "visits_until": "07:00"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["details"]["fields"]) == {"booking_days", "rest_periods", "visits_until"}
    assert agent.get("/dispatch/settings").json()["booking_days"] == 7  # nothing half-written
    assert AuditEntry.objects.filter(action="dispatch_settings.update").count() == 1
