"""A hand-built month: fee rules, a station with coordinates, orders completed in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aftersales.billing import actions
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder

SH = ZoneInfo("Asia/Shanghai")
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


@pytest.fixture
def month(data: dict[str, Any], people: dict[str, Any]) -> dict[str, Any]:
    finance = people["finance"]
    station = data["s1"]
    station.latitude, station.longitude = 31.2304, 121.4737
    station.save(update_fields=["latitude", "longitude"])
    address = data["c1"].addresses.first()
    # About 22 km east of the station.
    address.latitude, address.longitude = 31.2304, 121.7050
    address.save(update_fields=["latitude", "longitude"])
    rules = {
        "labour": actions.fee_rule_create(
            actor=finance,
            code="labour",
            name="工时费",
            kind="labour",
            valid_from=dt.date(2026, 1, 1),
            params={"hours": "1.5", "rate": "40"},
        ),
        "labour_ac": actions.fee_rule_create(
            actor=finance,
            code="labour-ac",
            name="空调工时费",
            kind="labour",
            valid_from=dt.date(2026, 1, 1),
            criteria={"category": "ac", "service_type": "repair"},
            params={"amount": "80"},
        ),
        "travel": actions.fee_rule_create(
            actor=finance,
            code="travel",
            name="里程费",
            kind="travel",
            valid_from=dt.date(2026, 1, 1),
            params={"free_km": "10", "per_km": "1.5"},
        ),
        "urgent": actions.fee_rule_create(
            actor=finance,
            code="urgent",
            name="加急",
            kind="urgent",
            valid_from=dt.date(2026, 1, 1),
            params={"percent": "20"},
        ),
    }
    return {"finance": finance, "station": station, "address": address, "rules": rules}


@pytest.fixture
def completed(
    new_order: Callable[..., ServiceOrder], data: dict[str, Any], month: dict[str, Any]
) -> Callable[..., ServiceOrder]:
    """An order completed at the station at a Shanghai wall-clock time (set directly: the
    billing tests start where field work ends)."""

    def make(when: dt.datetime, **fields: Any) -> ServiceOrder:
        order = new_order()
        values = {
            "status": Status.COMPLETED,
            "completed_at": when.replace(tzinfo=SH),
            "station": month["station"],
            "address": month["address"],
            "service_type": "repair",
            "priority": "medium",
            **fields,
        }
        ServiceOrder.objects.filter(pk=order.pk).update(**values)
        return ServiceOrder.objects.get(pk=order.pk)

    return make


def amounts(statement: Any) -> list[tuple[str, str, D]]:
    return [
        (line.kind, line.fee_kind, line.amount) for line in statement.lines.order_by("position")
    ]
