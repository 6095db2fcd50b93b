"""PostgreSQL: five workers sending the same queue at once deliver each message once."""

from __future__ import annotations

import pytest

from aftersales.notifications import actions
from aftersales.notifications.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_workers_never_send_a_message_twice(data, gateway, race):
    customer = data["c1"]
    customer.notify_channel = "sms"
    customer.save()
    for k in range(20):
        actions.notify(
            company_id=customer.company_id, recipient=customer, subject=f"m{k}", channel="sms"
        )
    OutboxMessage.objects.update(
        status="queued"
    )  # sent at once by the trigger? queue them all again
    gateway.requests.clear()
    gateway.delivered.clear()
    results = race(5, lambda i: actions.outbox_send_due())
    assert sum(results) == 20
    keys = [r["headers"]["Idempotency-Key"] for r in gateway.requests]
    assert len(keys) == len(set(keys)) == 20
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
