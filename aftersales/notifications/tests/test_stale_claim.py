"""The stale-claim window of the outbox sweep is a setting (AFTERSALES_OUTBOX_STALE_SECONDS)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from aftersales.core import clock
from aftersales.notifications import actions, tasks
from aftersales.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _claimed(data, seconds_ago: int) -> OutboxMessage:
    customer = data["c1"]
    message, _ = actions.notify(company_id=customer.company_id, recipient=customer, subject="s")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending",
        attempts=1,
        claimed_at=clock.now() - dt.timedelta(seconds=seconds_ago),
    )
    return message


def test_the_default_window_is_ten_minutes(data):
    assert actions.stale_after() == dt.timedelta(minutes=10)
    message = _claimed(data, 90)
    assert actions.outbox_recover_stale() == 0
    message.refresh_from_db()
    assert message.status == "sending"


@override_settings(AFTERSALES_OUTBOX_STALE_SECONDS=60)
def test_a_short_window_lets_the_periodic_sweep_take_a_dead_workers_claim_back(data):
    fresh, stale = _claimed(data, 30), _claimed(data, 90)
    tasks.outbox_sweep.call_local()  # the periodic job the workers run every minute
    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert fresh.status == "sending"  # within the window: its worker may still be sending
    assert stale.status != "sending" and "worker stopped during delivery" in stale.last_error
