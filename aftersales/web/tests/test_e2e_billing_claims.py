"""End to end in Chromium on a phone: the service manager drafts the warranty claim of a 三包
order, submits it (the overdue old part is rejected at once), decides the other lines, and
finance downloads the claims list as xlsx."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from aftersales.billing.models import WarrantyClaim
from aftersales.billing.tests.conftest import completed, month  # noqa: F401 (fixtures)
from aftersales.billing.tests.test_claims import warranty_order  # noqa: F401 (fixture)
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_warranty_claim_drafted_submitted_and_decided_on_a_phone(
    phone_page: Any,
    warranty_order: dict[str, Any],  # noqa: F811
    people: dict[str, Any],
) -> None:
    page = phone_page
    order = warranty_order["order"]
    sign_in(page, people["service_manager"])
    page.goto("/settlement/claims/")
    form = page.get_by_test_id("claim-create")
    form.locator("input[name=order]").fill(order.number)
    form.get_by_role("button").click()
    expect(page.get_by_test_id("claim-status")).to_have_text("未完结")
    page.get_by_test_id("claim-submit").get_by_role("button").click()
    expect(page.get_by_test_id("claim-status")).to_have_text("已提交")
    lines = page.get_by_test_id("claim-line")
    expect(lines.nth(2)).to_contain_text("旧件未按时返还")
    # Labour approved; travel partly, with a reason.
    page.get_by_test_id("decide-1").get_by_role("button").click()
    decide = page.get_by_test_id("decide-2")
    decide.locator("select[name=decision]").select_option("partly")
    decide.locator("select[name=reason_code]").select_option("excessive_labour")
    decide.locator("input[name=amount]").fill("10")
    decide.get_by_role("button").click()
    expect(page.get_by_test_id("claim-status")).to_have_text("已裁定")
    expect(page.get_by_test_id("claim-approved")).to_have_text("¥90.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    claim = WarrantyClaim.objects.get(order=order)
    assert claim.approved == Decimal("90.00")
    # Finance exports the list.
    sign_in(page, people["finance"])
    page.goto("/settlement/claims/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel").click()
    content = Path(info.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1][0] == claim.number and rows[1][3] == "已裁定"
