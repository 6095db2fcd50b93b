"""Queue messages in the outbox and send them.

Every message is a row first (queued); a worker claims it (sending, committed), hands it to the
channel, and marks it sent — or back to queued with back-off, or failed with the reason after
the last try. Two workers never claim the same row (row lock, SKIP LOCKED). A worker that dies
between the claim and the mark leaves a stale "sending" row: on channels that drop a repeated
idempotency key (SMS gateway, webhook) the sweep sends it again with the same key; on the
others it is marked failed ("interrupted") rather than risk a second copy. Nothing is lost
and nothing is sent twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.permissions import Perm, require
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.queue import trigger
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.customers.models import Customer
from aftersales.notifications import channels, rendering, tasks
from aftersales.notifications.models import (
    MessageTemplate,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from aftersales.notifications.selectors import company_wording, notification_settings

MAX_ATTEMPTS = 6


def stale_after() -> dt.timedelta:
    """How long a claimed ("sending") message may stay claimed before the sweep takes it back:
    `AFTERSALES_OUTBOX_STALE_SECONDS` (default 10 minutes), read at each sweep."""
    return dt.timedelta(seconds=settings.AFTERSALES_OUTBOX_STALE_SECONDS)


def notify(
    *,
    company_id: int,
    recipient: Any,
    subject: str,
    body: str = "",
    dedupe_key: str | None = None,
    channel: str = "console",
    event: str = "",
    language: str = "",
    send_at: dt.datetime | None = None,
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
                event=event,
                language=language,
                subject=str(subject)[:200],
                body=str(body),
                dedupe_key=dedupe_key or None,
                next_attempt_at=send_at or clock.now(),
                # Replaying the past (import, backfill --as-of) never messages anyone.
                status=OutboxStatus.SUPPRESSED if clock.replaying() else OutboxStatus.QUEUED,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key), False
    if message.status == OutboxStatus.QUEUED:
        transaction.on_commit(_trigger_send)
    return message, True


def may_contact(customer: Customer, purpose: str) -> bool:
    """Whether the customer may get a message of this purpose: service and survey messages
    unless the customer withdrew that consent; marketing only with consent given."""
    latest = customer.consents.filter(purpose=purpose).order_by("-at", "-id").first()
    if purpose == "marketing":
        return bool(latest and latest.granted)
    return latest is None or latest.granted


def _quiet(company_id: int) -> rendering.QuietHours | None:
    conf = notification_settings(company_id)
    if conf.quiet_from is None or conf.quiet_until is None:
        return None
    return rendering.QuietHours(conf.quiet_from, conf.quiet_until)


def notify_customer(
    *,
    company_id: int,
    customer: Customer,
    event: str,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    channel: str | None = None,
) -> OutboxMessage | None:
    """A message to a customer about `event`, in their language, by their channel (or the one
    given), worded by
    the company's template (else the default), held until the quiet hours end unless urgent.
    None when the customer withdrew consent for this kind of message."""
    if not may_contact(customer, rendering.PURPOSE.get(event, "service")):
        return None
    language = customer.language or settings.LANGUAGE_CODE
    custom = {k: (t.subject, t.body) for k, t in company_wording(company_id, event).items()}
    subject, body = rendering.template_for(event, language, custom)
    now = clock.localtime()
    send_at = rendering.send_after(now, _quiet(company_id), event)
    message, _created = notify(
        company_id=company_id,
        recipient=customer,
        subject=rendering.render(subject, context),
        body=rendering.render(body, context),
        dedupe_key=dedupe_key,
        channel=channel or customer.notify_channel or settings.AFTERSALES_CUSTOMER_CHANNEL,
        event=event,
        language=language,
        send_at=send_at,
    )
    return message


def _trigger_send() -> None:

    trigger(tasks.outbox_send_task)


def _claim(pk: int, now: dt.datetime) -> OutboxMessage | None:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
            .select_related("recipient", "customer")
            .first()
        )
        if message is None:
            return None
        message.status, message.claimed_at = OutboxStatus.SENDING, now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts"])
    return message


def _finish(message: OutboxMessage, error: str | None) -> None:
    now = clock.now()
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if row.status != OutboxStatus.SENDING or row.claimed_at != message.claimed_at:
            return  # the sweep already dealt with it
        if error is None:
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
            if row.event in rendering.SECRET:  # a sign-in code is not kept once handed over
                row.body = ""
        elif row.attempts >= MAX_ATTEMPTS:
            row.status, row.last_error = OutboxStatus.FAILED, error[:500]
            if row.event in rendering.SECRET:
                row.body = ""
        else:
            row.status, row.last_error = OutboxStatus.QUEUED, error[:500]
            row.next_attempt_at = now + rendering.backoff(row.attempts)
        row.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at", "body"])


def outbox_send_due(*, limit: int = 200) -> int:
    """Send queued messages whose time has come; returns how many were sent."""
    sent = 0
    now = clock.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        message = _claim(pk, now)
        if message is None:
            continue  # another worker has it, or it is no longer due
        try:
            channels.deliver(message)
        except channels.DeliveryError as exc:
            _finish(message, str(exc))
        except Exception as exc:  # a channel bug is recorded like a failure, never raised
            _finish(message, f"{type(exc).__name__}: {exc}")
        else:
            _finish(message, None)
            sent += 1
    return sent


def outbox_recover_stale(*, now: dt.datetime | None = None) -> int:
    """Messages a dead worker left "sending": again (same idempotency key) where the channel
    drops repeats, otherwise failed — never a second copy. Returns how many were touched."""
    now = now or clock.now()
    before = now - stale_after()
    stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=before)
    touched = 0
    for pk in stale.values_list("id", flat=True):
        with transaction.atomic():
            row = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=OutboxStatus.SENDING, claimed_at__lt=before)
                .first()
            )
            if row is None:
                continue
            if row.channel in channels.IDEMPOTENT and row.attempts < MAX_ATTEMPTS:
                row.status, row.next_attempt_at = OutboxStatus.QUEUED, now
                row.last_error = "worker stopped during delivery; sent again with the same key"
            else:
                row.status = OutboxStatus.FAILED
                row.last_error = (
                    "worker stopped during delivery; not sent again (it may have gone out)"
                )
            row.save(update_fields=["status", "next_attempt_at", "last_error"])
            touched += 1
    return touched


@transaction.atomic
def notification_settings_update(
    *, actor: Any, quiet_from: dt.time | None, quiet_until: dt.time | None
) -> NotificationSettings:
    """Set or clear the company's quiet hours (both or neither)."""
    require(actor, Perm.FEEDBACK_RULES)
    if (quiet_from is None) != (quiet_until is None):
        raise ValidationFailed({"quiet_until": _("Give both ends of the quiet hours, or neither.")})
    row, _created = NotificationSettings.objects.get_or_create(company_id=actor.company_id)
    before = [str(row.quiet_from), str(row.quiet_until)]
    row.quiet_from, row.quiet_until = quiet_from, quiet_until
    row.save()
    audit_record(
        actor=actor,
        action="notification_settings.update",
        obj=row,
        changes={"quiet_hours": [before, [str(quiet_from), str(quiet_until)]]},
    )
    return row


@transaction.atomic
def message_template_save(
    *, actor: Any, event: str, language: str, subject: str, body: str
) -> MessageTemplate | None:
    """The company's own wording of an event's message in a language; an empty body goes back
    to the default."""
    require(actor, Perm.FEEDBACK_RULES)
    errors = Errors()
    if event not in rendering.EVENTS:
        errors.add("event", _("Unknown event."))
    if language not in ("zh-hans", "en"):
        errors.add("language", _("Unknown language."))
    subject, body = (subject or "").strip(), (body or "").strip()
    if body and not subject:
        errors.add("subject", _("Give a subject."))
    if len(subject) > 200 or len(body) > 1000:
        errors.add("body", _("At most %(n)d characters.") % {"n": 1000})
    errors.raise_if_any()
    found = MessageTemplate.objects.filter(
        company_id=actor.company_id, event=event, language=language
    ).first()
    if not body:
        if found is not None:
            audit_record(actor=actor, action="message_template.reset", obj=found)
            found.delete()
        return None
    row = found or MessageTemplate(company_id=actor.company_id, event=event, language=language)
    row.subject, row.body = subject, body
    row.save()
    audit_record(actor=actor, action="message_template.save", obj=row)
    return row
