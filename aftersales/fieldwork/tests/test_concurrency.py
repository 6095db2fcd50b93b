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
