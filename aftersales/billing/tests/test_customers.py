"""The customer account read from quotes and receipts; refunds with approval; invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from aftersales.billing import actions, customers
from aftersales.core.errors import ApplicationError
from aftersales.fieldwork import actions as field
from aftersales.fieldwork.models import FeeItem
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoted(on_site: Any, people: dict[str, Any], org_tree: dict[str, Any]) -> Any:
    """An order on site with an accepted quote of 50 + 80 × 1.5 = 170 yuan."""
    company = org_tree["company"]
    visit = FeeItem.objects.create(
        company=company, code="SM", name="上门费", kind="travel", price=D("50")
    )
    labour = FeeItem.objects.create(
        company=company, code="WX", name="维修工时", kind="labour", price=D("80")
    )
    order = on_site()
    tech = people["tech"]
    field.record_diagnosis(actor=tech, order=order, diagnosis="鼠咬", cause="not_product_fault")
    field.record_acknowledge(actor=tech, order=order, signature=drawn_signature())
    field.quote_propose(
        actor=tech,
        order=order,
        items=[{"fee_item": visit.pk}, {"fee_item": labour.pk, "quantity": "1.5"}],
    )
    field.quote_accept(actor=tech, order=order, signature=drawn_signature())
    return order


def test_an_accepted_unpaid_quote_is_outstanding_and_the_receipt_clears_it(
    quoted: Any, people: dict[str, Any]
) -> None:
    finance = people["finance"]
    visible = orders_visible_to(finance)
    account = customers.customer_account(quoted.customer, visible)
    assert account.charged == D("170.00") and account.paid == D("0.00")
    assert account.balance == D("170.00")
    assert [line["amount"] for line in account.orders[0].lines] == [D("50.00"), D("120.00")]
    assert [row["amount"] for row in customers.outstanding(visible)] == [D("170.00")]
    field.payment_record(actor=people["tech"], order=quoted, method="cash", amount="170")
    account = customers.customer_account(quoted.customer, visible)
    assert account.balance == D("0.00")
    assert customers.outstanding(visible) == []


def test_a_refund_needs_finance_and_never_exceeds_the_payment(
    quoted: Any, people: dict[str, Any]
) -> None:
    receipt = field.payment_record(actor=people["tech"], order=quoted, method="cash", amount="170")
    agent, finance = people["agent"], people["finance"]
    with pytest.raises(ApplicationError) as err:
        actions.refund_request(actor=agent, receipt_id=receipt.pk, amount="171", reason="多收")
    assert err.value.code == "refund_exceeds_payment"
    refund = actions.refund_request(actor=agent, receipt_id=receipt.pk, amount="20", reason="多收")
    with pytest.raises(ApplicationError) as err:
        actions.refund_decide(actor=agent, refund_id=refund.pk, approve=True)
    assert err.value.code == "forbidden"
    account = customers.customer_account(quoted.customer, orders_visible_to(finance))
    assert account.balance == D("0.00")  # a requested refund is not money back yet
    actions.refund_decide(actor=finance, refund_id=refund.pk, approve=True)
    account = customers.customer_account(quoted.customer, orders_visible_to(finance))
    assert account.refunded == D("20.00") and account.balance == D("20.00")
    assert [e.action for e in refund.events.all()] == ["request", "approve"]


def test_free_orders_under_sanbao_show_their_reason(
    new_order: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    order = new_order()
    from django.utils import translation

    ServiceOrder.objects.filter(pk=order.pk).update(
        warranty_decision="free_repair", warranty_detail={"rule": "general.whole_unit_period"}
    )
    with translation.override("en"):  # the rule in words, never its code
        account = customers.customer_account(data["c1"], orders_visible_to(people["finance"]))
    assert [(r.order.pk, r.free_reason, r.charged) for r in account.orders] == [
        (order.pk, "Inside the whole-unit 三包 period: free repair.", D("0.00"))
    ]


def test_an_invoice_is_recorded_once_by_number(quoted: Any, people: dict[str, Any]) -> None:
    finance = people["finance"]
    kw = {
        "order_id": quoted.pk,
        "title": "上海某某有限公司",
        "tax_number": "91310000ma1abcde0x",
        "amount": "170.00",
        "number": "24310000000012345678",
        "issued_on": dt.date(2026, 11, 20),
    }
    invoice = actions.invoice_record(actor=finance, **kw)
    assert invoice.tax_number == "91310000MA1ABCDE0X"
    with pytest.raises(ApplicationError) as err:
        actions.invoice_record(actor=finance, **kw)
    assert err.value.code == "invoice_exists"
    account = customers.customer_account(quoted.customer, orders_visible_to(finance))
    assert [i.number for i in account.invoices] == ["24310000000012345678"]


def test_invoices_listed_over_the_api_a_page_at_a_time(
    quoted: Any, people: dict[str, Any], api: Any
) -> None:
    finance = people["finance"]
    made = [
        actions.invoice_record(
            actor=finance,
            order_id=quoted.pk,
            title="上海某某有限公司",
            tax_number="91310000MA1ABCDE0X",
            amount="50.00",
            number=f"2431000000001234567{n}",
            issued_on=dt.date(2026, 11, 20),
        ).pk
        for n in range(3)
    ]
    client = api(finance)
    first = client.get("/billing/invoices?limit=2").json()
    assert [i["id"] for i in first["items"]] == made[:0:-1]
    rest = client.get(f"/billing/invoices?limit=2&after={first['next_after']}").json()
    assert [i["id"] for i in rest["items"]] == [made[0]] and rest["next_after"] is None
    assert rest["items"][0]["amount"] == "50.00" and rest["items"][0]["order_id"] == quoted.pk
    assert api(people["agent"]).get("/billing/invoices").status_code == 403
