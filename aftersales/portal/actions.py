"""The customer portal's writes: sign-in codes, and what a signed-in customer may do with
their own units and orders. Every action takes the customer ids the session proved (by the
one-time code) and refuses anything that is not theirs; the work itself is done by the
staff actions, on behalf of the company's portal account (a user that cannot log in)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, User
from aftersales.catalog.models import ProductModel
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError, Conflict, NotFound
from aftersales.core.phones import is_valid_phone, normalize_phone
from aftersales.core.selectors import as_id
from aftersales.core.validation import ValidationFailed
from aftersales.customers.actions import consent_record, unit_create
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.dispatch.actions import appointment_book
from aftersales.dispatch.selectors import appointment_slots as slots
from aftersales.feedback.actions import complaint_create, follow_up_answer_by_customer
from aftersales.notifications.actions import may_contact, notify_customer
from aftersales.orders import uploads
from aftersales.orders.actions import order_attach, order_create, order_transition
from aftersales.orders.models import ServiceOrder
from aftersales.portal.models import PortalCode, UnitInvoice

CODE_MINUTES = 10
MAX_TRIES_PER_CODE = 5
CODES_PER_MINUTE = 1
CODES_PER_HOUR = 5
CODES_PER_IP_HOUR = 20
FAILED_PER_PHONE_HOUR = 10
# Until the technician sets off the customer may cancel or move the visit themselves.
CUSTOMER_MAY_CHANGE = frozenset(
    {"registered", "reopened", "triaged", "dispatched", "assigned", "accepted"}
)


class TooMany(ApplicationError):
    status = 429


def _hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone(value: str) -> str:
    digits = normalize_phone(value or "")
    if not is_valid_phone(digits):
        raise ValidationFailed({"phone": _("Not a valid phone number.")})
    return digits


def code_request(*, phone: str, ip: str = "", now: dt.datetime | None = None) -> None:
    """Send a sign-in code to the phone (through the SMS channel; the log in the demo).
    Throttled per phone and per address; answers the same whether or not the phone is known,
    so the page tells nobody which numbers are customers."""
    now = now or clock.now()
    digits = _phone(phone)
    with transaction.atomic():
        recent = PortalCode.objects.filter(phone=digits)
        if recent.filter(created_at__gt=now - dt.timedelta(minutes=1)).count() >= CODES_PER_MINUTE:
            raise TooMany("too_many_codes", _("Wait a minute before asking for another code."))
        if recent.filter(created_at__gt=now - dt.timedelta(hours=1)).count() >= CODES_PER_HOUR:
            raise TooMany("too_many_codes", _("Too many codes for this number; try again later."))
        if (
            ip
            and PortalCode.objects.filter(ip=ip, created_at__gt=now - dt.timedelta(hours=1)).count()
            >= CODES_PER_IP_HOUR
        ):
            raise TooMany("too_many_codes", _("Too many codes from here; try again later."))
        code = f"{secrets.randbelow(10**6):06d}"
        row = PortalCode.objects.create(
            phone=digits,
            code_hash=_hash(digits, code),
            ip=ip[:45],
            created_at=now,
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        customer = Customer.objects.filter(phone=digits).order_by("id").first()
        if customer is not None:
            notify_customer(
                company_id=customer.company_id,
                customer=customer,
                event="otp",
                context={"code": code, "minutes": CODE_MINUTES},
                dedupe_key=f"otp:{row.pk}",
                channel="sms" if settings.AFTERSALES_SMS_URL else "console",
            )


def code_verify(*, phone: str, code: str, now: dt.datetime | None = None) -> list[int]:
    """The ids of the customers with this phone, when `code` is the phone's latest valid code;
    each code works once, for 10 minutes, and only a few wrong tries are allowed."""
    now = now or clock.now()
    digits = _phone(phone)
    code = (code or "").strip()
    wrong = False
    with transaction.atomic():
        failed = sum(
            PortalCode.objects.filter(
                phone=digits, created_at__gt=now - dt.timedelta(hours=1)
            ).values_list("failed", flat=True)
        )
        if failed >= FAILED_PER_PHONE_HOUR:
            raise TooMany("too_many_tries", _("Too many wrong codes; try again in an hour."))
        row = (
            PortalCode.objects.select_for_update()
            .filter(phone=digits, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None:
            raise Conflict(
                "code_expired", _("The code has expired or was used; ask for a new one.")
            )
        if row.failed >= MAX_TRIES_PER_CODE:
            raise TooMany("too_many_tries", _("Too many wrong codes; ask for a new one."))
        if not hmac.compare_digest(_hash(digits, code), row.code_hash):
            row.failed += 1
            row.save(update_fields=["failed"])
            wrong = True
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    if wrong:  # the failed try is counted (committed above) before the refusal
        raise ValidationFailed({"code": _("This code is not right.")})
    return list(Customer.objects.filter(phone=digits).values_list("id", flat=True))


# --- on the customer's behalf ----------------------------------------------------------------


def portal_user(company_id: int) -> User:
    """The company's portal account: the actor of what customers do in the portal (it has no
    password and cannot sign in)."""
    company = Company.objects.get(pk=company_id)
    username = f"portal-{company.code}"
    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    user = org.user_create(
        actor=None,
        username=username,
        password=secrets.token_urlsafe(24),
        role=Role.AGENT,
        company=company,
        first_name=str(_("Customer portal")),
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _own_order(customer_ids: list[int], order: Any) -> ServiceOrder:
    found = ServiceOrder.objects.filter(
        pk=as_id(order.pk if isinstance(order, ServiceOrder) else order),
        customer_id__in=customer_ids,
    ).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _own_unit(customer_ids: list[int], unit: Any) -> InstalledUnit:
    found = (
        InstalledUnit.objects.filter(pk=as_id(unit), customer_id__in=customer_ids)
        .select_related("customer")
        .first()
    )
    if found is None:
        raise ValidationFailed({"unit": _("Choose one of your units.")})
    return found


@transaction.atomic
def unit_register(
    *,
    customer_ids: list[int],
    product_model: Any,
    serial: str,
    purchase_date: Any = None,
    invoice: Any = None,
) -> InstalledUnit:
    """A customer registers a unit they own (serial typed or read from the QR code), with
    the invoice photo as the 三包 evidence."""
    model = ProductModel.objects.filter(pk=as_id(product_model), is_active=True).first()
    customer = (
        Customer.objects.filter(pk__in=customer_ids, company_id=model.category.company_id)
        .order_by("id")
        .first()
        if model
        else None
    )
    if model is None or customer is None:
        raise ValidationFailed({"product_model": _("Choose your product's model.")})
    cleaned = uploads.clean_image(invoice, field="invoice") if invoice else None
    unit = unit_create(
        actor=portal_user(customer.company_id),
        customer=customer,
        product_model=model,
        serial=serial,
        purchase_date=purchase_date or None,
    )
    if cleaned is not None:
        data, content_type, ext = cleaned
        UnitInvoice.objects.create(
            unit=unit,
            stored_name=uploads.store(data, ext),
            content_type=content_type,
            size=len(data),
        )
    return unit


@transaction.atomic
def fault_report(
    *, customer_ids: list[int], unit: Any, fault_description: str, photos: list[Any] | None = None
) -> ServiceOrder:
    """A customer reports a fault of one of their units, with photos."""
    found = _own_unit(customer_ids, unit)
    if not (fault_description or "").strip():
        raise ValidationFailed({"fault_description": _("Describe the fault.")})
    actor = portal_user(found.company_id)
    try:
        order, _created = order_create(
            actor=actor,
            customer=found.customer,
            unit=found,
            channel="portal",
            fault_description=fault_description.strip()[:2000],
        )
    except Conflict as exc:
        if exc.code != "possible_duplicate":
            raise
        numbers = ", ".join(o["number"] for o in exc.details.get("orders", []))
        raise Conflict(
            "open_request",
            _("This unit already has an open request (%(numbers)s); follow it under My requests.")
            % {"numbers": numbers},
        ) from None
    if photos:
        order_attach(actor=actor, order=order, files=photos)
    return order


def appointment_slots(*, customer_ids: list[int], order: Any) -> list[Any]:
    found = _own_order(customer_ids, order)
    if found.status not in CUSTOMER_MAY_CHANGE:
        return []
    return slots(actor=portal_user(found.company_id), order=found, first=clock.today())


@transaction.atomic
def appointment_choose(
    *, customer_ids: list[int], order: Any, start: dt.datetime, end: dt.datetime
) -> ServiceOrder:
    """The customer books (or moves) the visit in one of the offered windows, until the
    technician sets off."""
    found = _own_order(customer_ids, order)
    if found.status not in CUSTOMER_MAY_CHANGE:
        raise Conflict("too_late", _("The technician is on the way; call us to change the visit."))
    appointment_book(
        actor=portal_user(found.company_id), order=found, start=start, end=end, by_customer=True
    )
    return ServiceOrder.objects.get(pk=found.pk)


@transaction.atomic
def order_cancel(*, customer_ids: list[int], order: Any, reason: str) -> ServiceOrder:
    """The customer cancels, until the technician sets off."""
    found = _own_order(customer_ids, order)
    if found.status not in CUSTOMER_MAY_CHANGE:
        raise Conflict("too_late", _("The technician is on the way; call us to cancel."))
    reason = (reason or "").strip() or str(_("Cancelled by the customer in the portal"))
    return order_transition(
        actor=portal_user(found.company_id), order=found, action="cancel", reason=reason
    )


@transaction.atomic
def visit_rate(*, customer_ids: list[int], order: Any, answers: dict[str, Any]) -> Any:
    """The customer answers the follow-up questions for a completed visit (once)."""
    found = _own_order(customer_ids, order)
    task = getattr(found, "follow_up", None)
    if task is None:
        raise Conflict("not_completed", _("The visit can be rated once it is completed."))
    return follow_up_answer_by_customer(follow_up=task, answers=answers)


@transaction.atomic
def complaint_file(
    *, customer_ids: list[int], description: str, category: str, order: Any = None
) -> Any:
    found = _own_order(customer_ids, order) if order not in (None, "") else None
    customer = found.customer_id if found else min(customer_ids, default=None)
    if customer is None:
        raise NotFound("not_found", _("Not found."))
    return complaint_create(
        actor=None,
        customer=customer,
        order=found,
        source="portal",
        category=category,
        severity="medium",
        description=description,
    )


@transaction.atomic
def preferences_set(
    *, customer_ids: list[int], notify_channel: str, language: str, surveys: bool
) -> None:
    """The customer's own choices: how and in which language we write, and whether they want
    follow-up surveys (recorded as a consent given or withdrawn from the portal)."""
    if notify_channel not in ("", "sms", "email") or language not in ("", "zh-hans", "en"):
        raise ValidationFailed({"notify_channel": _("Choose one of the offered options.")})
    for customer in Customer.objects.select_for_update().filter(pk__in=customer_ids):
        if notify_channel == "email" and not customer.email:
            raise ValidationFailed(
                {"notify_channel": _("We have no e-mail address for you; call us to add one.")}
            )
        before = [customer.notify_channel, customer.language]
        customer.notify_channel, customer.language = notify_channel, language
        customer.save(update_fields=["notify_channel", "language", "updated_at"])
        if before != [notify_channel, language]:
            audit_record(
                actor=None,
                action="customer.preferences",
                obj=customer,
                changes={"preferences": [before, [notify_channel, language]]},
                reason="portal",
            )
        if may_contact(customer, "survey") != surveys:
            consent_record(
                actor=None, customer=customer, purpose="survey", granted=surveys, channel="portal"
            )
