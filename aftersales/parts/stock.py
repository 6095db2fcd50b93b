"""Warehouses, levels and the movements of the ledger: receipt, issue to an order, return
from an order, adjustment, scrap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Region, Station, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import (
    MoveKind,
    ReservationStatus,
    WarehouseKind,
)
from aftersales.parts.lock_objects import (
    lock_reservation,
)
from aftersales.parts.models import (
    StockLevel,
    StockMove,
    Warehouse,
)
from aftersales.parts.movements import (
    MAX_QUANTITY,
    _level,
    _moment,
    _order,
    _part,
    _quantity,
    _record,
    _serials,
    _warehouse,
)
from aftersales.parts.returns import _return_obligation
from aftersales.warranty.engine import FREE_TO_CUSTOMER

# --- warehouses and levels -------------------------------------------------------------------


@transaction.atomic
def warehouse_create(
    *,
    actor: User,
    kind: str,
    code: str,
    name: str,
    region: Any = None,
    station: Any = None,
    technician: Any = None,
) -> Warehouse:
    """A central, regional or station warehouse, or a technician's van (which belongs to the
    technician's station)."""
    require(actor, Perm.WAREHOUSE_EDIT)
    errors = Errors()
    code, name = (code or "").strip()[:32], (name or "").strip()[:100]
    if not code:
        errors.add("code", _("This field is required."))
    if not name:
        errors.add("name", _("This field is required."))
    if kind not in WarehouseKind.values:
        errors.add("kind", _("Unknown kind."))
    company = company_of(actor)
    region_row = Region.objects.filter(company_id=company, pk=as_id(region)).first()
    station_row = Station.objects.filter(company_id=company, pk=as_id(station)).first()
    tech_row = User.objects.filter(
        company_id=company, pk=as_id(technician), role=Role.TECHNICIAN
    ).first()
    if kind == WarehouseKind.REGIONAL and region_row is None:
        errors.add("region", _("A regional warehouse needs its region."))
    if kind == WarehouseKind.STATION and station_row is None:
        errors.add("station", _("A station warehouse needs its station."))
    if kind == WarehouseKind.VAN:
        if tech_row is None or tech_row.station_id is None:
            errors.add("technician", _("A van needs a technician of a station."))
        elif Warehouse.objects.filter(technician=tech_row).exists():
            errors.add("technician", _("This technician already has a van."))
        else:
            station_row = tech_row.station
    if Warehouse.objects.filter(company_id=company, code=code).exists():
        errors.add("code", _("This code is already used."))
    errors.raise_if_any()
    if station_row is not None:
        region_row = station_row.region
    row = Warehouse.objects.create(
        company_id=company,
        kind=kind,
        code=code,
        name=name,
        region=region_row if kind != WarehouseKind.CENTRAL else None,
        station=station_row if kind in (WarehouseKind.STATION, WarehouseKind.VAN) else None,
        technician=tech_row if kind == WarehouseKind.VAN else None,
    )
    audit_record(
        actor=actor,
        action="warehouse.create",
        obj=row,
        changes={"kind": [None, kind], "code": [None, code], "name": [None, name]},
    )
    return row


@transaction.atomic
def stock_level_set(
    *, actor: User, warehouse: Any, part: Any, min_level: int, max_level: int
) -> StockLevel:
    """Minimum (alert below it) and maximum (refill up to it) for a part in a warehouse."""
    found = _warehouse(actor, warehouse)
    if actor.role == Role.TECHNICIAN:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    found_part = _part(actor, part)
    low, high = int(min_level), int(max_level)  # a maximum of 0: no maximum
    if not (0 <= low <= MAX_QUANTITY and 0 <= high <= MAX_QUANTITY) or (high and low > high):
        raise ValidationFailed({"max_level": _("The maximum must be at least the minimum.")})
    level = _level(found, found_part)
    before = {"min_level": level.min_level, "max_level": level.max_level}
    level.min_level, level.max_level = low, high
    level.save(update_fields=["min_level", "max_level"])
    audit_record(
        actor=actor,
        action="stock_level.set",
        obj=level,
        changes={k: [v, getattr(level, k)] for k, v in before.items()},
    )
    return level


# --- movements -------------------------------------------------------------------------------


