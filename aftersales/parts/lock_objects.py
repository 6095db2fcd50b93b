"""Row locks of the stock, always in one order: a parts request first, then stock levels
(created first if missing) in (warehouse id, part id) order, then transfers and reservations.
Two movements over the same rows therefore never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from aftersales.parts.models import PartsRequest, Reservation, StockLevel, Transfer


def lock_levels(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock the stock levels of these (warehouse id, part id) pairs, creating missing ones."""
    wanted = sorted(set(pairs))
    for warehouse_id, part_id in wanted:
        if not StockLevel.objects.filter(warehouse_id=warehouse_id, part_id=part_id).exists():
            try:
                with transaction.atomic():
                    StockLevel.objects.create(warehouse_id=warehouse_id, part_id=part_id)
            except IntegrityError:
                pass  # created meanwhile by a concurrent movement
    out: dict[tuple[int, int], StockLevel] = {}
    for warehouse_id, part_id in wanted:
        level = StockLevel.objects.select_for_update().get(
            warehouse_id=warehouse_id, part_id=part_id
        )
        out[(warehouse_id, part_id)] = level
    return out


def lock_transfer(pk: int) -> Transfer | None:
    return Transfer.objects.select_for_update().filter(pk=pk).first()


def lock_reservation(pk: int) -> Reservation | None:
    return Reservation.objects.select_for_update().filter(pk=pk).first()


def lock_request(pk: int) -> PartsRequest | None:
    return PartsRequest.objects.select_for_update().filter(pk=pk).first()
