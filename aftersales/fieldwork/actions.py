"""Every write of the work on site: the technician's moves (accept, decline, depart, check in,
customer absent, cannot keep, pause, resume), the service record (condition check, diagnosis,
photos, parts, charges, result, signature) and finishing the visit.

Each action locks the order row first (the same lock as the order's transitions), so a
double tap and a retry are serialised; a form's one-time `key` makes the second of them a
no-op that answers like the first. Every change writes an `OrderEvent`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.catalog.models import FaultCode, Part
from aftersales.core import clock
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed, set_whole_numbers
from aftersales.dispatch.capacity import dispatch_settings
from aftersales.dispatch.models import Visit
from aftersales.feedback.actions import follow_up_open
from aftersales.fieldwork import rules, signatures
from aftersales.fieldwork.choices import (
    Cause,
    ChargeKind,
    PaymentMethod,
    PhotoKind,
    QuoteStatus,
    Result,
    SignaturePurpose,
)
from aftersales.fieldwork.models import (
    FeeItem,
    FieldSettings,
    Quote,
    QuoteLine,
    Receipt,
    ServiceRecord,
    Signature,
    SitePhoto,
    Submission,
)
from aftersales.fieldwork.selectors import REPORT_SALT as REPORT_SALT
from aftersales.fieldwork.selectors import customer_report_path as customer_report_path
from aftersales.fieldwork.selectors import field_settings as field_settings
from aftersales.fieldwork.selectors import finish_facts as finish_facts
from aftersales.fieldwork.selectors import open_record as open_record
from aftersales.fieldwork.selectors import order_for_report_token as order_for_report_token
from aftersales.fieldwork.selectors import report_token as report_token
from aftersales.fieldwork.selectors import still_missing as still_missing
from aftersales.notifications.actions import notify_customer
from aftersales.orders import uploads
from aftersales.orders.actions import order_event, order_transition
from aftersales.orders.choices import EventKind, Status
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import order_visible
from aftersales.parts import actions as stock
from aftersales.parts.choices import ReservationStatus
from aftersales.parts.models import Reservation, StockMove, Warehouse

# Functions (taking the order and the quote's lines) that add lines to a quote, such as a
# service contract's coverage (negative lines: what the contract pays); higher apps register
# theirs in `AppConfig.ready()`.
QUOTE_HOOKS: list[Any] = []

SETTINGS_FIELDS = ("absent_minutes", "photo_limit", "report_header", "customer_link_days")
_SETTINGS_RANGES = {
    "absent_minutes": (30, 240),
    "photo_limit": (1, 50),
    "customer_link_days": (7, 3650),
}


@transaction.atomic
def field_settings_update(*, actor: User, **changes: Any) -> FieldSettings:
    """Change the company's field-work settings. The wait for an absent customer is never
    below the 30 minutes of 004 篇2 第十一条."""
    require(actor, Perm.FIELD_RULES)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: _("Unknown field.")})
    FieldSettings.objects.get_or_create(company_id=actor.company_id)
    row = FieldSettings.objects.select_for_update().get(company_id=company_of(actor))
    before = snapshot(row, SETTINGS_FIELDS)
    errors = Errors()
    set_whole_numbers(row, changes, _SETTINGS_RANGES, errors)
    if "report_header" in changes:
        header = str(changes["report_header"] or "").strip()
        if len(header) > 1000:
            errors.add("report_header", _("At most %(n)d characters.") % {"n": 1000})
        row.report_header = header
    errors.raise_if_any()
    row.save()
    audit_record(
        actor=actor,
        action="field_settings.update",
        obj=row,
        changes=changed(before, snapshot(row, SETTINGS_FIELDS)),
    )
    return row


FEE_FIELDS = ("code", "name", "kind", "price", "is_active")


@transaction.atomic
def fee_item_save(
    *,
    actor: User,
    fee_item: Any = None,
    code: str,
    name: str,
    kind: str,
    price: Any,
    is_active: bool = True,
) -> FeeItem:
    """Add or change an item of the fee schedule (收费标准). Quotes already made keep the
    price they were made with."""
    require(actor, Perm.FIELD_RULES)
    company_id = company_of(actor)
    row = FeeItem(company_id=company_id)
    if fee_item not in (None, ""):
        found = (
            FeeItem.objects.select_for_update()
            .filter(pk=as_id(fee_item), company_id=company_id)
            .first()
        )
        if found is None:
            raise NotFound("not_found", _("Not found."))
        row = found
    before = snapshot(row, FEE_FIELDS) if row.pk else {}
    errors = Errors()
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32:
        errors.add("code", _("Give a code of at most 32 characters."))
    elif (
        FeeItem.objects.filter(company_id=company_of(actor), code=code).exclude(pk=row.pk).exists()
    ):
        errors.add("code", _("This code is already used."))
    if not name or len(name) > 100:
        errors.add("name", _("Give a name of at most 100 characters."))
    if kind not in ChargeKind.values or kind == ChargeKind.PART:
        errors.add("kind", _("Choose labour, travel or other (parts are priced in the catalog)."))
    try:
        amount = rules.money(str(price))
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if not Decimal(0) <= amount <= Decimal("100000"):
        errors.add("price", _("Give a price between 0 and 100000 yuan."))
    errors.raise_if_any()
    row.code, row.name, row.kind, row.price, row.is_active = (
        code,
        name,
        kind,
        amount,
        bool(is_active),
    )
    row.save()
    audit_record(
        actor=actor,
        action="fee_item.save",
        obj=row,
        changes=changed(before, snapshot(row, FEE_FIELDS)),
    )
    return row


# --- helpers ---------------------------------------------------------------------------------


def _lock(actor: User, order: Any) -> ServiceOrder:
    """The order, locked, if the actor may work on it: order.work, in scope, and for a
    technician only their own."""
    require(actor, Perm.ORDER_WORK)
    locked = _locked_visible(actor, order)
    if actor.role == Role.TECHNICIAN and locked.technician_id != actor.pk:
        raise PermissionDenied("not_your_order", _("This order is assigned to someone else."))
    return locked


def _locked_visible(actor: User, order: Any) -> ServiceOrder:
    """The order, read under lock, if the actor sees it (judged on the row just read)."""
    pk = as_id(order.pk if isinstance(order, ServiceOrder) else order)
    locked = None if pk is None else ServiceOrder.objects.select_for_update().filter(pk=pk).first()
    if locked is None or not order_visible(actor, locked):
        raise NotFound("not_found", _("Not found."))
    return locked


def _first_time(order: ServiceOrder, key: str | None, action: str) -> bool:
    """False when this form was already recorded (the order is locked by the caller)."""
    key = (key or "").strip()[:64]
    if not key:
        return True
    if Submission.objects.filter(order=order, key=key).exists():
        return False
    Submission.objects.create(order=order, key=key, action=action)
    return True


def _event(order: ServiceOrder, actor: User, action: str, payload: dict[str, Any], **kw: Any):
    return order_event(
        order, actor=actor, kind=EventKind.FIELD, action=action, payload=payload, **kw
    )


def _live_visit(order: ServiceOrder) -> Any:
    return Visit.objects.filter(order=order, ended_at__isnull=True).first()


def _end_visit(order: ServiceOrder, now: dt.datetime) -> None:
    Visit.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)


def _record(order: ServiceOrder, now: dt.datetime) -> ServiceRecord:
    """The visit's open record, opened on first use."""
    found = open_record(order)
    if found is None:
        visit = _live_visit(order)
        # Opened on the way or on site: the order's technician is assigned by then.
        technician_id = cast(int, order.technician_id)
        found = ServiceRecord.objects.create(
            order=order, technician_id=technician_id, visit=visit, created_at=now
        )
    return found


