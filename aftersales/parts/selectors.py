"""Reads of the stock, scoped: station people see their station's warehouses and vans,
regional staff their region's, everyone else the company's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum

from aftersales.accounts.choices import STATION_ROLES, Role
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.accounts.selectors import stations_visible_to
from aftersales.parts.models import (
    PartsRequest,
    PartsSettings,
    ReturnObligation,
    StockLevel,
    StockMove,
    Warehouse,
)


def warehouses_visible_to(user: Any) -> QuerySet[Warehouse]:
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return Warehouse.objects.none()
    qs = Warehouse.objects.filter(company_id=user.company_id)
    if user.role in STATION_ROLES or user.station_id:
        return qs.filter(station_id=user.station_id) if user.station_id else qs.none()
    if user.region_id:
        return qs.filter(Q(region_id=user.region_id) | Q(station__region_id=user.region_id))
    return qs


def may_move_stock(user: Any, warehouse: Warehouse) -> bool:
    """Movements in a visible warehouse: STOCK_MOVE, and a technician only in their own van."""
    if not has_perm(user, Perm.STOCK_MOVE):
        return False
    return user.role != Role.TECHNICIAN or warehouse.technician_id == user.pk


def levels_visible_to(user: Any) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(warehouse__in=warehouses_visible_to(user))


def low_stock(user: Any) -> QuerySet[StockLevel]:
    """Levels at or below their minimum (a minimum of 0 means no alert)."""
    return (
        levels_visible_to(user)
        .filter(min_level__gt=0, on_hand__lte=F("min_level"))
        .select_related("warehouse", "part")
        .order_by("warehouse__code", "part__code")
    )


def on_hand_at(warehouse_id: int, part_id: int, moment: dt.datetime) -> int:
    """The balance of one part in one warehouse at a moment, from the ledger."""
    total = StockMove.objects.filter(
        warehouse_id=warehouse_id, part_id=part_id, at__lte=moment
    ).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def ledger(user: Any, filters: dict[str, Any]) -> QuerySet[StockMove]:
    """Ledger rows the user may see, newest first; filters: warehouse, part, kind, order,
    since, until (dates)."""
    qs = StockMove.objects.filter(warehouse__in=warehouses_visible_to(user))
    for key, field in (("warehouse", "warehouse_id"), ("part", "part_id"), ("order", "order_id")):
        if filters.get(key):
            qs = qs.filter(**{field: filters[key]})
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("since"):
        qs = qs.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__date__lte=filters["until"])
    return qs.select_related("warehouse", "part", "actor", "order").order_by("-at", "-id")


def parts_used(order_id: int) -> list[dict[str, Any]]:
    """Parts issued to an order net of returns, per part, with what the customer pays (price
    list at issue time; nothing for warranty parts)."""
    out: dict[int, dict[str, Any]] = {}
    moves = (
        StockMove.objects.filter(order_id=order_id, kind__in=("issue", "return"))
        .select_related("part")
        .order_by("id")
    )
    for m in moves:
        row = out.setdefault(
            m.part_id,
            {"part": m.part, "quantity": 0, "charged": Decimal("0.00"), "serials": []},
        )
        row["quantity"] -= m.quantity
        if m.charge_customer and m.unit_price is not None:
            row["charged"] -= m.unit_price * m.quantity
        if m.serial:
            row["serials"].append((m.serial, m.old_serial))
    return [r for r in out.values() if r["quantity"]]


def requests_visible_to(user: Any) -> QuerySet[PartsRequest]:
    """Parts requests in the user's scope: station people their station's (a technician only
    their own), regional staff their region's, everyone else the company's (including central
    and regional refills, which belong to no station)."""
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return PartsRequest.objects.none()
    qs = PartsRequest.objects.filter(company_id=user.company_id)
    if user.role in STATION_ROLES or user.station_id:
        if not user.station_id:
            return qs.none()
        qs = qs.filter(station_id=user.station_id)
        return qs.filter(requested_by=user) if user.role == Role.TECHNICIAN else qs
    if user.region_id:
        return qs.filter(Q(station__region_id=user.region_id) | Q(target__region_id=user.region_id))
    return qs


def returns_visible_to(user: Any) -> QuerySet[ReturnObligation]:
    return ReturnObligation.objects.filter(station__in=stations_visible_to(user))


def replaced_components(order_ids: list[int]) -> dict[int, set[str]]:
    """The main components (and accessories) each order replaced: parts issued to it, net of
    returns, whose catalogue part belongs to a main component. One query. (warranty's
    REPLACED_COMPONENTS_HOOKS, registered in `PartsConfig.ready()`.)"""
    if not order_ids:
        return {}
    rows = (
        StockMove.objects.filter(
            order_id__in=order_ids, kind__in=("issue", "return"), part__component__isnull=False
        )
        .values("order_id", "part__component__code")
        .annotate(net=Sum("quantity"))
    )
    out: dict[int, set[str]] = {}
    for row in rows:
        if row["net"] < 0:  # issues are negative: more issued than returned
            out.setdefault(row["order_id"], set()).add(row["part__component__code"])
    return out


def parts_settings(company_id: int) -> PartsSettings:
    return PartsSettings.objects.filter(company_id=company_id).first() or PartsSettings(
        company_id=company_id
    )
