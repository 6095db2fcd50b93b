"""Dispatch actions: booking, automatic assignment, plan and commit (the windows offered and
the candidates are read in selectors: `test_selectors.py`)."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.accounts.models import Skill
from aftersales.core.errors import ApplicationError
from aftersales.dispatch import actions, selectors
from aftersales.dispatch.choices import PlanStatus
from aftersales.dispatch.models import DispatchSettings, Leave, Visit
from aftersales.dispatch.tests.fixtures import DAY, NOW, at, spot
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import actions as orders
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


def test_propose_then_commit_assigns_through_order_actions_with_events(station_day, customer_order):
    a = station_day["technician"](2)
    b = station_day["technician"](None)
    needs_ac = [customer_order(spot(i, 1), required_skills={"ac": 2}) for i in (1, 2, 3)]
    plain = [customer_order(spot(-i)) for i in (1, 2)]
    dispatcher = station_day["people"]["dispatcher"]

    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.5, now=NOW
    )

    routes = {r["technician"]: [s["order"] for s in r["stops"]] for r in plan.result["routes"]}
    assert plan.status == PlanStatus.PROPOSED
    assert {o.pk for o in needs_ac} <= set(routes[a.pk])  # only a has the skill
    assert not set(routes.get(b.pk, [])) & {o.pk for o in needs_ac}
    assert plan.result["metrics"]["served"] == 5 and plan.result["unserved"] == []
    assert not ServiceOrder.objects.filter(technician__isnull=False).exists()  # nothing yet

    actions.plan_commit(actor=dispatcher, plan=plan, now=NOW)

    for tech, order_ids in routes.items():
        visits = Visit.objects.filter(technician_id=tech, day=DAY, ended_at__isnull=True).order_by(
            "sequence"
        )
        assert [v.order_id for v in visits] == order_ids
        assert [v.sequence for v in visits] == list(range(1, len(order_ids) + 1))
        for oid in order_ids:
            order = ServiceOrder.objects.get(pk=oid)
            assert (order.status, order.technician_id) == ("assigned", tech)
            kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", "action"))
            assert ("transition", "assign") in kinds and ("planned", "plan") in kinds
    assert {o.pk for o in plain} <= {oid for ids in routes.values() for oid in ids}


def test_a_plan_commits_once(station_day, customer_order):
    station_day["technician"](1)
    customer_order(spot(1))
    dispatcher = station_day["people"]["dispatcher"]
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.2, now=NOW
    )
    actions.plan_commit(actor=dispatcher, plan=plan, now=NOW)
    with pytest.raises(ApplicationError) as err:
        actions.plan_commit(actor=dispatcher, plan=plan, now=NOW)
    assert err.value.code == "plan_not_proposed"
    assert Visit.objects.filter(ended_at__isnull=True).count() == 1


def test_a_plan_whose_orders_changed_is_stale(station_day, customer_order):
    tech = station_day["technician"](1)
    order = customer_order(spot(1))
    dispatcher = station_day["people"]["dispatcher"]
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.2, now=NOW
    )
    orders.order_transition(actor=dispatcher, order=order, action="assign", technician=tech)

    with pytest.raises(ApplicationError) as err:
        actions.plan_commit(actor=dispatcher, plan=plan, now=NOW)

    assert err.value.code == "plan_stale" and err.value.status == 409
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STALE
    assert not Visit.objects.exists()


def test_a_visit_booked_after_the_proposal_makes_the_plan_stale(station_day, customer_order):
    station_day["technician"](1)
    customer_order(spot(1))
    dispatcher = station_day["people"]["dispatcher"]
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.2, now=NOW
    )
    late_comer = customer_order(spot(2))
    actions.appointment_book(
        actor=station_day["people"]["agent"], order=late_comer, start=at(10), end=at(12), now=NOW
    )

    with pytest.raises(ApplicationError) as err:
        actions.plan_commit(actor=dispatcher, plan=plan, now=NOW)

    assert err.value.code == "plan_stale"
    assert err.value.details["changed"] == [late_comer.number]
    assert not ServiceOrder.objects.filter(technician__isnull=False).exists()


def test_unserved_orders_come_with_the_binding_reason(station_day, customer_order):
    station_day["technician"](1)
    Skill.objects.create(company=station_day["station"].company, code="gas", name="燃气")
    gas = customer_order(spot(1), required_skills={"gas": 1})
    nowhere = customer_order(spot(2))
    nowhere.address.latitude = None
    nowhere.address.save(update_fields=["latitude"])
    plan = actions.plan_propose(
        actor=station_day["people"]["dispatcher"],
        station=station_day["station"],
        day=DAY,
        seconds=0.2,
        now=NOW,
    )
    reasons = {u["order"]: u["reason"] for u in plan.result["unserved"]}
    assert reasons == {gas.pk: "skill", nowhere.pk: "no_location"}


def test_technician_on_leave_is_not_planned(station_day, customer_order):
    tech = station_day["technician"](1)
    Leave.objects.create(technician=tech.technician, first_day=DAY, last_day=DAY, reason="年假")
    order = customer_order(spot(1))
    plan = actions.plan_propose(
        actor=station_day["people"]["dispatcher"],
        station=station_day["station"],
        day=DAY,
        seconds=0.2,
        now=NOW,
    )
    assert plan.result["routes"] == []
    assert plan.result["unserved"][0]["order"] == order.pk


def test_technician_of_another_station_cannot_plan_it(station_day, people):
    with pytest.raises(ApplicationError) as err:
        actions.plan_propose(
            actor=people["tech_north"], station=station_day["station"], day=DAY, now=NOW
        )
    assert err.value.status == 403


def test_past_day_is_refused(station_day):
    with pytest.raises(ApplicationError) as err:
        actions.plan_propose(
            actor=station_day["people"]["dispatcher"],
            station=station_day["station"],
            day=DAY - dt.timedelta(days=2),
            now=NOW,
        )
    assert err.value.code == "day_passed"


def test_booking_reserves_capacity(station_day, customer_order):
    station_day["technician"](1, max_visits_per_day=1)
    first, second = customer_order(spot(1)), customer_order(spot(2))
    agent = station_day["people"]["agent"]
    assert selectors.appointment_slots(actor=agent, order=second, days=2, now=NOW)

    actions.appointment_book(actor=agent, order=first, start=at(10), end=at(12), now=NOW)

    assert selectors.appointment_slots(actor=agent, order=second, days=2, now=NOW) == []
    with pytest.raises(ApplicationError) as err:
        actions.appointment_book(actor=agent, order=second, start=at(14), end=at(16), now=NOW)
    assert err.value.code == "slot_unavailable"
    first.refresh_from_db()
    assert (first.appointment_start, first.appointment_end) == (at(10), at(12))
    event = OrderEvent.objects.filter(order=first, kind="appointment").get()
    assert event.action == "book" and event.payload["by_customer"] is False


def test_we_cannot_move_a_visit_within_the_notice_period_without_a_reason(
    station_day, customer_order
):
    station_day["technician"](1)
    order = customer_order(spot(1))
    agent, dispatcher = station_day["people"]["agent"], station_day["people"]["dispatcher"]
    actions.appointment_book(actor=agent, order=order, start=at(10), end=at(12), now=NOW)
    close = at(3)  # 7 hours before

    with pytest.raises(ApplicationError) as err:
        actions.appointment_book(actor=agent, order=order, start=at(14), end=at(16), now=close)
    assert err.value.code == "late_notice"
    with pytest.raises(ApplicationError):  # a dispatcher needs a reason too
        actions.appointment_book(
            actor=dispatcher, order=order, start=at(14), end=at(16), now=close, force=True
        )

    actions.appointment_book(
        actor=dispatcher,
        order=order,
        start=at(14),
        end=at(16),
        now=close,
        force=True,
        reason="技师车辆故障",
    )
    moved = OrderEvent.objects.filter(order=order, kind="appointment", action="reschedule").get()
    assert moved.payload["late_notice"] is True and moved.reason == "技师车辆故障"
    assert Visit.objects.filter(order=order, ended_at__isnull=True).count() == 1


def test_the_customer_may_move_their_own_visit_late(station_day, customer_order):
    station_day["technician"](1)
    order = customer_order(spot(1))
    agent = station_day["people"]["agent"]
    actions.appointment_book(actor=agent, order=order, start=at(10), end=at(12), now=NOW)
    actions.appointment_book(
        actor=agent, order=order, start=at(14), end=at(16), now=at(5), by_customer=True
    )
    event = OrderEvent.objects.filter(order=order, action="reschedule").get()
    assert event.payload["by_customer"] is True and event.payload["late_notice"] is False


# --- manual and automatic assignment ---------------------------------------------------------


def test_auto_assign_on_intake_picks_the_least_loaded_qualified_technician(
    station_day, customer_order
):
    busy = station_day["technician"](1)
    free = station_day["technician"](1)
    DispatchSettings.objects.update_or_create(
        company=station_day["station"].company, defaults={"auto_assign": True}
    )
    earlier = customer_order(spot(1))
    actions.appointment_book(
        actor=station_day["people"]["agent"], order=earlier, start=at(10), end=at(12), now=NOW
    )
    orders.order_transition(
        actor=station_day["people"]["dispatcher"], order=earlier, action="assign", technician=busy
    )

    order = customer_order(spot(1.5), dispatch=False, preferred_start=at(9), preferred_end=at(17))
    assigned = actions.order_auto_assign(order_id=order.pk, now=NOW)

    assert assigned is not None
    assert (assigned.status, assigned.technician_id, assigned.station_id) == (
        "assigned",
        free.pk,
        station_day["station"].pk,
    )
    event = OrderEvent.objects.filter(order=order, kind="planned", action="auto_assign").get()
    assert event.payload["technician"] == free.pk and event.payload["visits_that_day"] == 0


def test_auto_assign_is_off_unless_the_company_turns_it_on(station_day, customer_order):
    station_day["technician"](1)
    order = customer_order(spot(1))
    assert actions.order_auto_assign(order_id=order.pk, now=NOW) is None
    order.refresh_from_db()
    assert order.technician_id is None


def test_dispatcher_move_locks_the_visit_and_the_optimiser_keeps_it(station_day, customer_order):
    near_tech = station_day["technician"](1, home_latitude=spot(1)[0], home_longitude=spot(1)[1])
    far_tech = station_day["technician"](1, home_latitude=spot(25)[0], home_longitude=spot(25)[1])
    order = customer_order(spot(1.2))
    dispatcher = station_day["people"]["dispatcher"]

    visit = actions.visit_move(
        actor=dispatcher, order=order, technician=far_tech.pk, start=at(15), now=NOW
    )

    assert visit.locked and visit.technician_id == far_tech.pk and visit.planned_start == at(15)
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.3, now=NOW
    )
    route = next(r for r in plan.result["routes"] if r["technician"] == far_tech.pk)
    assert [s["order"] for s in route["stops"]] == [order.pk]
    assert route["stops"][0]["start"] == at(15).isoformat()
    assert all(r["technician"] != near_tech.pk for r in plan.result["routes"])


def test_move_to_an_unqualified_technician_is_refused(station_day, customer_order):
    novice = station_day["technician"](1)
    order = customer_order(spot(1), required_skills={"ac": 3})
    with pytest.raises(ApplicationError) as err:
        actions.visit_move(
            actor=station_day["people"]["dispatcher"],
            order=order,
            technician=novice.pk,
            start=at(10),
            now=NOW,
        )
    assert err.value.code == "not_qualified"
    assert not Visit.objects.exists()


def test_booking_tells_the_customer_through_the_outbox(
    station_day, customer_order, django_capture_on_commit_callbacks
):
    station_day["technician"](1)
    order = customer_order(spot(1))
    with django_capture_on_commit_callbacks(execute=True):
        actions.appointment_book(
            actor=station_day["people"]["agent"], order=order, start=at(10), end=at(12), now=NOW
        )
    message = OutboxMessage.objects.get(customer=order.customer)
    assert message.recipient is None
    assert order.number in message.body and "10:00" in message.body
