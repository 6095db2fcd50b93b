"""Stock actions: the ledger and the levels move together, never below zero (even back-dated),
reservations hold units, transfers arrive once, and the scope of who may move what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.core.models import AppendOnlyError
from aftersales.parts import actions
from aftersales.parts.models import StockLevel, StockMove

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _on_hand(warehouse, part):
    level = StockLevel.objects.filter(warehouse=warehouse, part=part).first()
    return level.on_hand if level else 0


def _ledger_sum(warehouse, part):
    total = StockMove.objects.filter(warehouse=warehouse, part=part).aggregate(s=Sum("quantity"))
    return total["s"] or 0


def _code(call):
    with pytest.raises(ApplicationError) as err:
        call()
    return err.value.code


def _assign_to_tech(stock):
    from aftersales.orders import actions as orders

    people = stock["people"]
    order = orders.order_transition(
        actor=people["dispatcher"],
        order=stock["order"],
        action="dispatch",
        station=stock["station"].station,
    )
    orders.order_transition(
        actor=people["dispatcher"], order=order, action="assign", technician=people["tech"]
    )


def test_a_technician_books_parts_only_on_their_own_orders(stock):
    m, van, cap = stock["manager"], stock["van"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=van, part=cap, quantity=5)
    code = _code(
        lambda: actions.stock_issue(
            actor=stock["people"]["tech"], warehouse=van, part=cap, quantity=1, order=stock["order"]
        )
    )
    assert code == "invalid"  # not their order: they cannot even see it
    assert _on_hand(van, cap) == 5


def test_receive_and_issue_move_the_ledger_and_the_level_together(stock):
    m, van, cap = stock["manager"], stock["van"], stock["capacitor"]
    _assign_to_tech(stock)
    actions.stock_receive(actor=m, warehouse=van, part=cap, quantity=5)
    move = actions.stock_issue(
        actor=stock["people"]["tech"], warehouse=van, part=cap, quantity=2, order=stock["order"]
    )
    assert (move.kind, move.quantity, move.order_id) == ("issue", -2, stock["order"].pk)
    assert _on_hand(van, cap) == 3 == _ledger_sum(van, cap)


def test_an_issue_beyond_the_stock_is_refused_and_writes_nothing(stock):
    m, van, cap = stock["manager"], stock["van"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=van, part=cap, quantity=1)
    code = _code(
        lambda: actions.stock_issue(
            actor=m, warehouse=van, part=cap, quantity=2, order=stock["order"]
        )
    )
    assert code == "insufficient_stock"
    assert StockMove.objects.count() == 1 and _on_hand(van, cap) == 1


def test_a_back_dated_issue_that_would_break_a_later_balance_is_refused(stock):
    m, wh, cap, order = stock["manager"], stock["station"], stock["capacitor"], stock["order"]
    actions.stock_receive(
        actor=m, warehouse=wh, part=cap, quantity=5, at=NOW - dt.timedelta(days=3), now=NOW
    )
    actions.stock_issue(
        actor=m,
        warehouse=wh,
        part=cap,
        quantity=4,
        order=order,
        at=NOW - dt.timedelta(days=1),
        now=NOW,
    )
    two_days_ago = NOW - dt.timedelta(days=2)

    code = _code(
        lambda: actions.stock_issue(
            actor=m, warehouse=wh, part=cap, quantity=2, order=order, at=two_days_ago, now=NOW
        )
    )
    assert code == "insufficient_stock"  # the balance of yesterday would be -1
    actions.stock_issue(
        actor=m, warehouse=wh, part=cap, quantity=1, order=order, at=two_days_ago, now=NOW
    )
    assert _on_hand(wh, cap) == 0 == _ledger_sum(wh, cap)


def test_movements_cannot_be_dated_in_the_future_or_too_far_back(stock):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    future = _code(
        lambda: actions.stock_receive(
            actor=m, warehouse=wh, part=cap, quantity=1, at=NOW + dt.timedelta(days=1), now=NOW
        )
    )
    ancient = _code(
        lambda: actions.stock_receive(
            actor=m, warehouse=wh, part=cap, quantity=1, at=NOW - dt.timedelta(days=90), now=NOW
        )
    )
    assert future == ancient == "invalid"


def test_a_technician_moves_only_their_own_vans_stock(stock, make_user):
    from aftersales.accounts.choices import Role

    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["station"], part=cap, quantity=3)
    tech = stock["people"]["tech"]
    code = _code(
        lambda: actions.stock_issue(
            actor=tech, warehouse=stock["station"], part=cap, quantity=1, order=stock["order"]
        )
    )
    assert code == "forbidden"
    colleague = make_user(Role.TECHNICIAN, station=stock["station"].station)
    assert (
        _code(
            lambda: actions.stock_receive(
                actor=colleague, warehouse=stock["van"], part=cap, quantity=1
            )
        )
        == "forbidden"
    )
    agent = stock["people"]["agent"]
    assert (
        _code(
            lambda: actions.stock_receive(actor=agent, warehouse=stock["van"], part=cap, quantity=1)
        )
        == "forbidden"
    )


def test_another_stations_people_do_not_see_the_warehouse(stock, make_user):
    from aftersales.accounts.choices import Role

    north_manager = make_user(Role.STATION_MANAGER, station=stock["people"]["tech_north"].station)
    code = _code(
        lambda: actions.stock_receive(
            actor=north_manager, warehouse=stock["station"], part=stock["capacitor"], quantity=1
        )
    )
    assert code == "not_found"


def test_a_serialised_part_moves_one_unit_with_its_serial(stock):
    m, wh, board = stock["manager"], stock["station"], stock["board"]
    assert (
        _code(lambda: actions.stock_receive(actor=m, warehouse=wh, part=board, quantity=2))
        == "invalid"
    )
    assert (
        _code(lambda: actions.stock_receive(actor=m, warehouse=wh, part=board, quantity=1))
        == "invalid"
    )
    actions.stock_receive(actor=m, warehouse=wh, part=board, quantity=1, serial="PCB2025001")
    move = actions.stock_issue(
        actor=m,
        warehouse=wh,
        part=board,
        quantity=1,
        order=stock["order"],
        serial="PCB2025001",
        old_serial="PCB2019777",
    )
    assert (move.serial, move.old_serial) == ("PCB2025001", "PCB2019777")


def test_reserved_units_are_held_for_their_order(stock, new_order):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=5)
    held = actions.stock_reserve(actor=m, warehouse=wh, part=cap, quantity=3, order=stock["order"])
    other = new_order()

    code = _code(
        lambda: actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=3, order=other)
    )
    assert code == "insufficient_stock"  # 2 are free
    actions.stock_issue(
        actor=m, warehouse=wh, part=cap, quantity=3, order=stock["order"], reservation=held
    )
    level = StockLevel.objects.get(warehouse=wh, part=cap)
    assert (level.on_hand, level.reserved) == (2, 0)
    held.refresh_from_db()
    assert held.status == "consumed"
    again = _code(lambda: actions.reservation_release(actor=m, reservation=held))
    assert again == "reservation_closed"


def test_a_released_reservation_frees_its_units(stock):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=2)
    held = actions.stock_reserve(actor=m, warehouse=wh, part=cap, quantity=2, order=stock["order"])
    assert (
        _code(
            lambda: actions.stock_reserve(
                actor=m, warehouse=wh, part=cap, quantity=1, order=stock["order"]
            )
        )
        == "insufficient_stock"
    )
    actions.reservation_release(actor=m, reservation=held)
    assert StockLevel.objects.get(warehouse=wh, part=cap).reserved == 0


def test_a_transfer_leaves_at_shipping_and_arrives_once(stock):
    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=10)
    transfer = actions.transfer_ship(
        actor=m, source=stock["central"], target=stock["van"], part=cap, quantity=4, shipment="SF1"
    )
    assert (_on_hand(stock["central"], cap), _on_hand(stock["van"], cap)) == (6, 0)
    tech = stock["people"]["tech"]
    actions.transfer_receive(actor=tech, transfer=transfer)
    assert _on_hand(stock["van"], cap) == 4 == _ledger_sum(stock["van"], cap)
    assert _code(lambda: actions.transfer_receive(actor=tech, transfer=transfer)) == (
        "already_received"
    )
    assert _on_hand(stock["van"], cap) == 4


def test_a_return_never_exceeds_what_the_order_took(stock):
    m, wh, cap, order = stock["manager"], stock["station"], stock["capacitor"], stock["order"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=3)
    actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=2, order=order)
    actions.stock_return(actor=m, warehouse=wh, part=cap, quantity=1, order=order)
    code = _code(
        lambda: actions.stock_return(actor=m, warehouse=wh, part=cap, quantity=2, order=order)
    )
    assert code == "more_than_issued"
    assert _on_hand(wh, cap) == 2 == _ledger_sum(wh, cap)


def test_adjustments_need_a_reason_and_cannot_go_below_zero(stock):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    assert (
        _code(lambda: actions.stock_adjust(actor=m, warehouse=wh, part=cap, quantity=3, reason=""))
        == "invalid"
    )
    actions.stock_adjust(actor=m, warehouse=wh, part=cap, quantity=3, reason="盘点多出")
    assert (
        _code(
            lambda: actions.stock_adjust(
                actor=m, warehouse=wh, part=cap, quantity=-4, reason="盘亏"
            )
        )
        == "insufficient_stock"
    )
    actions.stock_scrap(actor=m, warehouse=wh, part=cap, quantity=1, reason="受潮")
    assert _on_hand(wh, cap) == 2 == _ledger_sum(wh, cap)


def test_the_ledger_is_append_only(stock):
    move = actions.stock_receive(
        actor=stock["manager"], warehouse=stock["station"], part=stock["capacitor"], quantity=1
    )
    with pytest.raises(AppendOnlyError):
        move.save()
    with pytest.raises(AppendOnlyError):
        StockMove.objects.filter(pk=move.pk).update(quantity=100)


def test_parts_cannot_be_booked_on_a_closed_order(stock):
    from aftersales.orders.models import ServiceOrder

    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=1)
    ServiceOrder.objects.filter(pk=stock["order"].pk).update(status="cancelled")
    code = _code(
        lambda: actions.stock_issue(
            actor=m, warehouse=wh, part=cap, quantity=1, order=stock["order"]
        )
    )
    assert code == "order_closed"


def test_a_van_belongs_to_one_technician_of_a_station(stock):
    m = stock["manager"]
    again = _code(
        lambda: actions.warehouse_create(
            actor=m, kind="van", code="V2", name="第二辆", technician=stock["people"]["tech"]
        )
    )
    assert again == "invalid"
    assert stock["van"].station_id == stock["people"]["tech"].station_id


def test_parts_used_are_charged_from_the_price_list_unless_under_warranty(stock, new_order):
    from decimal import Decimal

    from aftersales.orders.models import ServiceOrder
    from aftersales.parts.selectors import parts_used

    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    paid, free = stock["order"], new_order()
    ServiceOrder.objects.filter(pk=paid.pk).update(warranty_decision="paid_repair")
    ServiceOrder.objects.filter(pk=free.pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=10)
    actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=3, order=paid)
    actions.stock_return(actor=m, warehouse=wh, part=cap, quantity=1, order=paid)
    actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=2, order=free)

    [used] = parts_used(paid.pk)
    assert (used["quantity"], used["charged"]) == (2, Decimal("70.00"))
    [warranty] = parts_used(free.pk)
    assert (warranty["quantity"], warranty["charged"]) == (2, Decimal("0.00"))
