"""The shared core of every stock write: the lookups and checks the actions share, the
ledger writer (`_record`: one immutable row and the level's on-hand with it, under the
level's lock) and the shipment of a transfer (`_ship`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.catalog.models import Part
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import (
    MoveKind,
)
from aftersales.parts.ledger import headroom
from aftersales.parts.lock_objects import (
    lock_levels,
)
from aftersales.parts.models import (
    StockLevel,
    StockMove,
    Transfer,
    Warehouse,
)
from aftersales.parts.selectors import (
    may_move_stock,
    warehouses_visible_to,
)

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
    found = Part.objects.filter(company_id=company_of(actor), pk=as_id(part)).first()
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
