"""Stock fixtures: a central warehouse, the first station's warehouse, a technician's van, two
parts (one serialised) and an order at that station."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aftersales.catalog.models import Part
from aftersales.parts import actions


@pytest.fixture
def stock(org_tree: dict[str, Any], people: dict[str, Any], catalog: dict[str, Any], new_order):
    manager = people["service_manager"]
    central = actions.warehouse_create(actor=manager, kind="central", code="C", name="总库")
    station = actions.warehouse_create(
        actor=manager, kind="station", code="S1", name="上海一站库", station=org_tree["s1"]
    )
    van = actions.warehouse_create(
        actor=manager, kind="van", code="V1", name="车载库", technician=people["tech"]
    )
    company = org_tree["company"]
    capacitor = Part.objects.create(
        company=company, code="CAP-35", name="压缩机电容", price=Decimal("35.00")
    )
    board = Part.objects.create(
        company=company, code="PCB-1", name="主控板", price=Decimal("280.00"), is_serialised=True
    )
    return {
        "central": central,
        "station": station,
        "van": van,
        "capacitor": capacitor,
        "board": board,
        "order": new_order(),
        "manager": manager,
        "people": people,
    }
