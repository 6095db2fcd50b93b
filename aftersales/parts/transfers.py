"""Stock transfers between warehouses: shipped (in transit), then received once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import company_of
from aftersales.core import clock
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors
from aftersales.orders.models import ServiceOrder
from aftersales.parts.choices import (
    MoveKind,
    TransferStatus,
)
from aftersales.parts.lock_objects import (
    lock_request,
    lock_transfer,
)
from aftersales.parts.models import (
    PartsRequestLine,
    Transfer,
    Warehouse,
)
from aftersales.parts.movements import (
    _level,
    _part,
    _quantity,
    _record,
    _ship,
    _warehouse,
)
from aftersales.parts.requests import _request_received


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
    dst = Warehouse.objects.filter(company_id=company_of(actor), pk=as_id(target)).first()
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


@transaction.atomic
def transfer_receive(*, actor: User, transfer: Any, now: dt.datetime | None = None) -> Transfer:
    """Receive a shipment at its target; once only."""
    now = now or clock.now()
    row = Transfer.objects.filter(company_id=company_of(actor), pk=as_id(transfer)).first()
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
        _request_received(actor, locked, locked.request_line_id, now)
    return locked