def _latest_record(order: ServiceOrder) -> ServiceRecord:
    """The record a replayed form wrote to (it may be finished by now)."""
    return ServiceRecord.objects.filter(order=order).latest("id")


def _on_site(order: ServiceOrder, now: dt.datetime | None = None) -> ServiceRecord:
    if order.status != Status.ON_SITE:
        raise Conflict(
            "not_on_site",
            _("Check in at the customer's site first."),
            details={"status": order.status},
        )
    return _record(order, now or clock.now())


def _signature(
    record: ServiceRecord,
    actor: User,
    purpose: Any,  # SignaturePurpose
    data_url: str,
    signer_name: str,
    errors: Errors,
    now: dt.datetime,
) -> Signature | None:
    signer = (signer_name or "").strip()[:100] or record.order.customer.name
    try:
        png = signatures.decode(data_url)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            errors.add(field, message)
        return None
    if errors:
        return None
    return Signature.objects.create(
        record=record,
        purpose=purpose,
        stored_name=uploads.store(png, "png"),
        signer_name=signer,
        signed_at=now,
        recorded_by=actor,
    )


def _save(record: ServiceRecord, fields: set[str]) -> None:
    record.version += 1
    record.save(update_fields=sorted(fields | {"version"}))


def _tell_customer(order: ServiceOrder, event: str, context: dict[str, Any], key: str) -> None:
    """A message to the order's customer after commit (template per event and language)."""
    transaction.on_commit(
        lambda: notify_customer(
            company_id=order.company_id,
            customer=order.customer,
            event=event,
            context={"number": order.number, **context},
            dedupe_key=key,
        )
    )


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


# --- the technician's moves ------------------------------------------------------------------


@transaction.atomic
def visit_accept(*, actor: User, order: Any, key: str = "") -> ServiceOrder:
    locked = _lock(actor, order)
    if not _first_time(locked, key, "accept"):
        return locked
    return order_transition(actor=actor, order=locked, action="accept")


