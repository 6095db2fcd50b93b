"""The outbox: channels behind one interface, consent and preferences, quiet hours, retries
with back-off, and a worker that dies losing nothing and sending nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from aftersales.customers import actions as customer_actions
from aftersales.notifications import actions
from aftersales.notifications.models import MessageTemplate, NotificationSettings, OutboxMessage

pytestmark = pytest.mark.django_db


def _customer(data, **changes):
    customer = data["c1"]
    for k, v in changes.items():
        setattr(customer, k, v)
    customer.save()
    return customer


def _send_all():
    """Run the worker until nothing is due (retries are made due by moving the clock row)."""
    return actions.outbox_send_due()


def test_sms_goes_to_the_gateway_with_an_idempotency_key(
    data, gateway, django_capture_on_commit_callbacks
):
    customer = _customer(data, notify_channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="report",
            context={"number": "A1", "link": "https://x/r/abc"},
        )
    message.refresh_from_db()
    assert message.status == "sent"
    [request] = gateway.requests
    assert request["body"]["to"] == "13812345678"
    assert "A1" in request["body"]["text"] and "https://x/r/abc" in request["body"]["text"]
    assert request["headers"]["Idempotency-Key"] == f"outbox-{message.pk}"


def test_email_and_webhook_channels(data, gateway, django_capture_on_commit_callbacks):
    import hashlib
    import hmac
    import json

    customer = _customer(data, notify_channel="email", email="zhang@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="no_show",
            context={"number": "A2"},
        )
    assert mail.outbox[-1].to == ["zhang@example.com"]
    assert mail.outbox[-1].subject == "We missed you" and "A2" in mail.outbox[-1].body
    customer = _customer(data, notify_channel="", language="")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify(
            company_id=customer.company_id,
            recipient=customer,
            subject="s",
            body="b",
            channel="webhook",
            event="x",
        )
    request = gateway.requests[-1]
    raw = json.dumps(request["body"], ensure_ascii=False).encode()
    expected = hmac.new(b"test-secret", raw, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Aftersales-Signature"] == expected


def test_template_per_language_and_company_wording(data, django_capture_on_commit_callbacks):
    customer = _customer(data, language="en")
    MessageTemplate.objects.create(
        company=customer.company,
        event="eta",
        language="en",
        subject="On the way",
        body="{technician} arrives {eta} ({number})",
    )
    message = actions.notify_customer(
        company_id=customer.company_id,
        customer=customer,
        event="eta",
        context={"number": "A3", "technician": "Wang", "eta": "10:30"},
    )
    assert (message.subject, message.body) == ("On the way", "Wang arrives 10:30 (A3)")
    customer = _customer(data, language="zh-hans")
    message = actions.notify_customer(
        company_id=customer.company_id,
        customer=customer,
        event="eta",
        context={"number": "A4", "technician": "王师傅", "eta": "10:30"},
    )
    assert message.body == "工单A4：王师傅已出发，预计10:30左右到达。"


def test_withdrawn_consent_stops_survey_messages_but_not_service_ones(data, agent):
    customer = data["c1"]
    customer_actions.consent_record(
        actor=agent, customer=customer, purpose="survey", granted=False, channel="phone"
    )
    assert (
        actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="survey",
            context={"number": "A5", "link": "l", "days": 7},
        )
        is None
    )
    assert (
        actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="report",
            context={"number": "A5", "link": "l"},
        )
        is not None
    )
    customer_actions.consent_record(
        actor=agent, customer=customer, purpose="survey", granted=True, channel="phone"
    )
    assert (
        actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="survey",
            context={"number": "A5", "link": "l", "days": 7},
            dedupe_key="again",
        )
        is not None
    )


def test_marketing_needs_consent_given(data, agent):
    customer = data["c1"]
    assert actions.may_contact(customer, "marketing") is False
    customer_actions.consent_record(
        actor=agent, customer=customer, purpose="marketing", granted=True, channel="sms"
    )
    assert actions.may_contact(customer, "marketing") is True


def test_quiet_hours_hold_a_survey_until_morning(data):
    customer = data["c1"]
    NotificationSettings.objects.create(
        company=customer.company, quiet_from=dt.time(0), quiet_until=dt.time(23, 59)
    )
    message = actions.notify_customer(
        company_id=customer.company_id,
        customer=customer,
        event="survey",
        context={"number": "A6", "link": "l", "days": 7},
    )
    assert message.next_attempt_at > timezone.now()
    assert actions.outbox_send_due() == 0
    message.refresh_from_db()
    assert message.status == "queued"
    otp = actions.notify_customer(
        company_id=customer.company_id,
        customer=customer,
        event="otp",
        context={"code": "1", "minutes": 10},
    )
    assert otp.next_attempt_at <= timezone.now()


def test_a_failing_channel_is_retried_with_back_off_then_failed(data, gateway):
    customer = _customer(data, notify_channel="sms")
    gateway.fail_next = 100
    message, _ = actions.notify(
        company_id=customer.company_id, recipient=customer, subject="s", channel="sms"
    )
    waits = []
    for _attempt in range(actions.MAX_ATTEMPTS):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        actions.outbox_send_due()
        message.refresh_from_db()
        if message.status == "queued":
            waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
    assert message.status == "failed" and "HTTP 503" in message.last_error
    assert message.attempts == actions.MAX_ATTEMPTS
    assert waits == [1, 2, 4, 8, 16]
    assert len(gateway.requests) == actions.MAX_ATTEMPTS and gateway.delivered == {}


def test_a_retry_after_a_failure_delivers_once(data, gateway):
    customer = _customer(data, notify_channel="sms")
    gateway.fail_next = 1
    message, _ = actions.notify(
        company_id=customer.company_id, recipient=customer, subject="s", channel="sms"
    )
    actions.outbox_send_due()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert actions.outbox_send_due() == 1
    assert actions.outbox_send_due() == 0
    assert len(gateway.delivered) == 1


def test_no_gateway_configured_is_a_recorded_failure_not_a_crash(data, settings):
    settings.AFTERSALES_SMS_URL = ""
    customer = _customer(data, notify_channel="sms")
    message, _ = actions.notify(
        company_id=customer.company_id, recipient=customer, subject="s", channel="sms"
    )
    actions.outbox_send_due()
    message.refresh_from_db()
    assert message.status == "queued" and "AFTERSALES_SMS_URL" in message.last_error


def _stale(message):
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, claimed_at=timezone.now() - dt.timedelta(minutes=30)
    )


def test_a_dead_worker_s_sms_is_sent_again_with_the_same_key(data, gateway):
    customer = _customer(data, notify_channel="sms")
    message, _ = actions.notify(
        company_id=customer.company_id, recipient=customer, subject="s", channel="sms"
    )
    _stale(message)
    assert actions.outbox_send_due() == 0  # a "sending" row is not taken by the normal run
    assert actions.outbox_recover_stale() == 1
    assert actions.outbox_send_due() == 1
    assert list(gateway.delivered) == [f"outbox-{message.pk}"]


def test_a_dead_worker_s_email_is_marked_failed_not_sent_twice(data):
    customer = _customer(data, notify_channel="email", email="a@example.com")
    message, _ = actions.notify(
        company_id=customer.company_id, recipient=customer, subject="s", channel="email"
    )
    _stale(message)
    sent_before = len(mail.outbox)
    actions.outbox_recover_stale()
    actions.outbox_send_due()
    message.refresh_from_db()
    assert message.status == "failed" and "not sent again" in message.last_error
    assert len(mail.outbox) == sent_before


def test_a_fresh_sending_row_is_left_alone(data):
    customer = data["c1"]
    message, _ = actions.notify(company_id=customer.company_id, recipient=customer, subject="s")
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", claimed_at=timezone.now())
    assert actions.outbox_recover_stale() == 0


def test_a_message_written_while_replaying_the_past_is_kept_but_never_sent(
    data, gateway, django_capture_on_commit_callbacks
):
    from aftersales.core import clock

    customer = _customer(data, notify_channel="sms")
    past = timezone.now() - dt.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True), clock.at(past, source="import"):
        message = actions.notify_customer(
            company_id=customer.company_id,
            customer=customer,
            event="report",
            context={"number": "A1", "link": "https://x/r/abc"},
        )
    assert message is not None
    message.refresh_from_db()
    assert message.status == "suppressed"
    assert message.created_at == past
    _send_all()
    message.refresh_from_db()
    assert message.status == "suppressed" and gateway.requests == []
