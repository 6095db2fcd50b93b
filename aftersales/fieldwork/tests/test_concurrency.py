"""Concurrency on PostgreSQL: a payment recorded from two phones at once makes one receipt; a
finish sent five times at once (a retry storm) completes once; the same part form sent
five times at once takes one part out of the van."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from aftersales.fieldwork import actions
from aftersales.fieldwork.models import FeeItem, Receipt, Signature
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.orders.models import OrderEvent
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import StockLevel, StockMove

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _ready(order, tech):
    actions.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
    )
    actions.record_diagnosis(actor=tech, order=order, diagnosis="漏水", cause="product_fault")


def test_one_payment_makes_one_receipt(on_site, people, race):
    tech = people["tech"]
    order = on_site()
    _ready(order, tech)
    fee = FeeItem.objects.create(
        company=order.company, code="WX", name="工时", kind="labour", price=Decimal("80")
    )
    actions.quote_propose(actor=tech, order=order, items=[{"fee_item": fee.pk}])
    actions.quote_accept(actor=tech, order=order, signature=drawn_signature())

    def pay(i):
        actions.payment_record(actor=tech, order=order, method="cash", amount="80", key=f"k{i}")
        return "paid"

    assert Counter(race(5, pay)) == {"paid": 1, "already_paid": 4}
    assert Receipt.objects.filter(order=order).count() == 1


def test_a_finish_retried_at_once_completes_once(on_site, people, race):
    tech = people["tech"]
    order = on_site()
    _ready(order, tech)
    signature = drawn_signature()

    def finish(i):
        done = actions.visit_finish(
            actor=tech, order=order, result="fixed", signature=signature, key="same"
        )
        return done.status

    assert Counter(race(5, finish)) == {"completed": 5}
    assert OrderEvent.objects.filter(order=order, action="complete").count() == 1
    assert Signature.objects.filter(record__order=order, purpose="completion").count() == 1


def test_two_different_finishes_at_once_complete_once(on_site, people, race):
    tech = people["tech"]
    order = on_site()
    _ready(order, tech)

    def finish(i):
        actions.visit_finish(
            actor=tech, order=order, result="fixed", signature=drawn_signature(), key=f"k{i}"
        )
        return "completed"

    assert Counter(race(4, finish)) == {"completed": 1, "not_on_site": 3}
    assert OrderEvent.objects.filter(order=order, action="complete").count() == 1


def test_a_part_form_sent_five_times_at_once_takes_one_part(stock, on_site, people, race):
    tech = people["tech"]
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=5
    )
    order = on_site()

    def use(i):
        actions.record_part_used(actor=tech, order=order, part=stock["capacitor"], key="once")
        return "used"

    assert Counter(race(5, use)) == {"used": 5}
    assert StockMove.objects.filter(order=order, kind="issue").count() == 1
    assert StockLevel.objects.get(warehouse=stock["van"], part=stock["capacitor"]).on_hand == 4


def test_receiving_parts_for_an_order_while_its_technician_uses_one_never_deadlocks(
    stock, on_site, people, race
):
    """The van receives the shipment of a request for the order (which resumes the order
    waiting for it) while the technician records a part from the same van on that order: both
    lock the order and the van's stock level. The global lock order (order, request, levels,
    transfer: docs/architecture.md) makes them queue, round after round, with no deadlock and
    no lost movement: the part is used when the receipt came first, refused while the order
    still waits otherwise."""
    tech, manager = people["tech"], people["service_manager"]
    cap = stock["capacitor"]
    stock_actions.stock_receive(actor=manager, warehouse=stock["central"], part=cap, quantity=50)
    stock_actions.stock_receive(actor=manager, warehouse=stock["van"], part=cap, quantity=20)
    order = on_site()
    used = 0
    for round_ in range(8):
        request = stock_actions.parts_request_submit(
            actor=tech, target=stock["van"], lines=[(cap, 1)], order=order, note="补货"
        )
        stock_actions.parts_request_approve(actor=manager, request=request, source=stock["central"])
        transfer = request.lines.get().transfers.get()

        def work(i, transfer=transfer, round_=round_):
            if i == 0:
                stock_actions.transfer_receive(actor=tech, transfer=transfer)
                return "received"
            actions.record_part_used(actor=tech, order=order, part=cap, key=f"use-{round_}")
            return "used"

        outcome = sorted(race(2, work))
        assert outcome in (["received", "used"], ["not_on_site", "received"]), outcome
        used += outcome.count("used")
        order.refresh_from_db()
        assert order.status == "on_site"
    level = StockLevel.objects.get(warehouse=stock["van"], part=cap)
    ledger = sum(
        StockMove.objects.filter(warehouse=stock["van"], part=cap).values_list(
            "quantity", flat=True
        )
    )
    assert level.on_hand == ledger == 20 + 8 - used