@transaction.atomic
def visit_decline(*, actor: User, order: Any, reason: str, key: str = "") -> ServiceOrder:
    """Turn the assignment down (a reason is required): the order goes back to dispatch."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "decline"):
        return locked
    done = order_transition(
        actor=actor, order=locked, action="decline", reason=reason, recorded=True
    )
    _end_visit(done, clock.now())
    return done


@transaction.atomic
def visit_depart(
    *, actor: User, order: Any, eta_minutes: Any = None, key: str = ""
) -> ServiceOrder:
    """On the way: the customer is told who is coming and when (ETA)."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "depart"):
        return locked
    errors = Errors()
    minutes: int | None = None
    if eta_minutes not in (None, ""):
        try:
            minutes = int(eta_minutes)
        except (TypeError, ValueError):
            minutes = -1
        if not 1 <= minutes <= 600:
            errors.add("eta_minutes", _("Give the travel time in minutes (1–600)."))
    errors.raise_if_any()
    now = clock.now()
    done = order_transition(actor=actor, order=locked, action="depart", at=now)
    if minutes is None:
        visit = _live_visit(done)
        minutes = (visit.travel_minutes if visit and visit.travel_minutes else None) or 30
    record = _record(done, now)
    record.departed_at, record.eta = now, now + dt.timedelta(minutes=minutes)
    _save(record, {"departed_at", "eta"})
    _event(done, actor, "eta", {"eta": record.eta.isoformat(), "minutes": minutes}, at=now)
    eta_local = _local(record.eta)
    name = actor.get_full_name() or actor.username
    _tell_customer(
        done,
        "eta",
        {"technician": name, "eta": eta_local.strftime("%H:%M")},
        f"eta:{done.pk}:{done.version}",
    )
    return done


@transaction.atomic
def visit_arrive(
    *,
    actor: User,
    order: Any,
    latitude: Any = None,
    longitude: Any = None,
    accuracy: Any = None,
    key: str = "",
) -> ServiceOrder:
    """Check in on site: the time, and the position when the phone gives one (its distance
    from the customer's address is recorded, not enforced)."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "arrive"):
        return locked
    lat, lng, acc = _float(latitude), _float(longitude), _float(accuracy)
    if not rules.valid_position(lat, lng):
        lat = lng = acc = None
    now = clock.now()
    done = order_transition(actor=actor, order=locked, action="arrive", at=now)
    record = _record(done, now)
    record.arrived_at = now
    record.latitude, record.longitude, record.accuracy_m = lat, lng, acc
    address = done.address
    if lat is not None and lng is not None and address and address.latitude is not None:
        # An address's coordinates are written in pairs (`validation.clean_coordinates`).
        address_lng = cast(float, address.longitude)
        record.distance_m = round(rules.distance_m((lat, lng), (address.latitude, address_lng)))
    _save(record, {"arrived_at", "latitude", "longitude", "accuracy_m", "distance_m"})
    _event(
        done,
        actor,
        "check_in",
        {"latitude": lat, "longitude": lng, "accuracy_m": acc, "distance_m": record.distance_m},
        at=now,
    )
    return done


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@transaction.atomic
def visit_call(*, actor: User, order: Any, note: str = "", key: str = "") -> ServiceRecord:
    """A call to the customer tried (before a no-show can be recorded)."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "call"):
        return _latest_record(locked)
    record = _on_site(locked)
    record.call_attempts += 1
    _save(record, {"call_attempts"})
    _event(locked, actor, "call_attempt", {"attempts": record.call_attempts}, reason=note)
    return record


@transaction.atomic
def visit_no_show(*, actor: User, order: Any, reason: str = "", key: str = "") -> ServiceOrder:
    """Customer absent (004 篇2 第十一条): only after the configured wait past the appointment
    and a call tried; recorded as a no-show, the order goes back to dispatch."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "no_show"):
        return locked
    record = _on_site(locked)
    now = clock.now()
    wait = field_settings(locked.company_id).absent_minutes
    refusal = rules.no_show_refusal(
        now=now,
        appointment_start=locked.appointment_start,
        arrived_at=record.arrived_at or locked.arrived_at,
        absent_minutes=wait,
        call_attempts=record.call_attempts,
    )
    if refusal is not None:
        code, earliest = refusal
        messages = {
            "too_early": _("Wait %(m)d minutes past the appointment (until %(t)s) first.")
            % {"m": wait, "t": _local(earliest).strftime("%H:%M") if earliest else ""},
            "call_first": _("Try to call the customer first."),
            "not_arrived": _("Check in at the customer's site first."),
        }
        raise Conflict(code, messages[code])
    reason = (reason or "").strip() or gettext("Customer absent and unreachable")
    done = order_transition(
        actor=actor, order=locked, action="no_show", reason=reason, at=now, recorded=True
    )
    record.finished_at = now
    _save(record, {"finished_at"})
    _end_visit(done, now)
    _tell_customer(done, "no_show", {}, f"noshow:{done.pk}:{done.version}")
    return done


@transaction.atomic
def visit_cannot_keep(
    *, actor: User, order: Any, reason: str, late_ok: bool = False, key: str = ""
) -> ServiceOrder:
    """The technician cannot keep the appointment (004 篇2 第十条): the customer is told,
    the order goes back to dispatch to be booked again. Less than the notice hours before the
    appointment is refused unless confirmed as a late notice, which is flagged."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "cannot_keep"):
        return locked
    now = clock.now()
    notice = dispatch_settings(locked.company_id).notice_hours
    late = rules.late_notice(now, locked.appointment_start, notice)
    if late and not late_ok:
        raise Conflict(
            "late_notice",
            _("Less than %(h)d hours before the appointment: confirm it as a late notice.")
            % {"h": notice},
            details={"notice_hours": notice},
        )
    given = rules.notice_hours_given(now, locked.appointment_start)
    done = order_transition(
        actor=actor, order=locked, action="cannot_keep", reason=reason, at=now, recorded=True
    )
    _event(
        done,
        actor,
        "notice",
        {"late_notice": late, "hours_given": round(given, 1) if given is not None else None},
        at=now,
    )
    record = open_record(done)
    if record is not None:
        record.finished_at = now
        _save(record, {"finished_at"})
    _end_visit(done, now)
    _tell_customer(done, "cannot_keep", {}, f"cannot_keep:{done.pk}:{done.version}")
    return done


