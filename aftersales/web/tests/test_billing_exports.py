"""The billing lists taken to Excel as the orders list is: warranty claims, refunds, invoices
and customer balances, each with the page's filter, money with two places, labels in the
user's language, refused without the list's permission, and nothing of another company."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.billing import actions
from aftersales.billing.models import WarrantyClaim
from aftersales.billing.tests.test_customers import quoted  # noqa: F401 (fixture)
from aftersales.fieldwork import actions as field
from aftersales.web.tests.sheets import xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_company() -> User:
    """Staff of no company: no permission at all."""
    return User.objects.create_user(username="loose", password="pw-for-tests-1", role=Role.ADMIN)


@pytest.fixture
def outsider(make_user: Any, org_tree: dict[str, Any]) -> User:
    """Finance of another company (sees every list of its own company)."""
    return make_user(Role.FINANCE, company=org_tree["other"])


def _claim(data: dict[str, Any], order: Any, number: str, **kw: Any) -> WarrantyClaim:
    return WarrantyClaim.objects.create(
        company=data["company"], station=data["s1"], order=order, number=number, **kw
    )


def test_the_claims_export_has_the_lists_filter_and_money(
    login: Any, people: dict[str, Any], data: dict[str, Any], new_order: Any
) -> None:
    _claim(data, new_order(), "SP-0001", status="decided", claimed=D("398"), approved=D("90.5"))
    _claim(data, new_order(), "SP-0002")
    client = login(people["service_manager"])
    page = client.get("/settlement/claims/", {"status": "decided"}).content.decode()
    assert 'data-testid="claim-export"' in page
    assert "/settlement/claims/export.xlsx?status=decided" in page
    response = client.get("/settlement/claims/export.xlsx", {"status": "decided"})
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    rows = xlsx_rows(response)
    assert rows[0][:6] == ("索赔单号", "网点", "工单", "状态", "索赔金额（元）", "核准金额（元）")
    assert [r[0] for r in rows[1:]] == ["SP-0001"]
    assert rows[1][3:6] == ("已裁定", "398.00", "90.50")  # the label; money with two places
    assert len(xlsx_rows(client.get("/settlement/claims/export.xlsx"))) == 3


def test_the_claims_export_is_refused_and_scoped_as_the_list(
    login: Any, people: dict[str, Any], data: dict[str, Any], new_order: Any, outsider: User
) -> None:
    _claim(data, new_order(), "SP-0001")
    assert login(people["agent"]).get("/settlement/claims/export.xlsx").status_code == 403
    assert xlsx_rows(login(outsider).get("/settlement/claims/export.xlsx"))[1:] == []


def test_the_refunds_export_has_the_lists_filter(
    quoted: Any,  # noqa: F811
    login: Any,
    people: dict[str, Any],
    outsider: User,
    no_company: User,
) -> None:
    receipt = field.payment_record(actor=people["tech"], order=quoted, method="cash", amount="170")
    first = actions.refund_request(
        actor=people["agent"], receipt_id=receipt.pk, amount="20", reason="多收上门费"
    )
    actions.refund_request(actor=people["agent"], receipt_id=receipt.pk, amount="5", reason="x")
    actions.refund_decide(actor=people["finance"], refund_id=first.pk, approve=True, reason="")
    client = login(people["finance"])
    page = client.get("/billing/refunds/", {"status": "approved"}).content.decode()
    assert 'data-testid="refund-export"' in page
    assert "/billing/refunds/export.xlsx?status=approved" in page
    rows = xlsx_rows(client.get("/billing/refunds/export.xlsx", {"status": "approved"}))
    assert rows[0][1:5] == ("工单", "客户", "收费凭证号", "金额（元）")
    assert [r[1:] for r in rows[1:]] == [
        (quoted.number, quoted.customer.name, receipt.number, "20.00", "多收上门费", "已批准")
    ]
    assert xlsx_rows(login(outsider).get("/billing/refunds/export.xlsx"))[1:] == []
    assert login(no_company).get("/billing/refunds/export.xlsx").status_code == 403


def test_the_invoices_export_has_the_lists_search(
    quoted: Any,  # noqa: F811
    login: Any,
    people: dict[str, Any],
    outsider: User,
) -> None:
    for number, title in (("04410001", "上海某某科技有限公司"), ("04410002", "杭州别的公司")):
        actions.invoice_record(
            actor=people["finance"],
            order_id=quoted.pk,
            title=title,
            tax_number="91310000ABC",
            amount="85",
            number=number,
            issued_on=dt.date(2026, 11, 12),
        )
    client = login(people["finance"])
    page = client.get("/billing/invoices/", {"q": "某某"}).content.decode()
    assert 'data-testid="invoice-export"' in page
    rows = xlsx_rows(client.get("/billing/invoices/export.xlsx", {"q": "某某"}))
    assert rows[0][:5] == ("发票号码", "开票日期", "发票抬头", "纳税人识别号", "金额（元）")
    assert [r[:5] for r in rows[1:]] == [
        ("04410001", "2026-11-12", "上海某某科技有限公司", "91310000ABC", "85.00")
    ]
    assert xlsx_rows(login(outsider).get("/billing/invoices/export.xlsx"))[1:] == []
    assert login(people["agent"]).get("/billing/invoices/export.xlsx").status_code == 403


def test_the_customer_balances_export(
    quoted: Any,  # noqa: F811
    login: Any,
    people: dict[str, Any],
    outsider: User,
    no_company: User,
) -> None:
    client = login(people["agent"])
    page = client.get("/billing/outstanding/").content.decode()
    assert 'data-testid="billing-outstanding-export"' in page
    response = client.get("/billing/outstanding/export.xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="outstanding-')
    rows = xlsx_rows(response)
    assert rows[0] == ("工单", "客户", "金额（元）", "报价确认时间")
    assert [r[:3] for r in rows[1:]] == [(quoted.number, quoted.customer.name, "170.00")]
    assert xlsx_rows(login(outsider).get("/billing/outstanding/export.xlsx"))[1:] == []
    assert login(no_company).get("/billing/outstanding/export.xlsx").status_code == 403


def test_the_billing_exports_speak_the_users_language(
    login: Any, people: dict[str, Any], data: dict[str, Any], new_order: Any
) -> None:
    _claim(data, new_order(), "SP-0001", status="decided", claimed=D("10"), approved=D("10"))
    client = login(people["service_manager"])
    client.cookies["aftersales_language"] = "en"
    rows = xlsx_rows(client.get("/settlement/claims/export.xlsx"))
    assert rows[0][:4] == ("Claim no.", "Station", "Order", "Status")
    assert rows[1][3] == "Decided"
