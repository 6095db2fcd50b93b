"""Invariants the data must keep whatever happened (a crash, a restore, a fault): checked by
`aftersales check_invariants`, the restore drill and the load-with-faults run."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from aftersales.orders.choices import EventKind
from aftersales.orders.models import ServiceOrder
from aftersales.parts.models import StockLevel, StockMove


def violations() -> dict[str, list[int]]:
    """Each invariant's name with the ids of the rows that break it (empty lists: all kept)."""
    found: dict[str, list[int]] = {}
    # Every order has exactly one created event.
    found["order_without_created_event"] = list(
        ServiceOrder.objects.annotate(
            created=Count("events", filter=Q(events__kind=EventKind.CREATED))
        )
        .exclude(created=1)
        .values_list("pk", flat=True)[:100]
    )
    # Every stock level equals the sum of its ledger rows.
    ledger = {
        (row["warehouse_id"], row["part_id"]): row["total"] or 0
        for row in StockMove.objects.values("warehouse_id", "part_id").annotate(
            total=Sum("quantity")
        )
    }
    wrong: list[int] = []
    seen = set()
    for pk, warehouse_id, part_id, on_hand in StockLevel.objects.values_list(
        "pk", "warehouse_id", "part_id", "on_hand"
    ).iterator():
        seen.add((warehouse_id, part_id))
        if ledger.get((warehouse_id, part_id), 0) != on_hand:
            wrong.append(pk)
    found["stock_level_not_equal_to_ledger"] = wrong[:100]
    found["ledger_without_stock_level"] = [
        w for (w, _p), total in ledger.items() if (w, _p) not in seen and total != 0
    ][:100]
    return found


def broken(found: dict[str, list[int]]) -> dict[str, list[int]]:
    return {name: ids for name, ids in found.items() if ids}
