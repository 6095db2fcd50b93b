"""Steps recorded from another system: an acceptance without a signature, a payment at a given
time. The same quote, receipt and events as the live flow, once per key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aftersales.core import clock
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.fieldwork import actions
from aftersales.fieldwork.models import FeeItem, Quote, Receipt
from aftersales.orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoted(on_site, people, org_tree):
    """An order on site with an ¥80 quote proposed by its technician."""
    labour = FeeItem.objects.create(
        company=org_tree["company"], code="WX", name="维修工时", kind="labour", price=Decimal("80")
    )
    order = on_site()
    tech = people["tech"]
    actions.record_diagnosis(actor=tech, order=order, diagnosis="电容老化", cause="product_fault")
    actions.quote_propose(actor=tech, order=order, items=[{"fee_item": labour.pk}])
    return order


def _events(order, action):
    return list(OrderEvent.objects.filter(order=order, kind="field", action=action))


def test_a_recorded_acceptance_accepts_the_quote_without_a_signature_once(quoted, people):
    manager = people["service_manager"]  # may import history: records for any company order
    when = clock.now() - dt.timedelta(minutes=30)
    quote = actions.quote_accept_recorded(
        actor=manager, order=quoted, accepted_by="张三", at=when, note="legacy CRM #88", key="k1"
    )
    assert (quote.status, quote.accepted_at, quote.signature) == ("accepted", when, None)
    again = actions.quote_accept_recorded(actor=manager, order=quoted, key="k1")
    assert again.pk == quote.pk
    [event] = _events(quoted, "quote_accepted")
    assert event.at == when and event.actor == manager
    assert event.payload == {
        "quote": quote.pk,
        "total": "80.00",
        "signature": None,
        "recorded": True,
        "accepted_by": "张三",
        "note": "legacy CRM #88",
    }
    with pytest.raises(Conflict) as exc:  # a second acceptance under another key
        actions.quote_accept_recorded(actor=manager, order=quoted)
    assert exc.value.code == "already_accepted"


def test_a_recorded_acceptance_names_the_customer_by_default_and_is_never_in_the_future(
    quoted, people
):
    tech = people["tech"]
    with pytest.raises(ValidationFailed):
        actions.quote_accept_recorded(
            actor=tech, order=quoted, at=clock.now() + dt.timedelta(hours=1)
        )
    actions.quote_accept_recorded(actor=tech, order=quoted)
    [event] = _events(quoted, "quote_accepted")
    assert event.payload["accepted_by"] == quoted.customer.name


def test_only_who_may_work_the_order_or_import_history_records_it(quoted, people):
    for who in ("agent", "tech_b", "finance"):
        with pytest.raises((PermissionDenied, NotFound)):  # as the live steps refuse
            actions.quote_accept_recorded(actor=people[who], order=quoted)
    assert Quote.objects.get().status == "proposed"


def test_a_payment_recorded_at_its_time_issues_the_receipt_and_event_once(quoted, people):
    tech = people["tech"]
    with pytest.raises(Conflict) as exc:  # not accepted yet
        actions.payment_record_at(actor=tech, order=quoted, method="cash", amount="80")
    assert exc.value.code == "quote_not_accepted"
    actions.quote_accept_recorded(actor=tech, order=quoted)
    paid_at = clock.now() - dt.timedelta(minutes=5)
    with pytest.raises(ValidationFailed) as invalid:
        actions.payment_record_at(actor=tech, order=quoted, method="qr", amount="70", key="p1")
    assert set(invalid.value.errors) == {"reference", "amount"}
    receipt = actions.payment_record_at(
        actor=tech,
        order=quoted,
        method="qr",
        amount="80.00",
        reference="WX-1",
        at=paid_at,
        note="bank statement",
        key="p1",  # the refused form did not use up its key
    )
    assert (receipt.paid_at, receipt.amount, receipt.number) == (
        paid_at,
        Decimal("80.00"),
        f"SF-{quoted.number}-1",
    )
    assert receipt.quote.status == "paid" and receipt.recorded_by == tech
    again = actions.payment_record_at(
        actor=tech, order=quoted, method="qr", amount="80.00", reference="WX-1", key="p1"
    )
    assert again.pk == receipt.pk and Receipt.objects.count() == 1
    [event] = _events(quoted, "payment")
    assert event.at == paid_at
    assert event.payload == {
        "receipt": receipt.number,
        "amount": "80.00",
        "method": "qr",
        "recorded": True,
        "note": "bank statement",
    }
    with pytest.raises(Conflict):  # paid: nothing accepted is left to pay
        actions.payment_record_at(actor=tech, order=quoted, method="cash", amount="80")
