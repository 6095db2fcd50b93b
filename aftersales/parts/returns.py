"""Old-part returns (旧件返还): each warranty part issued must come back by a deadline; the
inspection claims it from the supplier or charges the station; overdue ones are charged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, require
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply
from aftersales.core.validation import ValidationFailed
from aftersales.orders.models import ServiceOrder
from aftersales.parts.choices import (
    CHARGED_OUTCOMES,
    RETURN_MACHINE,
    InspectionOutcome,
    ReturnStatus,
)
from aftersales.parts.events import return_event
from aftersales.parts.models import (
    Chargeback,
    PartsSettings,
    ReturnEvent,
    ReturnObligation,
    StockMove,
    SupplierClaim,
    Warehouse,
)
from aftersales.parts.selectors import (
    parts_settings,
    returns_visible_to,
)


def _apply_return(row: ReturnObligation, verb: str, **kw: Any) -> None:
    """Move a locked old-part return by `verb` on its machine (status saved, one event row)."""
    apply(RETURN_MACHINE, row, verb, event_model=ReturnEvent, subject_field="obligation", **kw)


def _return_obligation(
    actor: User, move: StockMove, order: ServiceOrder, warehouse: Warehouse, now: dt.datetime
) -> ReturnObligation:
    """A warranty part was issued: its old part must come back within the company's days."""
    days = parts_settings(move.company_id).return_days
    station_id = warehouse.station_id or order.station_id
    if station_id is None:
        raise ValidationFailed({"warehouse": _("The part must be issued at a station.")})
    row = ReturnObligation.objects.create(
        company_id=move.company_id,
        issue=move,
        order=order,
        part_id=move.part_id,
        quantity=-move.quantity,
        old_serial=move.old_serial,
        station_id=station_id,
        due=now.astimezone(timezone.get_current_timezone()).date() + dt.timedelta(days=days),
    )
    return_event(row, actor=actor, action="create", at=now)
    return row


def _locked_return(actor: User, obligation: Any) -> ReturnObligation:
    pk = as_id(obligation)
    if not returns_visible_to(actor).filter(pk=pk).exists():
        raise NotFound("not_found", _("Not found."))
    row = ReturnObligation.objects.select_for_update().get(pk=pk)
    return row


@transaction.atomic
def return_ship(
    *, actor: User, obligation: Any, shipment: str = "", now: dt.datetime | None = None
) -> ReturnObligation:
    """The station sends the old part back (courier reference)."""
    require(actor, Perm.STOCK_MOVE)
    now = now or clock.now()
    row = _locked_return(actor, obligation)
    if row.status != ReturnStatus.OPEN:
        raise Conflict("return_not_open", _("This old part was already sent back."))
    row.shipment, row.shipped_at = shipment.strip()[:100], now
    _apply_return(
        row,
        "ship",
        actor=actor,
        reason=row.shipment,
        at=now,
        extra_fields=["shipment", "shipped_at"],
    )
    return row


@transaction.atomic
def return_receive(
    *, actor: User, obligation: Any, now: dt.datetime | None = None
) -> ReturnObligation:
    """The returns desk received the old part (service manager and up)."""
    require(actor, Perm.WAREHOUSE_EDIT)
    now = now or clock.now()
    row = _locked_return(actor, obligation)
    if row.status not in (ReturnStatus.OPEN, ReturnStatus.SHIPPED):
        raise Conflict("return_received", _("This old part was already received."))
    row.received_at = now
    _apply_return(row, "receive", actor=actor, at=now, extra_fields=["received_at"])
    return row


@transaction.atomic
def return_inspect(
    *,
    actor: User,
    obligation: Any,
    outcome: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ReturnObligation:
    """Record the inspection: a confirmed fault is claimed from the supplier; a wrong part or
    misuse is charged back to the station (once)."""
    require(actor, Perm.WAREHOUSE_EDIT)
    now = now or clock.now()
    if outcome not in InspectionOutcome.values:
        raise ValidationFailed({"outcome": _("Unknown inspection outcome.")})
    row = _locked_return(actor, obligation)
    if row.status != ReturnStatus.RECEIVED:
        raise Conflict("return_not_received", _("Inspect the old part after receiving it."))
    row.outcome, row.inspected_at = outcome, now
    row.inspection_note = (note or "").strip()[:500]
    _apply_return(
        row,
        "inspect",
        actor=actor,
        reason=outcome,
        at=now,
        extra_fields=["outcome", "inspected_at", "inspection_note"],
    )
    price = Part.objects.filter(pk=row.part_id).values_list("price", flat=True).get()
    amount = price * row.quantity
    if outcome == InspectionOutcome.CONFIRMED_FAULT:
        SupplierClaim.objects.create(
            company_id=row.company_id,
            obligation=row,
            part_id=row.part_id,
            quantity=row.quantity,
            amount=amount,
            created_at=now,
        )
    elif outcome in CHARGED_OUTCOMES:
        _charge(row, amount, outcome, now)
    return row


def _charge(row: ReturnObligation, amount: Decimal, reason: str, now: dt.datetime) -> bool:
    """One chargeback per return: the unique obligation column makes a second one fail, so
    two runs (or two workers) at once still make one."""
    try:
        with transaction.atomic():
            Chargeback.objects.create(
                company_id=row.company_id,
                station_id=row.station_id,
                obligation=row,
                amount=amount,
                reason=reason,
                created_at=now,
            )
    except IntegrityError:
        return False
    return_event(
        row, actor=None, action="chargeback", from_status=row.status, reason=reason, at=now
    )
    return True


def returns_charge_overdue(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The daily job: old parts not sent back by their deadline are charged to the station.
    Safe to run twice or concurrently: a return gets at most one chargeback."""
    now = now or clock.now()
    today = now.astimezone(timezone.get_current_timezone()).date()
    made = 0
    overdue = (
        ReturnObligation.objects.filter(status=ReturnStatus.OPEN, due__lt=today, chargeback=None)
        .select_related("part")
        .order_by("id")[:limit]
    )
    for row in overdue:
        with transaction.atomic():
            if _charge(row, row.part.price * row.quantity, "overdue", now):
                made += 1
    return made


@transaction.atomic
def parts_settings_update(*, actor: User, return_days: int | str | None) -> PartsSettings:
    """Days a station has to send an old part back (applies to parts issued from now on); as
    a number or the text of a form."""
    require(actor, Perm.WAREHOUSE_EDIT)
    try:
        days = int(return_days or 0)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 365:
        raise ValidationFailed({"return_days": _("Between 1 and 365 days.")})
    row, _created = PartsSettings.objects.select_for_update().get_or_create(
        company_id=actor.company_id
    )
    before = row.return_days
    row.return_days = days
    row.save(update_fields=["return_days"])
    audit_record(
        actor=actor,
        action="parts_settings.update",
        obj=row,
        changes={"return_days": [before, days]},
    )
    return row
