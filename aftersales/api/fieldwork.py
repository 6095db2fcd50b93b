"""Field work over the API (the technician's phone app): the visit's state and its steps,
the same actions the phone page calls. Send `Idempotency-Key` (or `key`) so that a retried
request is recorded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.core.errors import NotFound
from aftersales.core.selectors import get_visible
from aftersales.fieldwork import actions, steps
from aftersales.fieldwork.models import FeeItem
from aftersales.orders.selectors import orders_visible_to

router = Router(tags=["field work"])
# API paths (hyphens) -> the steps of fieldwork.steps.
PATH_STEPS = {name.replace("_", "-"): name for name in steps.STEPS if name != "photos"}


class QuoteLineOut(Schema):
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class QuoteOut(Schema):
    id: int
    status: str
    total: Decimal
    reason: str
    lines: list[QuoteLineOut]
    receipt_number: str | None


class RecordOut(Schema):
    id: int
    departed_at: dt.datetime | None
    eta: dt.datetime | None
    arrived_at: dt.datetime | None
    distance_m: int | None
    call_attempts: int
    condition_checked: bool
    diagnosis: str
    cause: str
    cause_acknowledged: bool
    fault_codes: list[str]
    work_done: str
    photos: int
    quote: QuoteOut | None


class FieldVisitOut(Schema):
    order_id: int
    number: str
    status: str
    version: int
    warranty_decision: str
    record: RecordOut | None
    # What finishing the visit still needs (result and signature come with the finish call).
    missing: list[str]


class StepIn(Schema):
    """The fields of a step (each step reads its own; see the phone page's forms)."""

    key: str = ""
    reason: str = ""
    eta_minutes: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None
    note: str = ""
    late_ok: bool = False
    waiting_for: str = ""
    complete: bool | None = None
    tampered: bool | None = None
    notes: str = ""
    signature: str = ""
    signer_name: str = ""
    diagnosis: str = ""
    cause: str = ""
    work_done: str = ""
    fault_codes: list[int] = []
    part: int | None = None
    quantity: int | None = None
    serial: str = ""
    old_serial: str = ""
    fee_items: list[int] = []
    parts: list[int] = []
    quantities: dict[str, Decimal] = {}
    method: str = ""
    amount: Decimal | None = None
    reference: str = ""
    result: str = ""
    result_note: str = ""
    taken_to_workshop: bool = False
    workshop_note: str = ""
    rating: int | None = None
    rating_comment: str = ""


def _visit(order: Any) -> dict[str, Any]:
    record = actions.open_record(order)
    out: dict[str, Any] = {
        "order_id": order.pk,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "warranty_decision": order.warranty_decision,
        "record": None,
        "missing": [],
    }
    if record is None:
        return out
    quote = record.live_quote()
    receipt = getattr(quote, "receipt", None) if quote else None
    out["record"] = {
        "id": record.pk,
        "departed_at": record.departed_at,
        "eta": record.eta,
        "arrived_at": record.arrived_at,
        "distance_m": record.distance_m,
        "call_attempts": record.call_attempts,
        "condition_checked": record.condition_at is not None,
        "diagnosis": record.diagnosis,
        "cause": record.cause,
        "cause_acknowledged": record.cause_acknowledged_at is not None,
        "fault_codes": [c.code for c in record.fault_codes.all()],
        "work_done": record.work_done,
        "photos": record.photos.count(),
        "quote": {
            "id": quote.pk,
            "status": quote.status,
            "total": quote.total,
            "reason": quote.reason,
            "lines": list(quote.lines.all()),
            "receipt_number": receipt.number if receipt else None,
        }
        if quote
        else None,
    }
    out["missing"] = actions.still_missing(record)
    return out


def _order(request: AuthedRequest, order_id: int) -> Any:
    return get_visible(orders_visible_to(request.user), order_id)


@router.get("/orders/{order_id}/field", response={200: FieldVisitOut, **ERRORS})
def visit_state(request: AuthedRequest, order_id: int) -> Any:
    """The visit's state: status, the open service record, what finishing still needs."""
    return _visit(_order(request, order_id))


@router.post("/orders/{order_id}/field/{step}", response={200: FieldVisitOut, **ERRORS})
def visit_step(request: AuthedRequest, order_id: int, step: str, payload: StepIn) -> Any:
    """One step of the visit: accept, decline, depart, arrive, call, no-show, cannot-keep,
    pause, resume, condition, diagnosis, acknowledge, part, quote, quote-accept, payment,
    finish. Refusals are 409 (a rule, e.g. `too_early`, `late_notice`,
    `acknowledgement_required`) or 422 (`invalid`, with the fields; finishing also lists
    `missing`)."""
    name = PATH_STEPS.get(step)
    if name is None:
        raise NotFound("not_found", _("Not found."))
    order = _order(request, order_id)
    data = payload.dict()
    data["key"] = payload.key or request.headers.get("Idempotency-Key", "")
    for kind, ids in (("fee", payload.fee_items), ("part", payload.parts)):
        for pk in ids:
            data[f"qty_{kind}_{pk}"] = payload.quantities.get(f"{kind}:{pk}", Decimal(1))
    steps.run(name, actor=request.user, order=order, form=steps.JsonForm(data))
    return _visit(_order(request, order_id))


@router.post("/orders/{order_id}/field-photos", response={200: FieldVisitOut, **ERRORS})
def visit_photos(
    request: AuthedRequest,
    order_id: int,
    kind: Form[str],
    photos: File[list[UploadedFile]],
    key: Form[str] = "",
) -> Any:
    """Photos of the visit (multipart): images only, checked by content, re-encoded."""
    order = _order(request, order_id)
    actions.record_photos(
        actor=request.user,
        order=order,
        kind=kind,
        files=list(photos),
        key=key or request.headers.get("Idempotency-Key", ""),
    )
    return _visit(_order(request, order_id))


class FeeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    price: Decimal
    is_active: bool


class FeeIn(Schema):
    code: str
    name: str
    kind: str
    price: Decimal
    is_active: bool = True


@router.get("/fees", response={200: list[FeeOut], **ERRORS})
def fee_list(request: AuthedRequest) -> Any:
    """The fee schedule (收费标准) that on-site quotes are made from."""
    require(request.user, Perm.ORDER_VIEW)
    user = request.user
    return list(FeeItem.objects.filter(company_id=company_of(user)))


@router.post("/fees", response={201: FeeOut, **ERRORS})
def fee_create(request: AuthedRequest, payload: FeeIn) -> Any:
    row = actions.fee_item_save(actor=request.user, **payload.dict())
    return Status(201, row)


@router.put("/fees/{fee_id}", response={200: FeeOut, **ERRORS})
def fee_update(request: AuthedRequest, fee_id: int, payload: FeeIn) -> Any:
    return actions.fee_item_save(actor=request.user, fee_item=fee_id, **payload.dict())


class FieldSettingsOut(Schema):
    absent_minutes: int
    photo_limit: int
    report_header: str
    customer_link_days: int


class FieldSettingsIn(Schema):
    absent_minutes: int | None = None
    photo_limit: int | None = None
    report_header: str | None = None
    customer_link_days: int | None = None


@router.get("/field/settings", response={200: FieldSettingsOut, **ERRORS})
def field_settings_get(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return actions.field_settings(company_of(request.user))


@router.patch("/field/settings", response={200: FieldSettingsOut, **ERRORS})
def field_settings_patch(request: AuthedRequest, payload: FieldSettingsIn) -> Any:
    changes = payload.dict(exclude_none=True)
    return actions.field_settings_update(actor=request.user, **changes)