@transaction.atomic
def stock_receive(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    at: dt.datetime | None = None,
    serial: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> StockMove:
    """Goods received (from a supplier or production)."""
    now = now or clock.now()
    found, found_part = _warehouse(actor, warehouse), _part(actor, part)
    errors = Errors()
    q = _quantity(quantity, errors)
    when = _moment(at, now, errors)
    serial = _serials(found_part, q, serial, errors)
    errors.raise_if_any()
    return _record(
        actor=actor,
        level=_level(found, found_part),
        kind=MoveKind.RECEIPT,
        quantity=q,
        at=when,
        now=now,
        serial=serial,
        reason=(reason or "").strip()[:500],
    )


@transaction.atomic
def stock_issue(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    order: Any,
    at: dt.datetime | None = None,
    serial: str = "",
    old_serial: str = "",
    reservation: Any = None,
    now: dt.datetime | None = None,
    bench: bool = False,
) -> StockMove:
    """Parts used on an order: out of the warehouse (a technician's van), with the new part's
    serial and the old part's. Consumes the order's reservation when one is given. The row
    keeps the price list's unit price; the customer pays it unless the order's 三包 decision
    makes the repair free (then the old part must come back: a return obligation).
    `bench`: a workshop bench issue (the workshop's action checked the job), from the
    technician's station shelf."""
    now = now or clock.now()
    found, found_part = _warehouse(actor, warehouse, bench=bench), _part(actor, part)
    found_order = _order(actor, order)
    errors = Errors()
    q = _quantity(quantity, errors)
    when = _moment(at, now, errors)
    serial = _serials(found_part, q, serial, errors)
    errors.raise_if_any()
    level = _level(found, found_part)
    held = 0
    if reservation is not None:
        row = lock_reservation(as_id(reservation))
        if (
            row is None
            or row.order_id != found_order.pk
            or (row.warehouse_id, row.part_id) != (found.pk, found_part.pk)
        ):
            raise ValidationFailed({"reservation": _("Not a reservation of this order here.")})
        if row.status != ReservationStatus.ACTIVE:
            raise Conflict(
                "reservation_closed", _("This reservation was already used or released.")
            )
        held = min(row.quantity, q)
        row.status, row.closed_at = ReservationStatus.CONSUMED, now
        row.save(update_fields=["status", "closed_at"])
        # Any rest of the reservation that this issue does not use goes back to the shelf.
        level.reserved -= row.quantity - held
    move = _record(
        actor=actor,
        level=level,
        kind=MoveKind.ISSUE,
        quantity=-q,
        at=when,
        now=now,
        held=held,
        order=found_order,
        serial=serial,
        old_serial=(old_serial or "").strip()[:64],
        unit_price=found_part.price,
        charge_customer=found_order.warranty_decision not in FREE_TO_CUSTOMER,
    )
    if found_order.warranty_decision in FREE_TO_CUSTOMER:
        _return_obligation(actor, move, found_order, found, now)
    return move


@transaction.atomic
def stock_return(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    order: Any,
    serial: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> StockMove:
    """An unused part back from an order into stock: never more than the order took."""
    now = now or clock.now()
    found, found_part = _warehouse(actor, warehouse), _part(actor, part)
    found_order = orders_visible_to(actor).filter(pk=as_id(order)).first()
    if found_order is None:
        raise ValidationFailed({"order": _("Unknown order.")})
    errors = Errors()
    q = _quantity(quantity, errors)
    serial = _serials(found_part, q, serial, errors)
    errors.raise_if_any()
    level = _level(found, found_part)
    taken = -(
        StockMove.objects.filter(
            order=found_order, part=found_part, kind__in=(MoveKind.ISSUE, MoveKind.RETURN)
        ).aggregate(total=Sum("quantity"))["total"]
        or 0
    )
    if q > taken:
        raise Conflict(
            "more_than_issued",
            _("Only %(n)d of this part were issued to the order and not yet returned.")
            % {"n": taken},
        )
    issued = (
        StockMove.objects.filter(order=found_order, part=found_part, kind=MoveKind.ISSUE)
        .order_by("-id")
        .first()
    )
    return _record(
        actor=actor,
        level=level,
        kind=MoveKind.RETURN,
        quantity=q,
        at=now,
        now=now,
        order=found_order,
        serial=serial,
        reason=(reason or "").strip()[:500],
        # Credited as it was charged.
        unit_price=issued.unit_price if issued else None,
        charge_customer=bool(issued and issued.charge_customer),
    )


@transaction.atomic
def stock_adjust(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    reason: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> StockMove:
    """A stock-count correction (positive or negative), always with a reason."""
    return _with_reason(actor, warehouse, part, quantity, reason, at, now, MoveKind.ADJUST)


@transaction.atomic
def stock_scrap(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    reason: str,
    now: dt.datetime | None = None,
) -> StockMove:
    """Write units off (damaged, expired), with a reason."""
    return _with_reason(
        actor, warehouse, part, -abs(int(quantity or 0)), reason, None, now, MoveKind.SCRAP
    )


def _with_reason(
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    reason: str,
    at: dt.datetime | None,
    now: dt.datetime | None,
    kind: Any,  # MoveKind
) -> StockMove:
    now = now or clock.now()
    found, found_part = _warehouse(actor, warehouse), _part(actor, part)
    if actor.role == Role.TECHNICIAN:
        raise PermissionDenied("forbidden", _("Adjustments are made by the station or above."))
    errors = Errors()
    q = _quantity(quantity, errors, signed=True)
    when = _moment(at, now, errors)
    reason = (reason or "").strip()[:500]
    if not reason:
        errors.add("reason", _("Give the reason."))
    errors.raise_if_any()
    return _record(
        actor=actor,
        level=_level(found, found_part),
        kind=kind,
        quantity=q,
        at=when,
        now=now,
        reason=reason,
    )