@transaction.atomic
def visit_pause(
    *, actor: User, order: Any, waiting_for: str, reason: str, key: str = ""
) -> ServiceOrder:
    """Pause (waiting for parts, the customer's rest time): the service-level clock stops."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "pause"):
        return locked
    action = {"parts": "wait_parts", "customer": "wait_customer"}.get(waiting_for)
    if action is None:
        raise ValidationFailed({"waiting_for": _("Choose what the work waits for.")})
    return order_transition(actor=actor, order=locked, action=action, reason=reason)


@transaction.atomic
def visit_resume(*, actor: User, order: Any, key: str = "") -> ServiceOrder:
    locked = _lock(actor, order)
    if not _first_time(locked, key, "resume"):
        return locked
    return order_transition(actor=actor, order=locked, action="resume")


# --- the service record ----------------------------------------------------------------------


@transaction.atomic
def record_condition(
    *,
    actor: User,
    order: Any,
    complete: Any,
    tampered: Any,
    notes: str = "",
    signature: str = "",
    signer_name: str = "",
    key: str = "",
    now: dt.datetime | None = None,
) -> ServiceRecord:
    """The unit's state before work (004 第十三条): complete? tampered? — noted and signed by
    the customer, once per visit."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "condition"):
        return _latest_record(locked)
    now = now or clock.now()
    record = _on_site(locked, now)
    if record.condition_at is not None:
        raise Conflict("already_recorded", _("The condition check is already recorded."))
    errors = Errors()
    notes = (notes or "").strip()
    if complete not in (True, False):
        errors.add("complete", _("Say whether the unit is complete."))
    if tampered not in (True, False):
        errors.add("tampered", _("Say whether there are signs of tampering."))
    if (complete is False or tampered is True) and not notes:
        errors.add("notes", _("Describe what is missing or tampered with."))
    if len(notes) > 500:
        errors.add("notes", _("At most %(n)d characters.") % {"n": 500})
    errors.raise_if_any()
    signed = _signature(
        record, actor, SignaturePurpose.CONDITION, signature, signer_name, errors, now
    )
    errors.raise_if_any()
    assert signed is not None
    record.condition_complete, record.condition_tampered = complete, tampered
    record.condition_notes, record.condition_at = notes, now
    _save(record, {"condition_complete", "condition_tampered", "condition_notes", "condition_at"})
    _event(
        locked,
        actor,
        "condition",
        {
            "complete": complete,
            "tampered": tampered,
            "notes": notes,
            "signature": signed.pk,
        },
        at=now,
    )
    return record


