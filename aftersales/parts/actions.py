"""Every stock write: warehouses, levels, and the movements of the ledger (receipt, issue to an
order, return from an order, adjustment, scrap, transfers shipped and received) and
reservations. Each movement is one immutable ledger row and the level's on-hand changes with
it in the same transaction, under the level's lock; no balance, now or later, goes negative."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Region, Station, User
from aftersales.accounts.permissions import Perm, has_perm, require
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import (
    CHARGED_OUTCOMES,
    REQUEST_MACHINE,
    RETURN_MACHINE,
    InspectionOutcome,
    MoveKind,
    RequestStatus,
    ReservationStatus,
    ReturnStatus,
    TransferStatus,
    WarehouseKind,
)
from aftersales.parts.events import request_event, return_event
from aftersales.parts.ledger import headroom
from aftersales.parts.lock_objects import (
    lock_levels,
    lock_request,
    lock_reservation,
    lock_transfer,
)
from aftersales.parts.models import (
    Chargeback,
    PartsRequest,
    PartsRequestEvent,
    PartsRequestLine,
    PartsSettings,
    Reservation,
    ReturnEvent,
    ReturnObligation,
    StockLevel,
    StockMove,
    SupplierClaim,
    Transfer,
    Warehouse,
)
from aftersales.parts.rules import approver_level, may_approve
from aftersales.parts.selectors import (
    may_move_stock,
    requests_visible_to,
    returns_visible_to,
    warehouses_visible_to,
)
from aftersales.warranty.engine import FREE_TO_CUSTOMER

MAX_QUANTITY = 100_000
BACKDATE_DAYS = 31  # a movement may be dated at most this far back
CLOSED_ORDER = frozenset({"closed", "cancelled"})


# --- lookups and checks ----------------------------------------------------------------------


def _warehouse(actor: User, warehouse: Any, *, move: bool = True, bench: bool = False) -> Warehouse:
    """A warehouse the actor sees; for a movement, one they may move stock in (a technician:
    only their own van; at a workshop bench, also their station's shelf for an issue)."""
    require(actor, Perm.STOCK_MOVE if move else Perm.STOCK_VIEW)
    found = warehouses_visible_to(actor).filter(pk=as_id(warehouse)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    bench_shelf = (
        bench
        and has_perm(actor, Perm.WORKSHOP_BENCH)
        and found.technician_id is None
        and found.station_id is not None
        and found.station_id == actor.station_id
    )
    if move and not bench_shelf and not may_move_stock(actor, found):
        raise PermissionDenied("forbidden", _("A technician moves only their own van's stock."))
    if move and not found.is_active:
        raise Conflict("warehouse_inactive", _("This warehouse is closed."))
    return found


def _part(actor: User, part: Any) -> Part:
    found = Part.objects.filter(company_id=actor.company_id, pk=as_id(part)).first()
    if found is None:
        raise ValidationFailed({"part": _("Unknown part.")})
    return found


def _order(actor: User, order: Any) -> ServiceOrder:
    found = orders_visible_to(actor).filter(pk=as_id(order)).first()
    if found is None:
        raise ValidationFailed({"order": _("Unknown order.")})
    if found.status in CLOSED_ORDER:
        raise Conflict("order_closed", _("Parts cannot be booked on a closed order."))
    return found


def _quantity(value: Any, errors: Errors, *, signed: bool = False) -> int:
    try:
        q = int(value)
    except (TypeError, ValueError):
        q = 0
    if q == 0 or abs(q) > MAX_QUANTITY or (q < 0 and not signed):
        errors.add("quantity", _("Give a whole number of units (1 to 100,000)."))
    return q


def _moment(at: dt.datetime | None, now: dt.datetime, errors: Errors) -> dt.datetime:
    if at is None:
        return now
    if at > now + dt.timedelta(minutes=5):
        errors.add("at", _("A movement cannot be dated in the future."))
    elif at < now - dt.timedelta(days=BACKDATE_DAYS):
        errors.add(
            "at", _("A movement can be dated at most %(d)d days back.") % {"d": BACKDATE_DAYS}
        )
    return at


def _serials(part: Part, quantity: int, serial: str, errors: Errors) -> str:
    serial = (serial or "").strip()[:64]
    if part.is_serialised and abs(quantity) != 1:
        errors.add("quantity", _("A serialised part moves one unit at a time."))
    if part.is_serialised and not serial:
        errors.add("serial", _("This part is serialised: give its serial number."))
    return serial


def _record(
    *,
    actor: User | None,
    level: StockLevel,
    kind: Any,  # MoveKind
    quantity: int,
    at: dt.datetime,
    now: dt.datetime,
    held: int = 0,
    **fields: Any,
) -> StockMove:
    """Append one ledger row and move the level with it. A withdrawal must fit at its moment
    and at every later one (back-dated), and must not take units reserved for others (`held`
    is the part of the reservation this very movement consumes)."""
    if quantity < 0:
        later = list(
            StockMove.objects.filter(
                warehouse_id=level.warehouse_id, part_id=level.part_id, at__gt=at
            )
            .order_by("at", "id")
            .values_list("quantity", flat=True)
        )
        room = min(headroom(level.on_hand, later), level.on_hand - (level.reserved - held))
        if -quantity > room:
            raise Conflict(
                "insufficient_stock",
                _("Not enough stock: %(n)d available for this movement.") % {"n": max(room, 0)},
                details={"available": max(room, 0), "on_hand": level.on_hand},
            )
    move = StockMove.objects.create(
        company_id=level.warehouse.company_id,
        warehouse_id=level.warehouse_id,
        part_id=level.part_id,
        kind=kind,
        quantity=quantity,
        at=at,
        recorded_at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    level.on_hand += quantity
    level.reserved -= held
    level.save(update_fields=["on_hand", "reserved"])
    return move


def _level(warehouse: Warehouse, part: Part) -> StockLevel:
    level = lock_levels([(warehouse.pk, part.pk)])[(warehouse.pk, part.pk)]
    level.warehouse = warehouse
    return level


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
    company = actor.company_id
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


@transaction.atomic
def transfer_ship(
    *,
    actor: User,
    source: Any,
    target: Any,
    part: Any,
    quantity: int,
    shipment: str = "",
    now: dt.datetime | None = None,
) -> Transfer:
    """Ship units to another warehouse: out of the source now, in transit until received."""
    now = now or clock.now()
    src = _warehouse(actor, source)
    dst = Warehouse.objects.filter(company_id=actor.company_id, pk=as_id(target)).first()
    found_part = _part(actor, part)
    errors = Errors()
    q = _quantity(quantity, errors)
    if dst is None or not dst.is_active:
        errors.add("target", _("Unknown warehouse."))
    elif dst.pk == src.pk:
        errors.add("target", _("Ship to another warehouse."))
    if found_part.is_serialised and q != 1:
        errors.add("quantity", _("A serialised part moves one unit at a time."))
    errors.raise_if_any()
    assert dst is not None
    return _ship(actor, src, dst, found_part, q, shipment, now)


def _ship(
    actor: User,
    src: Warehouse,
    dst: Warehouse,
    part: Part,
    quantity: int,
    shipment: str,
    now: dt.datetime,
    line: Any = None,
) -> Transfer:
    level = _level(src, part)
    row = Transfer.objects.create(
        company_id=src.company_id,
        source=src,
        target=dst,
        part=part,
        quantity=quantity,
        shipment=(shipment or "").strip()[:100],
        shipped_at=now,
        shipped_by=actor,
        request_line=line,
    )
    _record(
        actor=actor,
        level=level,
        kind=MoveKind.TRANSFER_OUT,
        quantity=-quantity,
        at=now,
        now=now,
        transfer=row,
    )
    return row


@transaction.atomic
def transfer_receive(*, actor: User, transfer: Any, now: dt.datetime | None = None) -> Transfer:
    """Receive a shipment at its target; once only."""
    now = now or clock.now()
    row = Transfer.objects.filter(company_id=actor.company_id, pk=as_id(transfer)).first()
    if row is None:
        raise NotFound("not_found", _("Not found."))
    dst = _warehouse(actor, row.target_id)
    if row.request_line_id:
        # Global lock order (docs/architecture.md): the order the request is for (receiving it
        # may resume that order), then the request, the levels, the transfer. A technician
        # recording a part on the same order takes the order, then the level: same order.
        request_id, order_id = PartsRequestLine.objects.filter(pk=row.request_line_id).values_list(
            "request_id", "request__order_id"
        )[0]
        if order_id:
            ServiceOrder.objects.select_for_update().filter(pk=order_id).first()
        lock_request(request_id)
    level = _level(dst, row.part)
    locked = lock_transfer(row.pk)
    assert locked is not None
    if locked.status != TransferStatus.IN_TRANSIT:
        raise Conflict("already_received", _("This shipment was already received."))
    locked.status, locked.received_at, locked.received_by = TransferStatus.RECEIVED, now, actor
    locked.save(update_fields=["status", "received_at", "received_by"])
    _record(
        actor=actor,
        level=level,
        kind=MoveKind.TRANSFER_IN,
        quantity=locked.quantity,
        at=now,
        now=now,
        transfer=locked,
    )
    if locked.request_line_id:
        _request_received(actor, locked, now)
    return locked


# --- reservations ----------------------------------------------------------------------------


@transaction.atomic
def stock_reserve(
    *,
    actor: User,
    warehouse: Any,
    part: Any,
    quantity: int,
    order: Any,
    now: dt.datetime | None = None,
) -> Reservation:
    """Hold units for an order's visit; refused when fewer are available."""
    now = now or clock.now()
    found, found_part = _warehouse(actor, warehouse), _part(actor, part)
    found_order = _order(actor, order)
    errors = Errors()
    q = _quantity(quantity, errors)
    errors.raise_if_any()
    level = _level(found, found_part)
    if q > level.available:
        raise Conflict(
            "insufficient_stock",
            _("Not enough stock: %(n)d available for this movement.") % {"n": level.available},
            details={"available": level.available, "on_hand": level.on_hand},
        )
    level.reserved += q
    level.save(update_fields=["reserved"])
    row = Reservation.objects.create(
        company_id=actor.company_id,
        warehouse=found,
        part=found_part,
        order=found_order,
        quantity=q,
        created_at=now,
        created_by=actor,
    )
    audit_record(actor=actor, action="reservation.create", obj=row, changes={"quantity": [None, q]})
    return row


@transaction.atomic
def reservation_release(
    *, actor: User, reservation: Any, now: dt.datetime | None = None
) -> Reservation:
    now = now or clock.now()
    row = Reservation.objects.filter(company_id=actor.company_id, pk=as_id(reservation)).first()
    if row is None:
        raise NotFound("not_found", _("Not found."))
    found = _warehouse(actor, row.warehouse_id)
    level = _level(found, row.part)
    locked = lock_reservation(row.pk)
    assert locked is not None
    if locked.status != ReservationStatus.ACTIVE:
        raise Conflict("reservation_closed", _("This reservation was already used or released."))
    locked.status, locked.closed_at = ReservationStatus.RELEASED, now
    locked.save(update_fields=["status", "closed_at"])
    level.reserved -= locked.quantity
    level.save(update_fields=["reserved"])
    audit_record(
        actor=actor,
        action="reservation.release",
        obj=locked,
        changes={"status": ["active", "released"]},
    )
    return locked


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
        company_id=actor.company_id,
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
        _pause_order_for_parts(row, now)
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


def _pause_order_for_parts(row: PartsRequest, now: dt.datetime) -> None:
    from aftersales.orders.actions import order_transition
    from aftersales.orders.choices import PAUSABLE

    order = ServiceOrder.objects.get(pk=row.order_id)
    if order.status in PAUSABLE:
        order_transition(
            actor=None,
            order=order,
            action="wait_parts",
            reason=str(_("Waiting for parts request %(n)s") % {"n": row.pk}),
            at=now,
        )


def _request_received(actor: User, transfer: Transfer, now: dt.datetime) -> None:
    """A shipment of a request arrived: count it; when every approved unit is in, the request
    is fulfilled and an order waiting only for these parts resumes."""
    line = PartsRequestLine.objects.select_related("request").get(pk=transfer.request_line_id)
    row = lock_request(line.request_id)
    assert row is not None
    line.received += transfer.quantity
    line.save(update_fields=["received"])
    lines = list(row.lines.all())
    if all(x.received >= x.approved for x in lines):
        _apply_request(row, "fulfil", actor=actor, at=now)
        if row.order_id:
            _resume_order(row, now)


def _resume_order(row: PartsRequest, now: dt.datetime) -> None:
    from aftersales.orders.actions import order_transition

    order = ServiceOrder.objects.get(pk=row.order_id)
    still_waiting = PartsRequest.objects.filter(
        order_id=order.pk, status__in=(RequestStatus.SUBMITTED, RequestStatus.APPROVED)
    ).exists()
    if order.status == "waiting_parts" and not still_waiting:
        order_transition(
            actor=None,
            order=order,
            action="resume",
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


# --- old-part returns (旧件返还) --------------------------------------------------------------


def parts_settings(company_id: int) -> PartsSettings:
    return PartsSettings.objects.filter(company_id=company_id).first() or PartsSettings(
        company_id=company_id
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
def parts_settings_update(*, actor: User, return_days: int) -> PartsSettings:
    """Days a station has to send an old part back (applies to parts issued from now on)."""
    require(actor, Perm.WAREHOUSE_EDIT)
    try:
        days = int(return_days)
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
