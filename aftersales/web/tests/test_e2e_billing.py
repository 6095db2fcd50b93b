"""End to end in Chromium: finance generates a month, the station manager disputes a line,
the service manager answers, finance approves and pays; the PDF and the vouchers open and
the vouchers balance. With BILLING_SCREENSHOTS=<dir> the pages are also photographed at 1280
and 360 px in zh-hans and English (for looking at them, not asserted)."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from aftersales.billing.models import LedgerEntry, Statement
from aftersales.billing.tests.conftest import completed, month  # noqa: F401 (fixtures)
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _shoot(browser: Any, base_url: str, user: Any, paths: list[str], folder: str) -> None:
    for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
        for width in (1280, 360):
            context = browser.new_context(
                locale=locale, base_url=base_url, viewport={"width": width, "height": 900}
            )
            page = context.new_page()
            sign_in(page, user)
            for i, path in enumerate(paths):
                page.goto(path)
                page.screenshot(path=f"{folder}/{user.role}-{i}-{lang}-{width}.png", full_page=True)
            context.close()


def test_finance_generates_station_disputes_manager_answers_finance_pays(
    page: Any,
    browser: Any,
    live_server: Any,
    month: dict[str, Any],  # noqa: F811
    completed: Any,  # noqa: F811
    people: dict[str, Any],
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    completed(dt.datetime(2026, 11, 12, 21, 0), priority="high")
    # Finance generates November and sends the station its statement.
    sign_in(page, people["finance"])
    page.goto("/settlement/?period=2026-11")
    page.get_by_test_id("generate").get_by_role("button").click()
    page.get_by_test_id("statement-row").filter(has_text="上海一站").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已生成")
    page.get_by_test_id("act-send").get_by_role("button").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已发送网点")
    st = Statement.objects.get(station=month["station"])
    travel = st.lines.filter(fee_kind="travel").order_by("position").first()

    # The station manager disputes the first travel line.
    sign_in(page, people["station_manager"])
    page.goto(f"/settlement/{st.pk}/")
    row = page.get_by_test_id(f"line-{travel.position}")
    row.locator("input[type=checkbox]").check()
    row.locator(f"input[name=reason-{travel.pk}]").fill("实际里程30公里")
    row.locator(f"input[name=claimed-{travel.pk}]").fill("30")
    page.get_by_role("button", name="对勾选的明细提出争议").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("有争议")

    # The service manager accepts part of it.
    sign_in(page, people["service_manager"])
    page.goto(f"/settlement/{st.pk}/")
    form = page.get_by_test_id(f"answer-{travel.position}")
    form.locator("select[name=answer]").select_option("partly")
    form.locator("input[name=amount]").fill("24")
    form.locator("input[name=reason]").fill("按导航26公里")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("争议已答复")

    # Finance approves and pays.
    sign_in(page, people["finance"])
    page.goto(f"/settlement/{st.pk}/")
    page.get_by_test_id("act-approve").get_by_role("button").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已批准")
    page.get_by_test_id("act-pay").locator("input[name=reference]").fill("ICBC-20261205-01")
    page.get_by_test_id("act-pay").get_by_role("button").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已付款")
    st.refresh_from_db()
    # 80 + 18 + (80 + 18 + 16 urgent + 16 night... as priced) with the travel line agreed at 24.
    assert st.total == sum(line.final_amount for line in st.lines.all())
    assert LedgerEntry.objects.get().amount == st.total

    pdf = page.request.get(f"/settlement/{st.pk}/statement.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert st.number in text and "上海一站" in text
    vouchers = page.request.get(
        "/settlement/vouchers.xlsx?period=" + dt.date.today().strftime("%Y-%m")
    )
    rows = list(load_workbook(io.BytesIO(vouchers.body())).active.iter_rows(values_only=True))[1:]
    debit = sum(Decimal(str(r[6] or 0)) for r in rows)
    credit = sum(Decimal(str(r[7] or 0)) for r in rows)
    assert debit == credit == st.total

    folder = os.environ.get("BILLING_SCREENSHOTS")
    if folder:
        paths = [
            "/settlement/?period=2026-11",
            f"/settlement/{st.pk}/",
            f"/settlement/fee-rules/?order={st.lines.first().order.number}",
            f"/settlement/stations/{month['station'].pk}/account/",
        ]
        _shoot(browser, live_server.url, people["finance"], paths, folder)
