"""Row locks of dispatch. Every action takes them in one order — technicians, then the plan,
then orders — and each kind in primary-key order, so two dispatchers never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from aftersales.accounts.models import TechnicianProfile
from aftersales.dispatch.models import DispatchPlan
from aftersales.orders.models import ServiceOrder


def lock_technicians(user_ids: Iterable[int]) -> None:
    """Serialises bookings and moves that use these technicians' capacity."""
    list(
        TechnicianProfile.objects.select_for_update()
        .filter(user_id__in=sorted(set(user_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_orders(order_ids: Iterable[int]) -> dict[int, ServiceOrder]:
    rows = (
        ServiceOrder.objects.select_for_update()
        .filter(pk__in=sorted(set(order_ids)))
        .order_by("pk")
    )
    return {o.pk: o for o in rows}


def lock_plan(pk: int) -> DispatchPlan | None:
    return DispatchPlan.objects.select_for_update().filter(pk=pk).first()
