"""Maintenance actions: plans on the kernel, generation (idempotent, horizon, open orders,
cancelled orders, last done), reasons it could not, re-projection by readings, checklists,
contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.customers.actions import unit_meter_record
from aftersales.customers.models import Address, InstalledUnit
from aftersales.fieldwork import actions as field
from aftersales.fieldwork.tests.fixtures import finish_simply
from aftersales.maintenance import actions
from aftersales.maintenance.models import (
    MaintenancePlan,
    MaintenanceVisit,
    PlanEvent,
    ServiceContract,
    UnitSchedule,
)
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import actions as order_actions
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db

TODAY = None  # generation uses the local date unless told


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def today() -> dt.date:
    return timezone.localdate()


def visits(unit: Any) -> list[MaintenanceVisit]:
    return list(MaintenanceVisit.objects.filter(unit=unit).order_by("seq", "attempt"))


def on_site(order: ServiceOrder, people: dict[str, Any], walk: Any) -> ServiceOrder:
    order = walk(order, "accept")
    field.visit_depart(actor=people["tech"], order=order, eta_minutes=20)
    return field.visit_arrive(
        actor=people["tech"], order=order, latitude=31.2304, longitude=121.4737
    )


# --- plans -----------------------------------------------------------------------------------


def test_a_plan_is_activated_only_with_a_rule_and_every_step_is_an_event(data, people):
    manager = people["service_manager"]
    plan = actions.plan_create(actor=manager, name="空调年检", category=data["category"])
    with pytest.raises(ApplicationError) as refused:
        actions.plan_transition(actor=manager, plan=plan, action="activate")
    assert refused.value.code == "no_rules"
    actions.rule_save(actor=manager, plan=plan, kind="periodic", months=12)
    actions.plan_transition(actor=manager, plan=plan, action="activate")
    with pytest.raises(ApplicationError) as no_reason:
        actions.plan_transition(actor=manager, plan=plan, action="pause")
    assert no_reason.value.code == "reason_required"
    actions.plan_transition(actor=manager, plan=plan, action="pause", reason="旺季")
    assert MaintenancePlan.objects.get(pk=plan.pk).status == "paused"
    assert list(PlanEvent.objects.filter(plan=plan).values_list("action", flat=True)) == [
        "create",
        "rule",
        "activate",
        "pause",
    ]


def test_only_a_service_manager_writes_plans(data, people):
    with pytest.raises(ApplicationError) as refused:
        actions.plan_create(actor=people["agent"], name="x", category=data["category"])
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "first"}, "days"),
        ({"kind": "first", "months": 3}, "months"),
        ({"kind": "periodic", "months": 3, "nth": 2}, "weekday"),
        ({"kind": "periodic", "meter": "-5"}, "meter"),
        ({"kind": "weekly", "days": 7}, "kind"),
    ],
)
def test_rules_are_checked(data, people, kw, field):
    manager = people["service_manager"]
    plan = actions.plan_create(actor=manager, name="x", category=data["category"])
    with pytest.raises(ApplicationError) as refused:
        actions.rule_save(actor=manager, plan=plan, **kw)
    assert field in refused.value.details["fields"]


def test_a_level_sits_on_a_multiple_of_the_interval(plan):
    with pytest.raises(ApplicationError) as refused:
        actions.level_save(actor=plan["manager"], rule=plan["periodic"], name="x", at_meter=450)
    assert "at_meter" in refused.value.details["fields"]


# --- generation ------------------------------------------------------------------------------


def test_generation_creates_the_first_service_through_the_order_actions(
    plan, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = actions.plan_generate(plan=plan["plan"])
    assert (run.units, run.created) == (2, 2)
    visit = visits(data["u1"])[0]
    order = visit.order
    assert (order.service_type, order.channel, order.priority) == (
        "maintenance",
        "maintenance_plan",
        "low",
    )
    assert (visit.seq, visit.rule, visit.level) == (1, plan["first"], plan["first_level"])
    assert order.respond_due is not None  # service levels like any order
    assert "更换机油滤清器" in order.fault_description
    assert order.address is not None
    assert timezone.localtime(order.preferred_start).date() == visit.due_on - days(3)
    schedule_row = UnitSchedule.objects.get(unit=data["u1"])
    assert (schedule_row.state, schedule_row.seq) == ("ordered", 1)
    told = OutboxMessage.objects.get(customer=data["c1"], event="maintenance_due")
    assert order.number in told.body


def test_generation_twice_creates_each_order_once(plan, data):
    actions.plan_generate(plan=plan["plan"])
    again = actions.plan_generate(plan=plan["plan"])
    assert again.created == 0
    assert ServiceOrder.objects.filter(service_type="maintenance").count() == 2


def test_a_rerun_after_a_crash_finds_the_order_by_its_key(plan, data):
    # A crash after the order was written but before the link: the order's idempotency key
    # brings the same order back instead of a second one.
    due = actions.unit_generate(unit=data["u1"])
    visit = visits(data["u1"])[0]
    order_id = visit.order_id
    MaintenanceVisit.objects.filter(pk=visit.pk).delete()
    UnitSchedule.objects.filter(pk=due.pk).delete()
    actions.unit_generate(unit=data["u1"])
    assert visits(data["u1"])[0].order_id == order_id
    assert ServiceOrder.objects.filter(unit=data["u1"]).count() == 1


def test_nothing_is_created_before_the_window_opens_within_the_horizon(plan, data):
    # Installed yesterday: the first service is due in 29 days, the window opens 3 days
    # earlier, the horizon is 7 days.
    InstalledUnit.objects.filter(pk=data["u1"].pk).update(installation_date=today() - days(1))
    row = actions.unit_generate(unit=data["u1"])
    assert row is not None
    assert (row.state, row.due_on, row.due_by) == ("waiting", today() + days(29), "days")
    assert visits(data["u1"]) == []
    later = actions.unit_generate(unit=data["u1"], today=today() + days(19))
    assert later is not None and later.state == "ordered"


def test_no_second_order_while_one_is_open(plan, data):
    actions.unit_generate(unit=data["u1"])
    # Even far later, with the first service still open, nothing more is created.
    row = actions.unit_generate(unit=data["u1"], today=today() + days(400))
    assert row is not None and row.state == "ordered"
    assert len(visits(data["u1"])) == 1


def test_a_cancelled_order_is_ordered_again_as_the_same_service(plan, data, people):
    actions.unit_generate(unit=data["u1"])
    first = visits(data["u1"])[0]
    order_actions.order_transition(
        actor=people["agent"], order=first.order, action="cancel", reason="客户改约"
    )
    actions.unit_generate(unit=data["u1"])
    rows = visits(data["u1"])
    assert [(v.seq, v.attempt, v.state) for v in rows] == [(1, 1, "cancelled"), (1, 2, "open")]
    assert rows[1].order_id != first.order_id
    assert rows[1].level == plan["first_level"]


def test_the_next_service_counts_from_the_last_done_one(plan, data, people, walk):
    actions.unit_generate(unit=data["u1"])
    order = visits(data["u1"])[0].order
    finish_simply(on_site(order, people, walk), people["tech"])
    row = actions.unit_generate(unit=data["u1"])
    done = visits(data["u1"])[0]
    assert (done.state, done.done_on) == ("done", today())
    assert row is not None
    # No readings: 6 months after today (the late first service), the base level.
    from aftersales.maintenance.schedule import add_months

    assert (row.seq, row.level, row.due_on, row.state) == (
        2,
        plan["base"],
        add_months(today(), 6),
        "waiting",
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("retired", "unit_retired"),
        ("no_address", "no_address"),
        ("contract", "contract_expired"),
    ],
)
def test_each_unit_that_could_not_be_ordered_says_why(plan, data, people, change, reason):
    if change == "retired":
        InstalledUnit.objects.filter(pk=data["u1"].pk).update(status="retired")
    elif change == "no_address":
        InstalledUnit.objects.filter(pk=data["u1"].pk).update(address=None)
        Address.objects.filter(customer=data["c1"]).delete()
    else:
        MaintenancePlan.objects.filter(pk=plan["plan"].pk).update(needs_contract=True)
        contract = actions.contract_create(
            actor=people["agent"],
            customer=data["c1"],
            units=[data["u1"].pk],
            number="HT-2025-001",
            starts_on=today() - days(400),
            ends_on=today() - days(35),
        )
        actions.contract_transition(actor=people["agent"], contract=contract, action="activate")
    run = actions.plan_generate(plan=plan["plan"])
    row = UnitSchedule.objects.get(unit=data["u1"])
    assert (row.state, row.reason) == ("blocked", reason)
    # u2 has no contract at all: it is blocked too.
    assert run.blocked == {reason: 2 if change == "contract" else 1}
    assert visits(data["u1"]) == []


def test_a_unit_override_moves_it_to_another_plan_or_none(plan, data, people):
    actions.unit_plan_override(actor=people["service_manager"], unit=data["u1"], plan=None)
    run = actions.plan_generate(plan=plan["plan"])
    assert run.units == 1
    assert visits(data["u1"]) == []


# --- readings --------------------------------------------------------------------------------


def test_a_reading_reprojects_and_orders_when_the_meter_passes_first(
    plan, data, people, django_capture_on_commit_callbacks
):
    # Installed yesterday (first service by date in 29 days); 40 h a day on the meter.
    InstalledUnit.objects.filter(pk=data["u1"].pk).update(installation_date=today() - days(1))
    tech = people["tech"]
    with django_capture_on_commit_callbacks(execute=True):
        unit_meter_record(
            actor=tech,
            unit=data["u1"],
            kind="hours",
            value=0,
            read_on=today() - days(1),
            source="staff",
        )
    assert visits(data["u1"]) == []
    with django_capture_on_commit_callbacks(execute=True):
        unit_meter_record(
            actor=tech, unit=data["u1"], kind="hours", value=40, read_on=today(), source="customer"
        )
    row = UnitSchedule.objects.get(unit=data["u1"])
    assert (row.due_by, row.due_on, row.meter_at) == ("meter", today() + days(1), D(50))
    assert row.state == "ordered"
    assert visits(data["u1"])[0].due_by == "meter"


def test_a_lower_reading_is_refused(plan, data, people):
    tech = people["tech"]
    unit_meter_record(
        actor=tech, unit=data["u1"], kind="hours", value=120, read_on=today(), source="staff"
    )
    with pytest.raises(ApplicationError) as refused:
        unit_meter_record(
            actor=tech, unit=data["u1"], kind="hours", value=100, read_on=today(), source="staff"
        )
    assert "value" in refused.value.details["fields"]


# --- checklist -------------------------------------------------------------------------------


def test_the_checklist_flags_out_of_limits_and_opens_one_repair(plan, data, people, walk):
    actions.unit_generate(unit=data["u1"])
    visit = visits(data["u1"])[0]
    order = on_site(visit.order, people, walk)
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    entries = actions.checklist_record(
        actor=people["tech"],
        order=order,
        answers={
            tasks["check"].pk: {"done": True},
            tasks["measure"].pk: {"value": "150"},
            tasks["replace"].pk: {"done": True},
        },
        reading="48",
    )
    flagged = [e for e in entries if e.out_of_limits]
    assert [e.task_id for e in flagged] == [tasks["measure"].pk]
    assert actions.checklist_missing(visit) == []
    repair = actions.checklist_open_repair(actor=people["tech"], entry=flagged[0])
    again = actions.checklist_open_repair(actor=people["tech"], entry=flagged[0])
    assert repair.pk == again.pk
    assert (repair.service_type, repair.unit_id) == ("repair", data["u1"].pk)
    assert "机油压力" in repair.fault_description
    assert data["u1"].meter_readings.get().reference == order.number


def test_the_checklist_is_recorded_only_on_site(plan, data, people, walk):
    actions.unit_generate(unit=data["u1"])
    order = walk(visits(data["u1"])[0].order, "accept")
    with pytest.raises(ApplicationError) as refused:
        actions.checklist_record(actor=people["tech"], order=order, answers={})
    assert refused.value.code == "not_on_site"


def test_the_reading_of_the_visit_moves_the_next_service(plan, data, people, walk):
    tech = people["tech"]
    unit_meter_record(
        actor=tech,
        unit=data["u1"],
        kind="hours",
        value=0,
        read_on=today() - days(31),
        source="staff",
    )
    actions.unit_generate(unit=data["u1"])
    visit = visits(data["u1"])[0]
    order = on_site(visit.order, people, walk)
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    actions.checklist_record(
        actor=tech,
        order=order,
        answers={
            t.pk: {"done": True, "value": "300" if k == "measure" else None}
            for k, t in tasks.items()
        },
        reading="62",  # 2 h a day over 31 days
    )
    finish_simply(order, tech)
    row = actions.unit_generate(unit=data["u1"])
    assert row is not None
    # Next at 62 + 300 = 362 h; 300 h more at 2 h a day is 150 days, before 6 months.
    assert (row.seq, row.meter_at, row.due_by, row.due_on) == (
        2,
        D(362),
        "meter",
        today() + days(150),
    )


# --- contracts -------------------------------------------------------------------------------


def make_contract(people, data, **kw):
    fields = {
        "number": "HT-2026-001",
        "starts_on": today() - days(300),
        "ends_on": today() + days(20),
        "respond_minutes": 120,
        "parts_pct": 100,
        "labour_pct": 50,
        "travel_pct": 0,
        "visits_per_year": 2,
        "price": "3600",
    }
    fields.update(kw)
    contract = actions.contract_create(
        actor=people["agent"], customer=data["c1"], units=[data["u1"].pk], **fields
    )
    return actions.contract_transition(actor=people["agent"], contract=contract, action="activate")


def test_contract_coverage_prices_an_order(data, people, new_order):
    contract = make_contract(people, data)
    order = new_order()
    found = actions.contract_for_order(order)
    assert found == contract
    price = actions.covered_price(found, parts=D("245.00"), labour=D("120.00"), travel=D("50.00"))
    assert (price["total"], price["covered"], price["customer"]) == (
        D("415.00"),
        D("305.00"),
        D("110.00"),
    )
    assert actions.contract_for_order(new_order(unit=data["u2"], customer=data["c2"])) is None


def test_a_contract_needs_units_of_its_customer(data, people):
    with pytest.raises(ApplicationError) as refused:
        actions.contract_create(
            actor=people["agent"],
            customer=data["c1"],
            units=[data["u2"].pk],
            number="X",
            starts_on=today(),
            ends_on=today() + days(365),
        )
    assert "units" in refused.value.details["fields"]


def test_renewal_is_due_30_days_before_the_end_once_and_expiry_follows(
    data, people, django_capture_on_commit_callbacks
):
    contract = make_contract(people, data)
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.contracts_sweep()
        second = actions.contracts_sweep()
    assert first == {"renewal_due": 1, "expired": 0}
    assert second == {"renewal_due": 0, "expired": 0}
    assert OutboxMessage.objects.filter(customer=data["c1"], event="contract_renewal").count() == 1
    assert contract.events.filter(action="renewal_due").count() == 1
    assert actions.contracts_sweep(today=today() + days(21)) == {"renewal_due": 0, "expired": 1}
    assert ServiceContract.objects.get(pk=contract.pk).status == "expired"


def test_renewing_continues_the_contract(data, people):
    contract = make_contract(people, data)
    new = actions.contract_renew(
        actor=people["agent"], contract=contract, number="HT-2027-001", ends_on=today() + days(385)
    )
    old = ServiceContract.objects.get(pk=contract.pk)
    assert (old.status, old.renewed_by_id) == ("renewed", new.pk)
    assert (new.status, new.starts_on) == ("active", old.ends_on + days(1))
    assert list(new.units.all()) == [data["u1"]]
