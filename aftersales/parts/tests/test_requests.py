"""Parts requests (三包配件申请): submit with the order's warranty decision, approval by level,
shipping what stock allows with the rest on back-order, receipt, fulfilment, and the order's
waiting-for-parts round trip; every step an event."""

from __future__ import annotations

import pytest

from aftersales.core.errors import ApplicationError
from aftersales.orders import actions as orders
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts import actions
from aftersales.parts.models import PartsRequestEvent, StockLevel, Transfer
from aftersales.parts.selectors import requests_visible_to

pytestmark = pytest.mark.django_db


def _assigned(stock):
    people = stock["people"]
    order = orders.order_transition(
        actor=people["dispatcher"],
        order=stock["order"],
        action="dispatch",
        station=stock["station"].station,
    )
    order = orders.order_transition(
        actor=people["dispatcher"], order=order, action="assign", technician=people["tech"]
    )
    return orders.order_transition(actor=people["tech"], order=order, action="accept")


def _code(call):
    with pytest.raises(ApplicationError) as err:
        call()
    return err.value.code


def test_the_whole_request_cycle_with_a_back_order(stock):
    people, m, cap = stock["people"], stock["manager"], stock["capacitor"]
    order = _assigned(stock)
    ServiceOrder.objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=2)

    request = actions.parts_request_submit(
        actor=people["tech"], target=stock["van"], lines=[(cap, 3)], order=order, note="电容鼓包"
    )
    assert (request.warranty, request.approver_level, request.status) == (
        True,
        "service_manager",
        "submitted",
    )
    # A station manager may not approve warranty parts.
    station_manager = people["station_manager"]
    refused = _code(
        lambda: actions.parts_request_approve(
            actor=station_manager, request=request, source=stock["central"]
        )
    )
    assert refused == "approver_level"

    actions.parts_request_approve(actor=m, request=request, source=stock["central"])
    line = request.lines.get()
    assert (line.approved, line.shipped, line.backordered) == (3, 2, 1)  # 2 in stock
    order.refresh_from_db()
    assert order.status == "waiting_parts"

    first = Transfer.objects.get(request_line=line)
    actions.transfer_receive(actor=people["tech"], transfer=first)
    request.refresh_from_db()
    assert request.status == "approved"  # one unit still on back-order

    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=5)
    actions.parts_request_ship(actor=m, request=request, source=stock["central"])
    second = Transfer.objects.filter(request_line=line).exclude(pk=first.pk).get()
    actions.transfer_receive(actor=people["tech"], transfer=second)

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "fulfilled"
    assert order.status == "accepted"  # back where it was before the pause
    assert StockLevel.objects.get(warehouse=stock["van"], part=cap).on_hand == 3
    assert list(
        PartsRequestEvent.objects.filter(request=request).values_list("action", flat=True)
    ) == ["submit", "approve", "ship", "ship", "fulfil"]
    order_actions = list(OrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert "wait_parts" in order_actions and "resume" in order_actions


def test_a_request_is_decided_once(stock):
    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=5)
    request = actions.parts_request_submit(actor=m, target=stock["station"], lines=[(cap, 2)])
    actions.parts_request_approve(actor=m, request=request, source=stock["central"])
    again = _code(
        lambda: actions.parts_request_approve(actor=m, request=request, source=stock["central"])
    )
    assert again == "request_decided"
    assert Transfer.objects.count() == 1
    rejected = _code(lambda: actions.parts_request_reject(actor=m, request=request, reason="x"))
    assert rejected == "request_decided"


def test_a_small_paid_refill_is_approved_by_the_station_and_partial_approval(stock):
    people, cap = stock["people"], stock["capacitor"]
    actions.stock_receive(actor=stock["manager"], warehouse=stock["station"], part=cap, quantity=9)
    request = actions.parts_request_submit(
        actor=people["tech"], target=stock["van"], lines=[(cap, 4)]
    )
    assert (request.warranty, request.approver_level) == (False, "station_manager")
    line = request.lines.get()
    actions.parts_request_approve(
        actor=people["station_manager"],
        request=request,
        source=stock["station"],
        quantities={line.pk: 2},
        reason="先发两个",
    )
    line.refresh_from_db()
    assert (line.quantity, line.approved, line.shipped) == (4, 2, 2)


def test_rejection_needs_a_reason_and_the_requester_may_withdraw(stock):
    people, m, cap = stock["people"], stock["manager"], stock["capacitor"]
    request = actions.parts_request_submit(
        actor=people["tech"], target=stock["van"], lines=[(cap, 1)]
    )
    assert _code(lambda: actions.parts_request_reject(actor=m, request=request, reason="")) == (
        "invalid"
    )
    other = actions.parts_request_submit(
        actor=people["tech"], target=stock["van"], lines=[(cap, 1)]
    )
    assert _code(lambda: actions.parts_request_cancel(actor=m, request=other)) == "forbidden"
    actions.parts_request_cancel(actor=people["tech"], request=other)
    actions.parts_request_reject(actor=m, request=request, reason="车载库已有")
    request.refresh_from_db()
    other.refresh_from_db()
    assert (request.status, other.status) == ("rejected", "cancelled")


def test_big_requests_go_to_the_department_head(stock):
    m, board = stock["manager"], stock["board"]  # 280 yuan each
    request = actions.parts_request_submit(actor=m, target=stock["station"], lines=[(board, 20)])
    assert request.approver_level == "department_head"
    assert (
        _code(
            lambda: actions.parts_request_approve(actor=m, request=request, source=stock["central"])
        )
        == "approver_level"
    )


def test_a_technician_sees_only_their_own_requests(stock, make_user):
    from aftersales.accounts.choices import Role

    people, cap = stock["people"], stock["capacitor"]
    mine = actions.parts_request_submit(actor=people["tech"], target=stock["van"], lines=[(cap, 1)])
    colleague = make_user(Role.TECHNICIAN, station=stock["station"].station)
    assert not requests_visible_to(colleague).filter(pk=mine.pk).exists()
    assert requests_visible_to(people["station_manager"]).filter(pk=mine.pk).exists()


def test_a_central_refill_belongs_to_no_station_and_only_company_staff_see_it(stock):
    people, m, cap = stock["people"], stock["manager"], stock["capacitor"]
    refill = actions.parts_request_submit(actor=m, target=stock["central"], lines=[(cap, 50)])
    assert refill.station_id is None
    assert requests_visible_to(m).filter(pk=refill.pk).exists()
    assert not requests_visible_to(people["station_manager"]).filter(pk=refill.pk).exists()
