"""The parts kit of a planned service is reserved in the station's stock when its visit is
booked (through `parts.actions.stock_reserve`), once, and a short part is noted, not refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aftersales.dispatch.actions import BOOKED_HOOKS
from aftersales.maintenance import actions
from aftersales.maintenance.models import MaintenanceVisit
from aftersales.orders import actions as order_actions
from aftersales.orders.actions import CANCEL_HOOKS
from aftersales.parts import actions as parts
from aftersales.parts.models import Reservation, StockLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(plan, data, people):
    manager = people["service_manager"]
    warehouse = parts.warehouse_create(
        actor=manager, kind="station", code="S1", name="上海一站库", station=data["s1"]
    )
    parts.stock_receive(actor=manager, warehouse=warehouse, part=plan["filter"], quantity=3)
    return warehouse


def test_booking_a_planned_visit_reserves_its_kit_once(plan, data, shelf):
    assert actions.kit_reserve in BOOKED_HOOKS
    actions.unit_generate(unit=data["u1"])
    order = MaintenanceVisit.objects.get(unit=data["u1"]).order
    booked = SimpleNamespace(station_id=data["s1"].pk)
    done = actions.kit_reserve(order, booked)
    assert [(x["part"], x["quantity"]) for x in done["reserved"]] == [(plan["filter"].pk, 1)]
    held = Reservation.objects.get(order=order)
    assert (held.warehouse_id, held.part_id, held.quantity) == (shelf.pk, plan["filter"].pk, 1)
    assert StockLevel.objects.get(warehouse=shelf, part=plan["filter"]).reserved == 1
    note = order.events.get(action="kit_reserved")
    assert "机油滤清器 × 1" in note.reason
    # Moving the visit books again: nothing is reserved twice.
    assert actions.kit_reserve(order, booked) == {"reserved": [], "short": [], "released": []}
    assert Reservation.objects.filter(order=order).count() == 1


def test_a_part_short_in_stock_is_noted_and_the_rest_reserved(plan, data, people, shelf):
    # The first level also needs 20 of oil, none in stock.
    actions.task_save(
        actor=plan["manager"],
        level=plan["first_level"],
        kind="replace",
        text="更换机油",
        part=plan["oil"],
        quantity=20,
    )
    actions.unit_generate(unit=data["u1"])
    order = MaintenanceVisit.objects.get(unit=data["u1"]).order
    done = actions.kit_reserve(order, SimpleNamespace(station_id=data["s1"].pk))
    assert [x["part"] for x in done["reserved"]] == [plan["filter"].pk]
    assert [(x["part"], x["quantity"], x["available"]) for x in done["short"]] == [
        (plan["oil"].pk, 20, 0)
    ]
    assert "机油 × 20" in order.events.get(action="kit_reserved").reason


def test_an_order_without_a_planned_service_reserves_nothing(data, shelf, new_order):
    order = new_order()
    assert actions.kit_reserve(order, SimpleNamespace(station_id=data["s1"].pk)) == {
        "reserved": [],
        "short": [],
        "released": [],
    }


def test_the_kit_follows_the_visit_rebooked_at_another_station(plan, data, people, shelf):
    other = parts.warehouse_create(
        actor=people["service_manager"],
        kind="station",
        code="S2",
        name="北京一站库",
        station=data["s2"],
    )
    parts.stock_receive(
        actor=people["service_manager"], warehouse=other, part=plan["filter"], quantity=2
    )
    actions.unit_generate(unit=data["u1"])
    order = MaintenanceVisit.objects.get(unit=data["u1"]).order
    first = actions.kit_reserve(order, SimpleNamespace(station_id=data["s1"].pk))
    old = Reservation.objects.get(pk=first["reserved"][0]["reservation"])
    # Rebooked at the other station: released at the first, reserved at the second.
    moved = actions.kit_reserve(order, SimpleNamespace(station_id=data["s2"].pk))
    assert [x["reservation"] for x in moved["released"]] == [old.pk]
    old.refresh_from_db()
    assert old.status == "released"
    assert StockLevel.objects.get(warehouse=shelf, part=plan["filter"]).reserved == 0
    held = Reservation.objects.get(order=order, status="active")
    assert (held.warehouse_id, held.part_id, held.quantity) == (other.pk, plan["filter"].pk, 1)
    assert StockLevel.objects.get(warehouse=other, part=plan["filter"]).reserved == 1
    assert "released" in order.events.filter(action="kit_reserved").last().payload


def test_cancelling_the_order_releases_the_kit(plan, data, people, shelf):
    assert actions.kit_release in CANCEL_HOOKS
    actions.unit_generate(unit=data["u1"])
    order = MaintenanceVisit.objects.get(unit=data["u1"]).order
    actions.kit_reserve(order, SimpleNamespace(station_id=data["s1"].pk))
    order_actions.order_cancel(actor=people["service_manager"], order=order, reason="客户取消")
    assert not Reservation.objects.filter(order=order, status="active").exists()
    assert Reservation.objects.get(order=order).status == "released"
    assert StockLevel.objects.get(warehouse=shelf, part=plan["filter"]).reserved == 0
