"""Service levels: escalation as due times come near and pass, due times recomputed after a
calendar change, and the company's policies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from aftersales.calendars import actions as calendar_actions
from aftersales.calendars.models import CalendarYear
from aftersales.core.errors import PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import service_levels
from aftersales.orders.models import OrderEscalation, OrderEvent, ServiceOrder

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


# --- escalation ------------------------------------------------------------------------------


def test_escalation_run_twice_sends_once(
    new_order, walk, people, django_capture_on_commit_callbacks
):
    order = walk(new_order(priority="high", created_at=at(2025, 9, 15, 9)), "dispatch")
    with django_capture_on_commit_callbacks(execute=True):
        assert service_levels.escalation_run(now=at(2025, 9, 15, 10, 40)) == 1  # 80 % of 2 h
    with django_capture_on_commit_callbacks(execute=True):
        assert service_levels.escalation_run(now=at(2025, 9, 15, 10, 40)) == 0
    messages = OutboxMessage.objects.filter(recipient=people["station_manager"])
    assert messages.count() == 1
    assert OrderEscalation.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, kind="escalation").count() == 1


def test_escalation_levels_follow_the_clock(
    new_order, walk, people, django_capture_on_commit_callbacks
):
    order = walk(new_order(priority="high", created_at=at(2025, 9, 15, 9)), "dispatch")
    with django_capture_on_commit_callbacks(execute=True):
        service_levels.escalation_run(now=at(2025, 9, 15, 11, 5))  # past the due time: level 2
    with django_capture_on_commit_callbacks(execute=True):
        service_levels.escalation_run(now=at(2025, 9, 15, 12, 5))  # past 150 %: level 3
    levels = set(
        OrderEscalation.objects.filter(order=order, target="respond").values_list(
            "level", flat=True
        )
    )
    assert levels == {2, 3}
    assert OutboxMessage.objects.filter(recipient=people["service_manager"]).count() >= 1
    assert OutboxMessage.objects.filter(recipient=people["department_head"]).count() >= 1
    order.refresh_from_db()
    assert order.breached and order.target_state("respond") == "breached"


def test_met_target_does_not_escalate(new_order, walk):
    order = walk(new_order(priority="high", created_at=at(2025, 9, 15, 9)), "accept")
    ServiceOrder.objects.filter(pk=order.pk).update(responded_at=at(2025, 9, 15, 9, 30))
    service_levels.escalation_run(now=at(2025, 9, 15, 10, 50))
    assert not OrderEscalation.objects.filter(order=order, target="respond").exists()


# --- provisional due times -------------------------------------------------------------------


def test_unloaded_year_gives_provisional_due_times_and_loading_it_recomputes(
    new_order, people, org_tree, django_capture_on_commit_callbacks
):
    CalendarYear.objects.filter(company=org_tree["company"], year=2025).delete()
    from aftersales.calendars.models import CalendarDay

    CalendarDay.objects.filter(company=org_tree["company"], date__year=2025).delete()
    with django_capture_on_commit_callbacks(execute=True):
        order = new_order(priority="medium", created_at=at(2025, 9, 30, 16))
    assert order.due_provisional is True
    assert order.respond_due == at(2025, 10, 2, 10)  # weekly pattern: National Day not known
    alert = OutboxMessage.objects.get(recipient=people["admin"])
    assert "2025" in alert.subject
    with django_capture_on_commit_callbacks(execute=True):
        calendar_actions.calendar_year_load(actor=people["admin"], company_id=0, year=2025)
    order.refresh_from_db()
    assert order.due_provisional is False
    assert order.respond_due == at(2025, 10, 10, 10)
    assert order.events.filter(kind="due_recomputed").count() == 1


def test_company_closure_moves_open_due_times(
    new_order, people, django_capture_on_commit_callbacks
):
    order = new_order(priority="medium", created_at=at(2025, 9, 15, 9))
    assert order.respond_due == at(2025, 9, 16, 12)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_actions.calendar_closure_add(
            actor=people["admin"], date=dt.date(2025, 9, 16), name="盘点"
        )
    order.refresh_from_db()
    assert order.respond_due == at(2025, 9, 17, 12)


def test_loading_an_unpublished_year_is_refused(people):
    from aftersales.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        calendar_actions.calendar_year_load(actor=people["admin"], company_id=0, year=2099)
    assert exc.value.code == "schedule_unknown"


# --- policies --------------------------------------------------------------------------------


def test_a_region_policy_applies_to_new_orders_only(new_order, people, data):
    before = new_order(priority="medium", created_at=at(2025, 9, 15, 9))
    service_levels.sla_policy_save(
        actor=people["service_manager"],
        name="华东加急",
        priority="medium",
        region=data["east"],
        respond_minutes=60,
        respond_clock="working",
    )
    after = new_order(priority="medium", created_at=at(2025, 9, 15, 9))
    assert after.respond_due == at(2025, 9, 15, 10)
    assert after.sla_policy.name == "华东加急"
    before.refresh_from_db()
    assert before.respond_due == at(2025, 9, 16, 12)


def test_policy_needs_a_goal_and_an_editor(people):
    with pytest.raises(ValidationFailed) as exc:
        service_levels.sla_policy_save(actor=people["service_manager"], name="空")
    assert "respond_minutes" in exc.value.errors
    with pytest.raises(PermissionDenied):
        service_levels.sla_policy_save(actor=people["agent"], name="x", respond_minutes=5)
