"""The pages over claims, refunds, invoices, station grades and the settings: each flow
through the client, its xlsx export, scope, and labels in both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from aftersales.billing.models import (
    BillingSettings,
    InvoiceRecord,
    Refund,
    StationTerms,
    WarrantyClaim,
)
from aftersales.billing.tests.test_claims import warranty_order  # noqa: F401 (fixture)
from aftersales.billing.tests.test_customers import quoted  # noqa: F401 (fixture)
from aftersales.web.tests.sheets import xlsx_rows

pytestmark = pytest.mark.django_db


def test_a_claim_through_the_pages(
    warranty_order: dict[str, Any],  # noqa: F811
    people: dict[str, Any],
    login: Any,
    make_user: Any,
    data: dict[str, Any],
) -> None:
    mgr = login(people["service_manager"])
    order = warranty_order["order"]
    r = mgr.post("/settlement/claims/", {"order": order.number})
    claim = WarrantyClaim.objects.get(order=order)
    assert r.status_code == 302 and r["Location"] == f"/settlement/claims/{claim.pk}/"
    page = mgr.get(f"/settlement/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-submit"' in page and "压缩机" in page
    # Submitted today: the compressor was due back on 11-20 and never came, so that line is
    # rejected at once; labour and travel wait for the manufacturer's decision.
    mgr.post(f"/settlement/claims/{claim.pk}/", {"step": "submit"})
    labour, travel, part = claim.lines.order_by("id")
    part.refresh_from_db()
    assert (part.decision, part.reason_code) == ("rejected", "part_not_returned")
    mgr.post(
        f"/settlement/claims/{claim.pk}/",
        {"step": "decide", "line": labour.pk, "decision": "approved"},
    )
    mgr.post(
        f"/settlement/claims/{claim.pk}/",
        {
            "step": "decide",
            "line": travel.pk,
            "decision": "partly",
            "amount": "10",
            "reason_code": "excessive_labour",
            "note": "里程按导航",
        },
    )
    claim.refresh_from_db()
    assert claim.status == "decided" and claim.approved == D("90.00")
    page = mgr.get(f"/settlement/claims/{claim.pk}/").content.decode()
    assert "里程按导航" in page and ">part_not_returned<" not in page
    rows = xlsx_rows(mgr.get("/settlement/claims/?format=xlsx"))
    assert rows[1][0] == claim.number and rows[1][4:6] == ("398.00", "90.00")
    assert len(xlsx_rows(mgr.get("/settlement/claims/?status=open&format=xlsx"))) == 1
    # A station's people see their own station's claims only.
    other = login(make_user("station_manager", station=data["s2"]))
    assert claim.number not in other.get("/settlement/claims/").content.decode()
    assert other.get(f"/settlement/claims/{claim.pk}/").status_code == 404
    # Unknown order: a message, no claim.
    r = mgr.post("/settlement/claims/", {"order": "NOPE"}, follow=True)
    assert WarrantyClaim.objects.count() == 1 and r.status_code == 200


def test_a_refund_requested_and_approved_through_the_pages(
    quoted: Any,  # noqa: F811
    people: dict[str, Any],
    login: Any,
) -> None:
    from aftersales.fieldwork import actions as field

    receipt = field.payment_record(actor=people["tech"], order=quoted, method="cash", amount="170")
    agent, finance = login(people["agent"]), login(people["finance"])
    agent.post(
        "/billing/refunds/",
        {"step": "request", "receipt": receipt.number, "amount": "20", "reason": "多收上门费"},
    )
    refund = Refund.objects.get()
    assert refund.amount == D("20.00") and refund.status == "requested"
    assert 'data-testid="refund-decide"' not in agent.get("/billing/refunds/").content.decode()
    assert 'data-testid="refund-decide"' in finance.get("/billing/refunds/").content.decode()
    agent.post("/billing/refunds/", {"step": "approve", "refund": refund.pk})
    refund.refresh_from_db()
    assert refund.status == "requested"  # the agent may not approve
    finance.post("/billing/refunds/", {"step": "approve", "refund": refund.pk})
    refund.refresh_from_db()
    assert refund.status == "approved"
    rows = xlsx_rows(finance.get("/billing/refunds/?format=xlsx"))
    assert rows[1][1:5] == (quoted.number, quoted.customer.name, receipt.number, "20.00")
    # Too much: refused with a message, nothing written.
    r = agent.post(
        "/billing/refunds/",
        {"step": "request", "receipt": receipt.number, "amount": "500", "reason": "x"},
        follow=True,
    )
    assert Refund.objects.count() == 1 and "150.00" in r.content.decode()


def test_invoices_recorded_searched_and_exported(
    quoted: Any,  # noqa: F811
    people: dict[str, Any],
    login: Any,
) -> None:
    finance = login(people["finance"])
    form = {
        "order": quoted.number,
        "number": "04410001",
        "title": "上海某某科技有限公司",
        "tax_number": "91310000abc",
        "amount": "170",
        "issued_on": "2026-11-12",
    }
    finance.post("/billing/invoices/", form)
    invoice = InvoiceRecord.objects.get()
    assert invoice.tax_number == "91310000ABC" and invoice.issued_on == dt.date(2026, 11, 12)
    r = finance.post("/billing/invoices/", form, follow=True)
    assert InvoiceRecord.objects.count() == 1  # the number is recorded once
    assert "04410001" in finance.get("/billing/invoices/?q=某某").content.decode()
    assert "04410001" not in finance.get("/billing/invoices/?q=无此").content.decode()
    rows = xlsx_rows(finance.get("/billing/invoices/?format=xlsx"))
    assert rows[1][:5] == (
        "04410001",
        "2026-11-12",
        "上海某某科技有限公司",
        "91310000ABC",
        "170.00",
    )
    assert r.status_code == 200
    assert 'data-testid="invoice-form"' not in (
        login(people["station_manager"]).get("/billing/invoices/").content.decode()
    )


def test_station_grades_and_payout_set_on_the_page(
    month: dict[str, Any], people: dict[str, Any], login: Any
) -> None:
    finance = login(people["finance"])
    station = month["station"]
    finance.post(
        "/settlement/grades/", {"station": station.pk, "grade": "A", "payout_mode": "credit"}
    )
    terms = StationTerms.objects.get(station=station)
    assert (terms.grade, terms.payout_mode) == ("A", "credit")
    rows = xlsx_rows(finance.get("/settlement/grades/?format=xlsx"))
    mine = [r for r in rows if r[0] == station.code][0]
    assert (mine[3], mine[5]) == ("A", "0.00")
    sm = login(people["station_manager"])
    page = sm.get("/settlement/grades/").content.decode()
    assert (
        station.name in page
        and "<form" not in page.split('data-testid="grades"')[1].split("</table>")[0]
    )
    sm.post("/settlement/grades/", {"station": station.pk, "grade": "C", "payout_mode": "pay"})
    assert StationTerms.objects.get(station=station).grade == "A"


def test_settings_page_saves_deadlines_and_grade_amounts(
    month: dict[str, Any], people: dict[str, Any], login: Any
) -> None:
    finance = login(people["finance"])
    page = finance.get("/settlement/settings/").content.decode()
    assert 'name="answer_days" value="5"' in page
    form = {
        "dispute_days": "10",
        "answer_days": "3",
        "claim_days": "60",
        "rollover_threshold": "50.00",
        "rollover_max_periods": "2",
        "penalty_high": "200",
        "penalty_medium": "100",
        "penalty_low": "0",
        "night_start": "20",
        "night_end": "8",
        "voucher_type": "记",
        "account_expense": "6601",
        "account_payable": "2202",
        "account_bank": "1002",
        "grade-0": "A",
        "amount-0": "300",
        "grade-1": "D",
        "amount-1": "-200",
    }
    assert finance.post("/settlement/settings/", form).status_code == 302
    cfg = BillingSettings.objects.get(company=month["station"].company)
    assert (cfg.dispute_days, cfg.answer_days) == (10, 3)
    assert cfg.assessment_amounts == {"A": "300.00", "D": "-200.00"}
    # A wrong value: the page says so and nothing changes.
    r = finance.post("/settlement/settings/", {**form, "answer_days": "0", "amount-0": "x"})
    assert r.status_code == 200 and 'name="answer_days" value="0"' in r.content.decode()
    cfg.refresh_from_db()
    assert cfg.answer_days == 3 and cfg.assessment_amounts["A"] == "300.00"
    assert login(people["station_manager"]).get("/settlement/settings/").status_code == 403


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_new_pages_render_in_both_languages(
    warranty_order: dict[str, Any],  # noqa: F811
    people: dict[str, Any],
    login: Any,
    lang: str,
) -> None:
    from aftersales.billing import actions

    claim = actions.claim_create(actor=people["finance"], order_id=warranty_order["order"].pk)
    client = login(people["finance"])
    for path in (
        "/settlement/claims/",
        f"/settlement/claims/{claim.pk}/",
        "/billing/refunds/",
        "/billing/invoices/",
        "/settlement/grades/",
        "/settlement/settings/",
    ):
        r = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 200, path
        text = r.content.decode()
        assert ">open<" not in text and ">labour<" not in text and ">pending<" not in text
        if lang == "zh-hans":
            assert "索赔" in text or "退款" in text or "发票" in text or "结算" in text, path
        else:
            assert "索赔" not in text, path
