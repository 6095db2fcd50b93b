"""Reservations: stock held for a booked visit, consumed by the issue or released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import company_of
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors
from aftersales.parts.choices import (
    ReservationStatus,
)
from aftersales.parts.lock_objects import (
    lock_reservation,
)
from aftersales.parts.models import (
    Reservation,
)
from aftersales.parts.movements import _level, _order, _part, _quantity, _warehouse

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
        company_id=company_of(actor),
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
    row = Reservation.objects.filter(company_id=company_of(actor), pk=as_id(reservation)).first()
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