@transaction.atomic
def record_diagnosis(
    *,
    actor: User,
    order: Any,
    diagnosis: str,
    cause: str,
    work_done: str = "",
    fault_codes: list[Any] | None = None,
    key: str = "",
    now: dt.datetime | None = None,
) -> ServiceRecord:
    """Diagnosis, fault codes, cause and the work done; saved as often as the technician
    likes while on site. A change of cause to "not a product fault" needs the customer's
    acknowledgement again."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "diagnosis"):
        return _latest_record(locked)
    now = now or clock.now()
    record = _on_site(locked, now)
    errors = Errors()
    diagnosis, work_done = (diagnosis or "").strip(), (work_done or "").strip()
    if not diagnosis:
        errors.add("diagnosis", _("Describe what you found."))
    if len(diagnosis) > 4000 or len(work_done) > 4000:
        errors.add("diagnosis", _("At most %(n)d characters.") % {"n": 4000})
    if cause not in Cause.values:
        errors.add("cause", _("Say whether it is a product fault."))
    ids = {as_id(c) for c in (fault_codes or []) if c not in (None, "")}
    codes = list(FaultCode.objects.filter(pk__in=ids, category__company_id=locked.company_id))
    if None in ids or len(codes) != len(ids):
        errors.add("fault_codes", _("Unknown fault code."))
    errors.raise_if_any()
    before = {"cause": record.cause, "diagnosis": record.diagnosis}
    if cause != record.cause:
        record.cause_acknowledged_at = None
    record.diagnosis, record.cause, record.work_done = diagnosis, cause, work_done
    _save(record, {"diagnosis", "cause", "work_done", "cause_acknowledged_at"})
    record.fault_codes.set(codes)
    _event(
        locked,
        actor,
        "diagnosis",
        {
            "cause": cause,
            "fault_codes": [c.code for c in codes],
            "changed": before["diagnosis"] != diagnosis or before["cause"] != cause,
        },
        at=now,
    )
    return record


@transaction.atomic
def record_acknowledge(
    *, actor: User, order: Any, signature: str, signer_name: str = "", key: str = ""
) -> ServiceRecord:
    """The customer acknowledges that the fault is not a product fault and the work is
    chargeable (004 第十七条), with a signature."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "acknowledge"):
        return _latest_record(locked)
    record = _on_site(locked)
    if record.cause != Cause.NOT_PRODUCT_FAULT:
        raise Conflict(
            "not_needed", _("Only a fault that is not a product fault needs the acknowledgement.")
        )
    errors = Errors()
    now = clock.now()
    signed = _signature(
        record, actor, SignaturePurpose.ACKNOWLEDGEMENT, signature, signer_name, errors, now
    )
    errors.raise_if_any()
    assert signed is not None
    record.cause_acknowledged_at = now
    _save(record, {"cause_acknowledged_at"})
    _event(locked, actor, "acknowledged", {"signature": signed.pk}, at=now)
    return record


@transaction.atomic
def record_photos(
    *, actor: User, order: Any, kind: str, files: list[Any], key: str = ""
) -> list[SitePhoto]:
    """Photos before/after the work: images only (by content), re-encoded without their
    metadata, within the per-visit limit, stored under generated names."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "photos"):
        return list(_latest_record(locked).photos.all())
    record = _on_site(locked)
    if kind not in PhotoKind.values:
        raise ValidationFailed({"kind": _("Choose what the photo shows.")})
    if not files:
        raise ValidationFailed({"photos": _("Choose at least one photo.")})
    limit = field_settings(locked.company_id).photo_limit
    if record.photos.count() + len(files) > limit:
        raise Conflict("too_many_files", _("At most %(n)d photos per visit.") % {"n": limit})
    cleaned = [(f, *uploads.clean_image(f, field="photos")) for f in files]
    rows = [
        SitePhoto.objects.create(
            record=record,
            order=locked,
            kind=kind,
            stored_name=uploads.store(data, ext),
            original_name=uploads.display_name(getattr(f, "name", "")),
            content_type=content_type,
            size=len(data),
            uploaded_by=actor,
        )
        for f, data, content_type, ext in cleaned
    ]
    _event(locked, actor, "photos", {"kind": kind, "photos": [r.pk for r in rows]})
    return rows


@transaction.atomic
def record_part_used(
    *,
    actor: User,
    order: Any,
    part: Any,
    quantity: Any = 1,
    serial: str = "",
    old_serial: str = "",
    key: str = "",
) -> Any:
    """A part fitted on site, out of the technician's van (the order's reservation there is
    used first), with the new and the old part's serial."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "part"):
        return StockMove.objects.filter(order=locked).order_by("-id").first()
    _on_site(locked)
    van = Warehouse.objects.filter(technician_id=locked.technician_id, is_active=True).first()
    if van is None:
        raise Conflict("no_van", _("The technician has no van stock."))
    found = Part.objects.filter(pk=as_id(part), company_id=locked.company_id).first()
    if found is None:
        raise ValidationFailed({"part": _("Unknown part.")})
    held = Reservation.objects.filter(
        order=locked, warehouse=van, part=found, status=ReservationStatus.ACTIVE
    ).first()
    move = stock.stock_issue(
        actor=actor,
        warehouse=van,
        part=found,
        quantity=quantity,
        order=locked,
        serial=serial,
        old_serial=old_serial,
        reservation=held,
    )
    _event(
        locked,
        actor,
        "part_used",
        {
            "part": found.code,
            "name": found.name,
            "quantity": -move.quantity,
            "serial": move.serial,
            "old_serial": move.old_serial,
            "charged": move.charge_customer,
        },
    )
    return move


# --- charges ---------------------------------------------------------------------------------


def _quantity(value: Any, errors: Errors, field: str) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        q = Decimal(-1)
    if not q.is_finite() or q <= 0 or q > 1000 or q != q.quantize(Decimal("0.01")):
        errors.add(field, _("Give a quantity between 0.01 and 1000."))
        return Decimal(0)
    return q


