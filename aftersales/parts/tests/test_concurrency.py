"""Concurrency on PostgreSQL: fifty technicians' issues against five units, receipts and
issues interleaved, and one shipment received twice at once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Sum

from aftersales.parts import actions
from aftersales.parts.models import StockLevel, StockMove

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_issues_of_one_against_five_units_exactly_five_succeed(stock, race):
    m, wh, cap, order = stock["manager"], stock["station"], stock["capacitor"], stock["order"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=5)

    def issue(i):
        actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=1, order=order)
        return "issued"

    outcomes = Counter(race(50, issue))
    assert outcomes == {"issued": 5, "insufficient_stock": 45}
    level = StockLevel.objects.get(warehouse=wh, part=cap)
    total = StockMove.objects.filter(warehouse=wh, part=cap).aggregate(s=Sum("quantity"))["s"]
    assert level.on_hand == 0 == total


def test_the_first_movement_of_a_new_pair_creates_one_level(stock, race):
    m, wh, cap = stock["manager"], stock["central"], stock["capacitor"]

    def receive(i):
        actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=1)
        return "received"

    assert Counter(race(20, receive)) == {"received": 20}
    assert StockLevel.objects.filter(warehouse=wh, part=cap).get().on_hand == 20


def test_one_shipment_received_twice_at_once_arrives_once(stock, race):
    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=3)
    transfer = actions.transfer_ship(
        actor=m, source=stock["central"], target=stock["station"], part=cap, quantity=3
    )

    def receive(i):
        actions.transfer_receive(actor=m, transfer=transfer.pk)
        return "received"

    assert Counter(race(8, receive)) == {"received": 1, "already_received": 7}
    assert StockLevel.objects.get(warehouse=stock["station"], part=cap).on_hand == 3


def test_two_approvals_of_one_request_at_once_make_one_transfer(stock, race):
    from aftersales.parts.models import Transfer

    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=10)
    request = actions.parts_request_submit(actor=m, target=stock["station"], lines=[(cap, 4)])

    def approve(i):
        actions.parts_request_approve(actor=m, request=request.pk, source=stock["central"])
        return "approved"

    assert Counter(race(2, approve)) == {"approved": 1, "request_decided": 1}
    assert Transfer.objects.filter(request_line__request=request).count() == 1
    assert StockLevel.objects.get(warehouse=stock["central"], part=cap).on_hand == 6


def test_the_overdue_job_run_by_four_workers_at_once_charges_once(stock, race):
    import datetime as dt

    from django.utils import timezone

    from aftersales.orders.models import ServiceOrder
    from aftersales.parts.models import Chargeback

    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    ServiceOrder.objects.filter(pk=stock["order"].pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=3)
    for _ in range(3):
        actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=1, order=stock["order"])
    later = timezone.now() + dt.timedelta(days=60)

    made = race(4, lambda i: actions.returns_charge_overdue(now=later))
    assert sum(made) == 3
    assert Chargeback.objects.count() == 3
