"""The channels a message can go out by, behind one interface: `deliver(message)` hands the
message over or raises `DeliveryError` (recorded on the row, retried with back-off).

- console: written to the log (the demo, development);
- in_app: the row itself is the message (a user's inbox);
- sms: an HTTP gateway (`AFTERSALES_SMS_URL`, bearer `AFTERSALES_SMS_TOKEN`): POST JSON
  {"to", "text", "id"} with `Idempotency-Key: outbox-<id>`, so a retry after a lost answer is
  not sent twice by the gateway;
- email: Django's mail (`EMAIL_*` settings);
- webhook: POST JSON to the company's URL (`AFTERSALES_WEBHOOK_URL`), signed with
  HMAC-SHA256 of the body (`X-Aftersales-Signature`) and the same idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from aftersales.core.phones import mask_phone

log = logging.getLogger("aftersales.notifications")
TIMEOUT_SECONDS = 10
# Channels whose receiver drops a repeated idempotency key: a delivery interrupted by a dead
# worker may be tried again without a duplicate reaching anyone.
IDEMPOTENT = frozenset({"sms", "webhook", "in_app"})


class DeliveryError(Exception):
    """The channel did not take the message (the reason is kept on the row)."""


def _post(url: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) endpoint: {url!r}")
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from the endpoint") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"endpoint unreachable: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from the endpoint")


def _address(message: Any) -> tuple[str, str]:
    """(phone, e-mail) of the recipient."""
    person = message.customer or message.recipient
    if person is None:
        return "", ""
    return getattr(person, "phone", "") or "", getattr(person, "email", "") or ""


def deliver(message: Any) -> None:
    channel = message.channel
    phone, email = _address(message)
    key = f"outbox-{message.pk}"
    if channel == "console":
        to = (
            mask_phone(phone)
            if message.customer_id
            else getattr(message.recipient, "username", "-")
        )
        log.info("message to %s: %s\n%s", to, message.subject, message.body)
    elif channel == "in_app":
        return
    elif channel == "sms":
        url = getattr(settings, "AFTERSALES_SMS_URL", "")
        if not url:
            raise DeliveryError("no SMS gateway configured (AFTERSALES_SMS_URL)")
        if not phone:
            raise DeliveryError("the recipient has no phone number")
        token = getattr(settings, "AFTERSALES_SMS_TOKEN", "")
        headers = {"Idempotency-Key": key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        _post(url, {"id": key, "to": phone, "text": f"{message.subject}：{message.body}"}, headers)
    elif channel == "email":
        if not email:
            raise DeliveryError("the recipient has no e-mail address")
        try:
            send_mail(message.subject, message.body, None, [email], fail_silently=False)
        except Exception as exc:  # SMTP errors of every kind are a failed delivery
            raise DeliveryError(f"mail not accepted: {exc}") from None
    elif channel == "webhook":
        url = getattr(settings, "AFTERSALES_WEBHOOK_URL", "")
        if not url:
            raise DeliveryError("no webhook configured (AFTERSALES_WEBHOOK_URL)")
        payload = {
            "id": key,
            "event": message.event,
            "subject": message.subject,
            "body": message.body,
            "customer": message.customer_id,
            "user": message.recipient_id,
        }
        secret = getattr(settings, "AFTERSALES_WEBHOOK_SECRET", "").encode()
        signature = hmac.new(
            secret, json.dumps(payload, ensure_ascii=False).encode(), hashlib.sha256
        ).hexdigest()
        _post(url, payload, {"Idempotency-Key": key, "X-Aftersales-Signature": signature})
    else:
        raise DeliveryError(f"unknown channel {channel!r}")
