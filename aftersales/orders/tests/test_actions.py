"""Order actions: intake, due times on the working calendar, pauses, reopen, edits (service
levels — escalation, recompute after a calendar change, policies — in test_service_levels.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from aftersales.catalog.models import FaultCode
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.orders import actions
from aftersales.orders.models import ServiceOrder

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


# --- intake ----------------------------------------------------------------------------------


def test_create_records_the_request_due_times_and_a_created_event(new_order, people):
    order = new_order(priority="medium", created_at=at(2025, 9, 30, 16))
    assert order.status == "registered"
    assert order.number == f"20250930{order.pk:06d}"
    # DOMAIN.md: Tuesday 2025-09-30 16:00 + 12 working hours = Friday 2025-10-10 10:00.
    assert order.respond_due == at(2025, 10, 10, 10)
    assert order.due_provisional is False
    event = order.events.get()
    assert (event.kind, event.to_status, event.actor) == ("created", "registered", people["agent"])
    assert event.payload["due"]["respond"] == at(2025, 10, 10, 10).isoformat()


def test_high_priority_responds_in_two_working_hours_and_resolves_in_24_hours(new_order):
    order = new_order(priority="high", created_at=at(2025, 9, 26, 17))
    assert order.respond_due == at(2025, 9, 28, 10)  # Sunday 28 Sep is a make-up working day
    assert order.resolve_due == at(2025, 9, 27, 17)


def test_urgent_fault_code_raises_priority_to_high(new_order, data):
    code = FaultCode.objects.create(
        category=data["category"], code="E1", symptom="漏电", is_urgent=True
    )
    order = new_order(priority="low", fault_code=code)
    assert order.priority == "high"
    assert order.events.get().payload["priority_raised_from"] == "low"


def test_fault_code_of_another_category_is_refused(new_order, data, org_tree):
    from aftersales.catalog.models import ProductCategory

    other = ProductCategory.objects.create(company=org_tree["company"], code="tv", name="电视")
    code = FaultCode.objects.create(category=other, code="T1", symptom="无图像")
    with pytest.raises(ValidationFailed) as exc:
        new_order(fault_code=code)
    assert "fault_code" in exc.value.errors


def test_open_order_on_the_same_unit_is_flagged_before_saving(new_order):
    first = new_order()
    with pytest.raises(Conflict) as exc:
        new_order(allow_duplicate=False)
    assert exc.value.code == "possible_duplicate"
    assert exc.value.details["orders"] == [{"id": first.pk, "number": first.number}]
    assert ServiceOrder.objects.count() == 1
    assert new_order(allow_duplicate=True).pk != first.pk


def test_cancelled_order_is_not_a_duplicate(new_order, people):
    first = new_order()
    actions.order_transition(actor=people["agent"], order=first, action="cancel", reason="重复")
    assert new_order(allow_duplicate=False).pk != first.pk


def test_same_idempotency_key_returns_the_same_order(new_order, people, data):
    order, created = actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        unit=data["u1"],
        fault_description="x",
        idempotency_key="k-1",
    )
    again, created_again = actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        unit=data["u1"],
        fault_description="x",
        idempotency_key="k-1",
    )
    assert (created, created_again, again.pk) == (True, False, order.pk)
    assert ServiceOrder.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_refused(people, data):
    actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        unit=data["u1"],
        fault_description="x",
        idempotency_key="k-2",
    )
    with pytest.raises(Conflict) as exc:
        actions.order_create(
            actor=people["agent"],
            customer=data["c1"],
            unit=data["u1"],
            fault_description="y",
            idempotency_key="k-2",
            allow_duplicate=True,
        )
    assert exc.value.code == "idempotency_key_reused"


def test_create_refuses_bad_input_with_every_field_named(people, data):
    with pytest.raises(ValidationFailed) as exc:
        actions.order_create(
            actor=people["agent"],
            customer=999999,
            unit=None,
            channel="fax",
            service_type="magic",
            priority="urgent",
        )
    assert {"customer", "channel", "service_type", "priority"} <= set(exc.value.errors)
    assert ServiceOrder.objects.count() == 0


def test_unit_of_another_customer_is_refused(people, data):
    with pytest.raises(ValidationFailed) as exc:
        actions.order_create(
            actor=people["agent"], customer=data["c1"], unit=data["u2"], fault_description="x"
        )
    assert "unit" in exc.value.errors


def test_station_user_cannot_register_for_a_customer_of_another_station(people, data):
    with pytest.raises(ValidationFailed):
        actions.order_create(
            actor=people["station_manager"],
            customer=data["c2"],
            unit=data["u2"],
            fault_description="x",
        )


def test_finance_cannot_register_orders(people, data):
    with pytest.raises(PermissionDenied):
        actions.order_create(
            actor=people["finance"], customer=data["c1"], unit=data["u1"], fault_description="x"
        )


def test_consultation_needs_no_unit(people, data):
    order, _ = actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        service_type="consultation",
        fault_description="咨询保修",
    )
    assert order.unit is None


# --- transitions -----------------------------------------------------------------------------


def test_happy_path_records_response_arrival_and_resolution(new_order, walk):
    order = walk(new_order(), "close")
    assert order.status == "closed"
    assert order.responded_at and order.arrived_at and order.completed_at and order.closed_at
    kinds = list(
        order.events.filter(kind__in=("created", "transition")).values_list("action", flat=True)
    )
    assert kinds == [
        "",
        "triage",
        "dispatch",
        "assign",
        "accept",
        "depart",
        "arrive",
        "complete",
        "follow_up",
        "close",
    ]


def test_technician_cannot_work_someone_elses_order(new_order, walk, people):
    order = walk(new_order(), "assign")
    # Another technician of the same station does not even see it.
    with pytest.raises(NotFound):
        actions.order_transition(actor=people["tech_b"], order=order, action="accept")


def test_technician_of_another_station_does_not_see_the_order(new_order, walk, people):
    order = walk(new_order(), "assign")
    with pytest.raises(NotFound):
        actions.order_transition(actor=people["tech_north"], order=order, action="accept")


def test_assign_refuses_a_technician_of_another_station(new_order, walk, people):
    order = walk(new_order(), "dispatch")
    with pytest.raises(ValidationFailed) as exc:
        actions.order_transition(
            actor=people["dispatcher"],
            order=order,
            action="assign",
            technician=people["tech_north"],
        )
    assert "technician" in exc.value.errors


def test_cancel_needs_a_reason(new_order, people):
    order = new_order()
    with pytest.raises(ValidationFailed):
        actions.order_transition(actor=people["agent"], order=order, action="cancel", reason=" ")
    assert ServiceOrder.objects.get(pk=order.pk).status == "registered"


def test_stale_version_is_refused(new_order, people):
    order = new_order()
    actions.order_transition(actor=people["agent"], order=order, action="triage", version=1)
    with pytest.raises(Conflict) as exc:
        actions.order_transition(
            actor=people["dispatcher"],
            order=order,
            action="dispatch",
            station=order.customer.station,
            version=1,
        )
    assert exc.value.code == "stale_version"


def test_pause_stops_the_clock_and_resume_pushes_the_due_times(new_order, walk, people):
    order = new_order(priority="medium", created_at=at(2025, 9, 15, 9))
    order = walk(order, "assign")
    assert order.respond_due == at(2025, 9, 16, 12)
    actions.order_transition(
        actor=people["tech"],
        order=order,
        action="wait_customer",
        reason="客户出差",
        at=at(2025, 9, 15, 10),
    )
    paused = ServiceOrder.objects.get(pk=order.pk)
    assert paused.next_escalation_at is None
    assert paused.target_state("respond") == "paused"
    resumed = actions.order_transition(
        actor=people["tech"], order=order, action="resume", at=at(2025, 9, 15, 14)
    )
    assert resumed.status == "assigned"
    assert resumed.respond_due == at(2025, 9, 16, 16)  # four working hours later
    assert resumed.events.latest("id").payload["due"]["respond"] == at(2025, 9, 16, 16).isoformat()


def test_reopen_creates_a_linked_order_within_the_window(new_order, walk, people):
    order = walk(new_order(), "complete")
    new = actions.order_reopen(actor=people["agent"], order=order, reason="同一故障复发")
    assert new.status == "reopened" and new.reopened_from_id == order.pk
    assert order.events.filter(kind="reopened_as", payload__order=new.pk).exists()
    assert new.events.get().payload["reopened_from"] == order.pk


def test_reopen_after_the_window_is_refused(new_order, walk, people):
    order = walk(new_order(), "complete")
    ServiceOrder.objects.filter(pk=order.pk).update(
        completed_at=order.completed_at - dt.timedelta(days=31)
    )
    with pytest.raises(Conflict) as exc:
        actions.order_reopen(actor=people["agent"], order=order, reason="复发")
    assert exc.value.code == "reopen_window_passed"


def test_edit_priority_reselects_policy_and_records_an_event(new_order, people):
    order = new_order(priority="low", created_at=at(2025, 9, 15, 9))
    edited = actions.order_update(
        actor=people["agent"], order=order, version=order.version, priority="high"
    )
    assert edited.respond_due == at(2025, 9, 15, 11)
    event = edited.events.latest("id")
    assert event.kind == "edit" and event.payload["priority"] == ["low", "high"]


def test_edit_with_a_stale_version_gets_409(new_order, people):
    order = new_order()
    actions.order_update(actor=people["agent"], order=order, version=1, priority="high")
    with pytest.raises(Conflict):
        actions.order_update(actor=people["agent"], order=order, version=1, priority="low")


def test_bulk_dispatch_goes_through_the_action_and_reports_refusals(new_order, people, data):
    a, b = new_order(), new_order()
    actions.order_transition(actor=people["agent"], order=b, action="cancel", reason="x")
    result = actions.orders_bulk(
        actor=people["dispatcher"],
        order_ids=[a.pk, b.pk],
        operation="dispatch",
        value=data["s1"].pk,
    )
    assert result["done"] == [a.pk] and list(result["failed"]) == [b.pk]
    assert ServiceOrder.objects.get(pk=a.pk).station == data["s1"]


def test_cancel_while_waiting_closes_the_pause(new_order, walk, people):
    order = walk(new_order(), "assign")
    actions.order_transition(actor=people["tech"], order=order, action="wait_parts", reason="缺件")
    actions.order_transition(actor=people["agent"], order=order, action="cancel", reason="客户放弃")
    order.refresh_from_db()
    assert order.status == "cancelled" and order.status_before_pause == ""
    assert not order.pauses.filter(ended_at__isnull=True).exists()