@transaction.atomic
def quote_propose(
    *, actor: User, order: Any, items: list[dict[str, Any]], reason: str = "", key: str = ""
) -> Quote:
    """An itemised quote from the fee schedule (labour, travel, other) and the price list
    (parts) for the customer to accept before paid work. Replaces an unpaid earlier quote.

    Refused when the cause is not a product fault and the customer has not acknowledged it,
    and on a free-repair order (三包) without a recorded reason."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "quote"):
        return _latest_record(locked).live_quote()  # type: ignore[return-value]
    record = _on_site(locked)
    live = record.live_quote()
    if live is not None and live.status == QuoteStatus.PAID:
        raise Conflict("already_paid", _("The charges of this visit are already paid."))
    reason = (reason or "").strip()[:500]
    refusal = rules.charge_refusal(
        decision=locked.warranty_decision,
        cause=record.cause,
        acknowledged=record.cause_acknowledged_at is not None,
        reason=reason,
    )
    if refusal == "acknowledgement_required":
        raise Conflict(
            refusal,
            _("Not a product fault: the customer must acknowledge it before anything is charged."),
        )
    if refusal == "free_repair_reason_required":
        raise ValidationFailed(
            {"reason": _("This is a free repair under 三包: give the reason for charging.")}
        )
    errors = Errors()
    lines: list[tuple[rules.Line, FeeItem | None, Part | None]] = []
    for i, item in enumerate(items or []):
        q = _quantity(item.get("quantity", 1), errors, f"items.{i}.quantity")
        fee = part = None
        if item.get("fee_item") not in (None, ""):
            fee = FeeItem.objects.filter(
                pk=as_id(item["fee_item"]), company_id=locked.company_id, is_active=True
            ).first()
            if fee is None:
                errors.add(f"items.{i}", _("Unknown fee item."))
                continue
            line = rules.Line(fee.kind, fee.name, q, fee.price)
        elif item.get("part") not in (None, ""):
            part = Part.objects.filter(
                pk=as_id(item["part"]), company_id=locked.company_id, is_active=True
            ).first()
            if part is None:
                errors.add(f"items.{i}", _("Unknown part."))
                continue
            line = rules.Line(str(ChargeKind.PART), f"{part.name} ({part.code})", q, part.price)
        else:
            errors.add(f"items.{i}", _("Choose a fee item or a part."))
            continue
        lines.append((line, fee, part))
    if not lines and not errors:
        errors.add("items", _("Add at least one item."))
    errors.raise_if_any()
    for hook in QUOTE_HOOKS:  # e.g. a service contract's coverage (maintenance)
        lines += [(extra, None, None) for extra in hook(locked, [ln for ln, _f, _p in lines])]
    now = clock.now()
    if live is not None:
        live.status, live.voided_at = QuoteStatus.VOID, now
        live.save(update_fields=["status", "voided_at"])
    quote = Quote.objects.create(
        record=record,
        order=locked,
        total=rules.quote_total(line for line, _f, _p in lines),
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            kind=line.kind,
            fee_item=fee,
            part=part,
            description=line.description[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for line, fee, part in lines
    )
    _event(
        locked,
        actor,
        "quote",
        {"quote": quote.pk, "total": str(quote.total), "replaces": live.pk if live else None},
        reason=reason,
        at=now,
    )
    return quote


@transaction.atomic
def quote_accept(
    *, actor: User, order: Any, signature: str, signer_name: str = "", key: str = ""
) -> Quote:
    """The customer accepts the quote before the work, with a signature."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "quote_accept"):
        return _latest_record(locked).live_quote()  # type: ignore[return-value]
    record = _on_site(locked)
    quote = record.live_quote()
    if quote is None:
        raise Conflict("no_quote", _("There is no quote to accept."))
    if quote.status != QuoteStatus.PROPOSED:
        raise Conflict("already_accepted", _("The customer already accepted this quote."))
    errors = Errors()
    now = clock.now()
    signed = _signature(record, actor, SignaturePurpose.QUOTE, signature, signer_name, errors, now)
    errors.raise_if_any()
    return _accept(locked, actor, quote, signed, now)


def _accept(
    order: ServiceOrder,
    actor: User,
    quote: Quote,
    signed: Signature | None,
    now: dt.datetime,
    **facts: Any,
) -> Quote:
    """The quote accepted at `now` (signed on site, or recorded elsewhere: `facts` say by whom
    and where) and its `quote_accepted` event. The caller holds the order's lock."""
    quote.status, quote.accepted_at, quote.signature = QuoteStatus.ACCEPTED, now, signed
    quote.save(update_fields=["status", "accepted_at", "signature"])
    _event(
        order,
        actor,
        "quote_accepted",
        {
            "quote": quote.pk,
            "total": str(quote.total),
            "signature": signed.pk if signed else None,
            **facts,
        },
        at=now,
    )
    return quote


def _lock_recorded(actor: User, order: Any) -> ServiceOrder:
    """The order, locked, for a step recorded from another system: whoever may work on the
    order (`_lock`), or a history importer (admin, service manager) for any order of their
    company."""
    if not has_perm(actor, Perm.HISTORY_IMPORT):
        return _lock(actor, order)
    return _locked_visible(actor, order)


def _recorded_time(at: dt.datetime | None) -> dt.datetime:
    now = clock.now()
    if at is None:
        return now
    if at > now:
        raise ValidationFailed({"at": _("The date is in the future.")})
    return at


