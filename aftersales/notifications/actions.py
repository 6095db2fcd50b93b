"""Queue messages in the outbox and send them. Sending is at most once per row: the row is
locked and marked in the same transaction that hands it to the channel."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from aftersales.core.phones import mask_phone
from aftersales.customers.models import Customer
from aftersales.notifications.models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger("aftersales.notifications")
MAX_ATTEMPTS = 5


def notify(
    *,
    company_id: int,
    recipient: Any,
    subject: str,
    body: str = "",
    dedupe_key: str | None = None,
    channel: str = "console",
) -> tuple[OutboxMessage, bool]:
    """Queue one message to a user or a customer; with a `dedupe_key` already used, return that
    row and False."""
    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            to_customer = isinstance(recipient, Customer)
            message = OutboxMessage.objects.create(
                company_id=company_id,
                recipient=None if to_customer else recipient,
                customer=recipient if to_customer else None,
                channel=channel,
                subject=str(subject)[:200],
                body=str(body),
                dedupe_key=dedupe_key or None,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key), False
    transaction.on_commit(_trigger_send)
    return message, True


def _trigger_send() -> None:
    from aftersales.notifications import tasks

    tasks.outbox_send_task()


def _deliver(message: OutboxMessage) -> None:
    """The channels available before the notifications issue: the log and the in-app inbox."""
    if message.channel == Channel.CONSOLE:
        if message.customer_id:
            to = f"customer {message.customer_id} ({mask_phone(message.customer.phone)})"
        else:
            to = message.recipient.username if message.recipient else "-"
        log.info("message to %s: %s\n%s", to, message.subject, message.body)
    # IN_APP: the row itself is the message; nothing to hand over.


def outbox_send_due(*, limit: int = 200) -> int:
    """Send queued messages whose time has come; returns how many were sent."""
    sent = 0
    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status=OutboxStatus.QUEUED)
                .select_related("recipient", "customer")
                .first()
            )
            if message is None:
                continue
            message.attempts += 1
            try:
                _deliver(message)
            except Exception as exc:  # a channel failure is recorded, never raised
                message.last_error = str(exc)[:500]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxStatus.FAILED
                else:
                    message.next_attempt_at = now + dt.timedelta(minutes=2**message.attempts)
            else:
                message.status = OutboxStatus.SENT
                message.sent_at = timezone.now()
                sent += 1
            message.save(
                update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"]
            )
    return sent
