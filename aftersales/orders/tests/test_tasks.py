"""The background jobs call the actions (Huey runs in immediate mode under test)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from aftersales.notifications.actions import outbox_send_due
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import tasks
from aftersales.orders.models import OrderEscalation


def test_escalation_sweep_escalates_due_orders_and_outbox_sends_once(new_order, people):
    order = new_order(priority="high", created_at=timezone.now() - dt.timedelta(days=10))
    tasks.escalation_sweep.call_local()
    assert OrderEscalation.objects.filter(order=order).exists()
    tasks.escalation_sweep.call_local()
    levels = list(OrderEscalation.objects.filter(order=order).values_list("target", "level"))
    assert len(levels) == len(set(levels))


def test_outbox_marks_messages_sent_and_never_resends(people, org_tree):
    from aftersales.notifications.actions import notify

    message, created = notify(
        company_id=org_tree["company"].pk,
        recipient=people["admin"],
        subject="测试",
        dedupe_key="k-1",
    )
    again, created_again = notify(
        company_id=org_tree["company"].pk,
        recipient=people["admin"],
        subject="测试",
        dedupe_key="k-1",
    )
    assert (created, created_again, again.pk) == (True, False, message.pk)
    assert outbox_send_due() == 1
    assert outbox_send_due() == 0
    assert OutboxMessage.objects.get(pk=message.pk).status == "sent"


def test_recompute_task_reports_changed_orders(new_order, org_tree):
    new_order()
    assert (
        tasks.orders_recompute_due_task.call_local(org_tree["company"].pk, provisional_only=False)
        == 0
    )