@transaction.atomic
def quote_accept_recorded(
    *,
    actor: User,
    order: Any,
    accepted_by: str = "",
    at: dt.datetime | None = None,
    note: str = "",
    key: str = "",
) -> Quote:
    """The customer's acceptance of the order's quote as another system recorded it (a legacy
    system, a paper form): no signature. The latest proposed quote of the order is accepted at
    `at` (default now; never in the future), on site or not; the event says who accepted
    (`accepted_by`, default the customer's name), that it was recorded, and the source `note`."""
    locked = _lock_recorded(actor, order)
    quotes = Quote.objects.filter(order=locked).order_by("-id")
    if not _first_time(locked, key, "quote_accept"):
        return quotes.exclude(status=QuoteStatus.VOID).first()  # type: ignore[return-value]
    quote = quotes.filter(status=QuoteStatus.PROPOSED).first()
    if quote is None:
        if quotes.filter(status__in=(QuoteStatus.ACCEPTED, QuoteStatus.PAID)).exists():
            raise Conflict("already_accepted", _("The customer already accepted this quote."))
        raise Conflict("no_quote", _("There is no quote to accept."))
    return _accept(
        locked,
        actor,
        quote,
        None,
        _recorded_time(at),
        recorded=True,
        accepted_by=(accepted_by or "").strip()[:100] or locked.customer.name,
        note=(note or "").strip()[:200],
    )


@transaction.atomic
def payment_record(
    *,
    actor: User,
    order: Any,
    method: str,
    amount: Any,
    reference: str = "",
    key: str = "",
) -> Receipt:
    """The customer paid the accepted quote: a receipt (收费凭证) with its number, once."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "payment"):
        return Receipt.objects.filter(order=locked).latest("id")
    record = _on_site(locked)
    quote = record.live_quote()
    if quote is None or quote.status == QuoteStatus.PROPOSED:
        raise Conflict("quote_not_accepted", _("The customer has not accepted the quote."))
    if quote.status == QuoteStatus.PAID:
        raise Conflict("already_paid", _("The charges of this visit are already paid."))
    return _pay(locked, actor, quote, method, amount, reference, clock.now())


def _pay(
    order: ServiceOrder,
    actor: User,
    quote: Quote,
    method: str,
    amount: Any,
    reference: str,
    now: dt.datetime,
    **facts: Any,
) -> Receipt:
    """The receipt for the accepted quote, paid at `now`, and its `payment` event (`facts`
    say where a payment recorded elsewhere came from). The caller holds the order's lock."""
    receipt = receipt_issue(
        actor=actor,
        order=order,
        quote=quote,
        method=method,
        amount=amount,
        reference=reference,
        now=now,
    )
    _event(
        order,
        actor,
        "payment",
        {"receipt": receipt.number, "amount": str(receipt.amount), "method": method, **facts},
        at=now,
    )
    return receipt


@transaction.atomic
def payment_record_at(
    *,
    actor: User,
    order: Any,
    method: str,
    amount: Any,
    reference: str = "",
    at: dt.datetime | None = None,
    note: str = "",
    key: str = "",
) -> Receipt:
    """A payment of the order's accepted quote made at `at` (default now; never in the future)
    and recorded afterwards (another system's record, a transfer seen later): the same receipt
    and `payment` event as the live payment, on site or not; the event says it was recorded,
    with the source `note`."""
    locked = _lock_recorded(actor, order)
    if not _first_time(locked, key, "payment"):
        return Receipt.objects.filter(order=locked).latest("id")
    quote = Quote.objects.filter(order=locked, status=QuoteStatus.ACCEPTED).order_by("-id").first()
    if quote is None:
        raise Conflict("quote_not_accepted", _("The customer has not accepted the quote."))
    when = _recorded_time(at)
    return _pay(
        locked,
        actor,
        quote,
        method,
        amount,
        reference,
        when,
        recorded=True,
        note=(note or "").strip()[:200],
    )


def receipt_issue(
    *,
    actor: User,
    order: ServiceOrder,
    quote: Quote | None,
    method: str,
    amount: Any,
    reference: str = "",
    extra: Decimal = Decimal("0.00"),
    now: dt.datetime | None = None,
) -> Receipt:
    """A receipt (收费凭证) for the accepted quote (if any) and `extra` charges (a workshop's
    storage fee): the amount paid must be their sum; numbered per order; the quote is paid.
    The caller holds the order's lock and records its own event. Shared by the visit's
    payment and the workshop's pickup payment."""
    errors = Errors()
    reference = (reference or "").strip()[:100]
    if method not in PaymentMethod.values:
        errors.add("method", _("Choose how the customer paid."))
    elif method != PaymentMethod.CASH and not reference:
        errors.add("reference", _("Give the transfer or QR payment reference."))
    due = rules.money((quote.total if quote is not None else Decimal(0)) + extra)
    try:
        paid = rules.money(str(amount))
    except (InvalidOperation, ValueError):
        paid = Decimal(-1)
    if paid != due:
        if extra:
            errors.add("amount", _("The amount must be the total due, ¥%(t)s.") % {"t": due})
        else:
            errors.add("amount", _("The amount must be the quote's total, ¥%(t)s.") % {"t": due})
    errors.raise_if_any()
    count = Receipt.objects.filter(order=order).count()
    receipt = Receipt.objects.create(
        company_id=order.company_id,
        quote=quote,
        order=order,
        number=f"SF-{order.number}-{count + 1}",
        amount=due,
        method=method,
        reference=reference,
        paid_at=now or clock.now(),
        recorded_by=actor,
    )
    if quote is not None:
        quote.status = QuoteStatus.PAID
        quote.save(update_fields=["status"])
    return receipt


