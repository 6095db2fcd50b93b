"""Demo data of settlement: fee rules, station grades, last month's statements (one sent)."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Station, User
from aftersales.billing import actions
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.fieldwork.models import Receipt
from aftersales.orders.models import ServiceOrder
from aftersales.warranty.engine import FREE_TO_CUSTOMER

RULES: list[tuple[str, str, str, dict[str, str], dict[str, Any]]] = [
    ("labour", "工时费（标准）", "labour", {}, {"hours": "1.5", "rate": "40"}),
    ("labour-install", "安装工时费", "labour", {"service_type": "installation"}, {"amount": "120"}),
    (
        "labour-a",
        "A级网点维修工时费",
        "labour",
        {"service_type": "repair", "station_grade": "A"},
        {"amount": "85"},
    ),
    (
        "travel",
        "里程费",
        "travel",
        {},
        {"bands": [["10", "0"], ["30", "20"], ["50", "40"]], "per_km": "1.2"},
    ),
    ("remote", "偏远补贴", "remote", {}, {"amount": "30", "min_km": "40"}),
    ("urgent", "加急加价", "urgent", {}, {"percent": "20"}),
    ("night", "夜间加价", "night", {}, {"percent": "30"}),
    ("cap", "单笔封顶", "cap", {}, {"amount": "300"}),
]


def demo_settlement(company: Any) -> int:
    """Returns the number of statements generated."""
    finance = User.objects.filter(company=company, role=Role.FINANCE).order_by("id").first()
    if finance is None:
        return 0
    for code, name, kind, criteria, params in RULES:
        actions.fee_rule_create(
            actor=finance,
            code=code,
            name=name,
            kind=kind,
            valid_from=dt.date(2020, 1, 1),
            criteria=criteria,
            params=params,
        )
    stations = list(Station.objects.filter(company=company).order_by("id"))
    for i, station in enumerate(stations):
        actions.station_terms_set(
            actor=finance,
            station=station,
            grade="AB"[i % 2],
            payout_mode="credit" if i % 3 == 2 else "pay",
        )
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    made = actions.statements_generate(actor=finance, period=last_month)
    if made:
        actions.statement_send(actor=finance, statement_id=made[0].pk)
    _demo_money(company, finance)
    return len(made)


def _demo_money(company: Any, finance: Any) -> None:
    """Settings with grade amounts, a warranty claim, a refund request and an invoice record."""
    actions.billing_settings_save(
        actor=finance, changes={"assessment_amounts": {"A": "300", "B": "100", "D": "-200"}}
    )
    order = (
        ServiceOrder.objects.filter(
            company=company,
            status__in=("completed", "followed_up", "closed"),
            warranty_decision__in=list(FREE_TO_CUSTOMER),
            station__isnull=False,
        )
        .order_by("id")
        .first()
    )
    if order is not None:
        with contextlib.suppress(ApplicationError):
            actions.claim_create(actor=finance, order_id=order.pk)
    receipt = Receipt.objects.filter(company=company).order_by("id").first()
    if receipt is not None:
        try:
            actions.refund_request(
                actor=finance, receipt_id=receipt.pk, amount="10", reason="上门费多收 10 元"
            )
            actions.invoice_record(
                actor=finance,
                order_id=receipt.order_id,
                title=receipt.order.customer.name,
                tax_number="",
                amount=receipt.amount,
                number=f"0441{receipt.pk:06d}",
                issued_on=clock.today(),
                receipt_id=receipt.pk,
            )
        except ApplicationError:
            pass
