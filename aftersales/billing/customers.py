"""The customer account (客户账): charges per order read from the on-site quotes, free lines
under 三包 with their reason, payments (receipts), refunds and invoice records; balances.

Customer money reads quotes and receipts only, never the stock ledger's charge flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from aftersales.billing.choices import RefundStatus
from aftersales.billing.models import InvoiceRecord, Refund
from aftersales.fieldwork.choices import QuoteStatus
from aftersales.fieldwork.models import Quote, Receipt
from aftersales.orders.models import ServiceOrder
from aftersales.warranty.engine import FREE_TO_CUSTOMER
from aftersales.warranty.explain import explain

ZERO = Decimal("0.00")
CHARGED = (QuoteStatus.ACCEPTED, QuoteStatus.PAID)


@dataclass
class OrderCharges:
    order: ServiceOrder
    lines: list[dict[str, Any]] = field(default_factory=list)
    charged: Decimal = ZERO
    free_reason: str = ""


@dataclass
class CustomerAccount:
    orders: list[OrderCharges]
    receipts: list[Receipt]
    refunds: list[Refund]
    invoices: list[InvoiceRecord]
    charged: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def balance(self) -> Decimal:
        """What the customer still owes (negative: what is owed to the customer)."""
        return self.charged - self.paid + self.refunded


def customer_account(customer: Any, orders: QuerySet[ServiceOrder]) -> CustomerAccount:
    """The account of `customer` over `orders` (already scoped to the reader)."""
    rows: list[OrderCharges] = []
    for order in orders.filter(customer=customer).order_by("id"):
        entry = OrderCharges(order=order)
        for quote in Quote.objects.filter(order=order, status__in=CHARGED).prefetch_related(
            "lines"
        ):
            entry.charged += quote.total
            for line in quote.lines.all():
                entry.lines.append(
                    {
                        "kind": line.get_kind_display(),
                        "description": line.description,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "amount": line.amount,
                    }
                )
        if order.warranty_decision in FREE_TO_CUSTOMER:
            said = explain(order.warranty_decision, order.warranty_detail)
            entry.free_reason = said["reason"] or said["decision"]  # the rule, in words
        if entry.lines or entry.free_reason:
            rows.append(entry)
    receipts = list(
        Receipt.objects.filter(order__customer=customer, order__in=orders).order_by("paid_at")
    )
    refunds = list(Refund.objects.filter(customer=customer, order__in=orders))
    invoices = list(InvoiceRecord.objects.filter(customer=customer, order__in=orders))
    return CustomerAccount(
        orders=rows,
        receipts=receipts,
        refunds=refunds,
        invoices=invoices,
        charged=sum((r.charged for r in rows), ZERO),
        paid=sum((r.amount for r in receipts), ZERO),
        refunded=sum((r.amount for r in refunds if r.status == RefundStatus.APPROVED), ZERO),
    )


def outstanding(orders: QuerySet[ServiceOrder]) -> list[dict[str, Any]]:
    """Orders whose accepted quote is not paid yet (the outstanding-balance list), oldest
    first: order, customer, amount."""
    unpaid = (
        Quote.objects.filter(order__in=orders, status=QuoteStatus.ACCEPTED)
        .select_related("order__customer")
        .order_by("accepted_at", "id")
    )
    return [
        {
            "order": q.order,
            "customer": q.order.customer,
            "amount": q.total,
            "since": q.accepted_at or q.created_at,
        }
        for q in unpaid
    ]