def record_close(*, order: ServiceOrder, now: dt.datetime, result: str = "fixed") -> int:
    """Finish the order's open service record with a result, where the work ended outside a
    visit (the workshop's quality check passed). The caller holds the order's lock."""
    return ServiceRecord.objects.filter(order=order, finished_at__isnull=True).update(
        finished_at=now, result=result
    )


# --- finishing -------------------------------------------------------------------------------

MISSING_TEXT = {
    "condition": _("the condition check signed by the customer"),
    "result": _("the result"),
    "diagnosis": _("the diagnosis"),
    "cause": _("the cause (product fault or not)"),
    "parts": _("the parts used (the result says a part was replaced)"),
    "result_note": _("why it is not fixed"),
    "quote_accepted": _("the customer's acceptance of the quote (or withdraw it)"),
    "payment": _("the payment of the accepted quote"),
    "signature": _("the customer's signature"),
}


@transaction.atomic
def visit_finish(
    *,
    actor: User,
    order: Any,
    result: str,
    signature: str,
    signer_name: str = "",
    result_note: str = "",
    taken_to_workshop: bool = False,
    workshop_note: str = "",
    rating: Any = None,
    rating_comment: str = "",
    key: str = "",
    now: dt.datetime | None = None,
) -> ServiceOrder:
    """Finish the visit with the result and the customer's signature (and rating).

    Fixed / replaced a part / not fixed complete the order and send the customer the link to
    their copy of the service report (004 第二十四条); needs parts / second visit end this
    visit and keep the order with the technician for another one (needs parts also pauses it).
    Refused, with everything missing listed, unless the record has what it needs."""
    locked = _lock(actor, order)
    if not _first_time(locked, key, "finish"):
        return locked
    now = now or clock.now()
    record = _on_site(locked, now)
    result_note = (result_note or "").strip()[:500]
    workshop_note = (workshop_note or "").strip()[:300]
    errors = Errors()
    score: int | None = None
    if rating not in (None, ""):
        try:
            score = int(rating)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            errors.add("rating", _("A rating is 1 to 5."))
    if taken_to_workshop and not workshop_note:
        errors.add("workshop_note", _("Say what was taken to the workshop (unit, accessories)."))
    facts = finish_facts(record, result, result_note, signed=bool((signature or "").strip()))
    missing = rules.finish_missing(facts)
    field_of = {"result_note": "result_note", "signature": "signature", "result": "result"}
    for item in missing:
        errors.add(field_of.get(item, item), _("Missing: %(what)s.") % {"what": MISSING_TEXT[item]})
    if errors:
        refused = ValidationFailed(errors.fields)
        refused.message = _("The visit cannot be finished yet.")
        refused.details["missing"] = missing
        raise refused
    signed = _signature(
        record, actor, SignaturePurpose.COMPLETION, signature, signer_name, errors, now
    )
    errors.raise_if_any()
    assert signed is not None
    record.result, record.result_note = result, result_note
    record.taken_to_workshop, record.workshop_note = bool(taken_to_workshop), workshop_note
    record.rating, record.rating_comment = score, (rating_comment or "").strip()[:500]
    record.finished_at = now
    _save(
        record,
        {
            "result",
            "result_note",
            "taken_to_workshop",
            "workshop_note",
            "rating",
            "rating_comment",
            "finished_at",
        },
    )
    _event(
        locked,
        actor,
        "finish",
        {
            "result": result,
            "rating": score,
            "taken_to_workshop": record.taken_to_workshop,
            "signature": signed.pk,
            "record": record.pk,
        },
        reason=result_note,
        at=now,
    )
    _end_visit(locked, now)
    if result in rules.FINISHING_RESULTS:
        done = order_transition(actor=actor, order=locked, action="complete", at=now, recorded=True)
        link = settings.AFTERSALES_BASE_URL + customer_report_path(done)
        _tell_customer(done, "report", {"link": link}, f"report:{done.pk}:{record.pk}")
        follow_up_open(order=done, now=now)
        return done
    label = str(Result(result).label)
    done = order_transition(
        actor=actor,
        order=locked,
        action="revisit",
        reason=result_note or label,
        at=now,
        recorded=True,
    )
    if result == Result.NEEDS_PARTS:
        done = order_transition(
            actor=actor, order=done, action="wait_parts", reason=result_note or label, at=now
        )
    return done


# --- the customer's copy ---------------------------------------------------------------------
