"""Parts requests (三包配件申请): submitted, approved by the level their value needs, shipped
(back-orders as stock arrives), received; the order waits for parts meanwhile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.accounts.permissions import company_of
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.orders.actions import order_resume, order_wait_parts
from aftersales.orders.choices import PAUSABLE
from aftersales.orders.models import ServiceOrder
from aftersales.parts.choices import (
    REQUEST_MACHINE,
    RequestStatus,
)
from aftersales.parts.events import request_event
from aftersales.parts.lock_objects import (
    lock_request,
)
from aftersales.parts.models import (
    PartsRequest,
    PartsRequestEvent,
    PartsRequestLine,
    Transfer,
    Warehouse,
)
from aftersales.parts.movements import _level, _order, _part, _quantity, _ship, _warehouse
from aftersales.parts.rules import approver_level, may_approve
from aftersales.parts.selectors import (
    requests_visible_to,
)
from aftersales.warranty.engine import FREE_TO_CUSTOMER

# --- parts requests (三包配件申请) ------------------------------------------------------------

MAX_LINES = 50


def _apply_request(row: PartsRequest, verb: str, **kw: Any) -> None:
    """Move a locked request by `verb` on its machine (status saved, one event row)."""
    apply(REQUEST_MACHINE, row, verb, event_model=PartsRequestEvent, subject_field="request", **kw)


@transaction.atomic
def parts_request_submit(
    *,
    actor: User,
    target: Any,
    lines: list[tuple[Any, int]],
    order: Any = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> PartsRequest:
    """Ask for parts for an order (the parts come to `target`, usually the technician's van)
    or to refill a warehouse. The request carries the order's warranty decision, its value
    from the price list, and the approver level that follows (`parts/rules.py`)."""
    now = now or clock.now()
    dst = _warehouse(actor, target)
    found_order = _order(actor, order) if order not in (None, "") else None
    errors = Errors()
    wanted: dict[int, tuple[Part, int]] = {}
    if not lines or len(lines) > MAX_LINES:
        errors.add("lines", _("Ask for 1 to 50 parts."))
    for part, quantity in lines[:MAX_LINES]:
        found_part = _part(actor, part)
        q = _quantity(quantity, errors)
        prev = wanted.get(found_part.pk, (found_part, 0))[1]
        wanted[found_part.pk] = (found_part, prev + q)
    errors.raise_if_any()
    warranty = bool(found_order and found_order.warranty_decision in FREE_TO_CUSTOMER)
    value = sum((p.price * q for p, q in wanted.values()), Decimal("0.00"))
    request = PartsRequest.objects.create(
        company_id=company_of(actor),
        station_id=dst.station_id,
        target=dst,
        order=found_order,
        warranty=warranty,
        value=value,
        approver_level=approver_level(value, warranty),
        note=(note or "").strip()[:500],
        requested_by=actor,
        created_at=now,
    )
    PartsRequestLine.objects.bulk_create(
        PartsRequestLine(request=request, part=p, quantity=q) for p, q in wanted.values()
    )
    request_event(
        request,
        actor=actor,
        action="submit",
        payload={
            "value": str(value),
            "warranty": warranty,
            "order_warranty_decision": found_order.warranty_decision if found_order else "",
            "lines": {p.code: q for p, q in wanted.values()},
        },
        at=now,
    )
    return request


def _locked_request(actor: User, request: Any) -> PartsRequest:
    pk = as_id(request)
    if not requests_visible_to(actor).filter(pk=pk).exists():
        raise NotFound("not_found", _("Not found."))
    row = lock_request(pk)
    assert row is not None
    return row


@transaction.atomic
def parts_request_approve(
    *,
    actor: User,
    request: Any,
    source: Any,
    quantities: dict[int, int] | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> PartsRequest:
    """Approve (all, or less per line) and ship from `source` what it has now; the rest stays
    on back-order. A request is decided once: a second approval is 409 `request_decided`. An
    order waiting on these parts is paused as waiting for parts until they arrive."""
    now = now or clock.now()
    row = _locked_request(actor, request)
    if row.status != RequestStatus.SUBMITTED:
        raise Conflict("request_decided", _("This request was already decided."))
    if not may_approve(actor.role, row.approver_level):
        raise PermissionDenied(
            "approver_level",
            _("This request needs approval by: %(level)s.") % {"level": _level_label(row)},
        )
    src = Warehouse.objects.filter(company_id=row.company_id, pk=as_id(source), is_active=True)
    found_src = src.first()
    if found_src is None or found_src.pk == row.target_id:
        raise ValidationFailed({"source": _("Unknown warehouse.")})
    lines = list(row.lines.select_related("part").order_by("id"))
    errors = Errors()
    for line in lines:
        wanted = (quantities or {}).get(line.pk, line.quantity)
        if not 0 <= int(wanted) <= line.quantity:
            errors.add("quantities", _("Approve between 0 and the requested quantity."))
        line.approved = int(wanted)
    if not any(line.approved for line in lines):
        errors.add("quantities", _("Approve at least one unit, or reject the request."))
    errors.raise_if_any()
    row.decided_by, row.decided_at = actor, now
    row.decision_reason = (reason or "").strip()[:500]
    for line in lines:
        line.save(update_fields=["approved"])
    _apply_request(
        row,
        "approve",
        actor=actor,
        reason=row.decision_reason,
        payload={"approved": {line.part.code: line.approved for line in lines}},
        at=now,
        extra_fields=["decided_by", "decided_at", "decision_reason"],
    )
    _ship_backorders(actor, row, lines, found_src, now)
    if row.order_id:
        _pause_order_for_parts(row, row.order_id, now)
    return row


def _ship_backorders(
    actor: User, row: PartsRequest, lines: list[PartsRequestLine], src: Warehouse, now: dt.datetime
) -> list[Transfer]:
    shipped = []
    target = row.target
    for line in lines:
        if line.backordered <= 0:
            continue
        level = _level(src, line.part)
        quantity = min(line.backordered, level.available)
        if quantity <= 0:
            continue
        shipped.append(_ship(actor, src, target, line.part, quantity, f"PR{row.pk}", now, line))
        line.shipped += quantity
        line.save(update_fields=["shipped"])
    if shipped:
        request_event(
            row,
            actor=actor,
            action="ship",
            from_status=row.status,
            payload={
                "source": src.pk,
                "transfers": [t.pk for t in shipped],
                "backordered": {line.part.code: line.backordered for line in lines},
            },
            at=now,
        )
    return shipped


@transaction.atomic
def parts_request_ship(
    *, actor: User, request: Any, source: Any, now: dt.datetime | None = None
) -> list[Transfer]:
    """Ship what is on back-order from `source` (when stock has come in)."""
    now = now or clock.now()
    row = _locked_request(actor, request)
    if row.status != RequestStatus.APPROVED:
        raise Conflict("request_not_approved", _("Only an approved request can be shipped."))
    found_src = _warehouse(actor, source)
    if found_src.pk == row.target_id:
        raise ValidationFailed({"source": _("Ship to another warehouse.")})
    lines = list(row.lines.select_related("part").order_by("id"))
    return _ship_backorders(actor, row, lines, found_src, now)


def _pause_order_for_parts(row: PartsRequest, order_id: int, now: dt.datetime) -> None:

    order = ServiceOrder.objects.get(pk=order_id)
    if order.status in PAUSABLE:
        order_wait_parts(
            actor=None,
            order=order,
            reason=str(_("Waiting for parts request %(n)s") % {"n": row.pk}),
            at=now,
        )


def _request_received(actor: User, transfer: Transfer, line_id: int, now: dt.datetime) -> None:
    """A shipment of a request (its line `line_id`) arrived: count it; when every approved unit
    is in, the request is fulfilled and an order waiting only for these parts resumes."""
    line = PartsRequestLine.objects.select_related("request").get(pk=line_id)
    row = lock_request(line.request_id)
    assert row is not None
    line.received += transfer.quantity
    line.save(update_fields=["received"])
    lines = list(row.lines.all())
    if all(x.received >= x.approved for x in lines):
        _apply_request(row, "fulfil", actor=actor, at=now)
        if row.order_id:
            _resume_order(row, row.order_id, now)


def _resume_order(row: PartsRequest, order_id: int, now: dt.datetime) -> None:

    order = ServiceOrder.objects.get(pk=order_id)
    still_waiting = PartsRequest.objects.filter(
        order_id=order.pk, status__in=(RequestStatus.SUBMITTED, RequestStatus.APPROVED)
    ).exists()
    if order.status == "waiting_parts" and not still_waiting:
        order_resume(
            actor=None,
            order=order,
            reason=str(_("Parts arrived (request %(n)s)") % {"n": row.pk}),
            at=now,
        )


@transaction.atomic
def parts_request_reject(
    *, actor: User, request: Any, reason: str, now: dt.datetime | None = None
) -> PartsRequest:
    now = now or clock.now()
    row = _locked_request(actor, request)
    if row.status != RequestStatus.SUBMITTED:
        raise Conflict("request_decided", _("This request was already decided."))
    if not may_approve(actor.role, row.approver_level):
        raise PermissionDenied(
            "approver_level",
            _("This request needs approval by: %(level)s.") % {"level": _level_label(row)},
        )
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ValidationFailed({"reason": _("Give the reason.")})
    row.decided_by, row.decided_at, row.decision_reason = actor, now, reason
    _apply_request(
        row,
        "reject",
        actor=actor,
        reason=reason,
        at=now,
        extra_fields=["decided_by", "decided_at", "decision_reason"],
    )
    return row


@transaction.atomic
def parts_request_cancel(
    *, actor: User, request: Any, reason: str = "", now: dt.datetime | None = None
) -> PartsRequest:
    """The requester withdraws a request not yet decided."""
    now = now or clock.now()
    row = _locked_request(actor, request)
    if row.requested_by_id != actor.pk:
        raise PermissionDenied("forbidden", _("Only the requester can withdraw a request."))
    if row.status != RequestStatus.SUBMITTED:
        raise Conflict("request_decided", _("This request was already decided."))
    _apply_request(row, "cancel", actor=actor, reason=reason or "", at=now)
    return row


def _level_label(row: PartsRequest) -> str:
    return str(Role(row.approver_level).label)
