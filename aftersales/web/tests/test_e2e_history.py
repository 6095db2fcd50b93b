"""End to end in Chromium: an administrator uploads a history workbook, reads the dry-run
report, fixes the refused row, applies, watches the progress and finds an imported order by
its external id."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from aftersales.accounts.choices import Role
from aftersales.imports.tests.legacy import legacy_rows
from aftersales.imports.workbook import COLUMNS
from aftersales.orders.models import ServiceOrder
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(
            [(json.dumps(row[c]) if c == "answers" and c in row else row.get(c)) for c in COLUMNS]
        )
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_administrator_imports_history_from_a_workbook(page, data, make_user, tmp_path):
    admin = make_user(Role.ADMIN)
    tech = make_user(Role.TECHNICIAN, station=data["s1"])
    rows = legacy_rows(technician=tech.username, years=1)
    rows[3] = {**rows[3], "customer": "C-9"}  # the first order names a customer not in the file
    sign_in(page, admin)
    page.goto("/history/")
    page.get_by_test_id("history-file").set_input_files(_workbook(tmp_path / "h.xlsx", rows))
    page.get_by_test_id("history-upload").click()
    report = page.get_by_test_id("history-report")
    expect(report.locator("tr.table-danger")).to_have_count(
        10 + 2
    )  # the order, its steps, its complaint
    expect(report.locator("tr.table-danger").first).to_contain_text("C-9")
    # on a phone the reason shows under the row's id, on the screen
    page.set_viewport_size({"width": 360, "height": 800})
    why = report.locator("tr.table-danger").first.get_by_test_id("history-why-narrow")
    expect(why).to_be_visible()
    expect(why).to_contain_text("C-9")
    box = why.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(why).to_be_hidden()
    expect(page.get_by_test_id("history-fix")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("history-report-xlsx").click()
    assert download.value.suggested_filename.endswith("-report.xlsx")

    rows[3] = {**rows[3], "customer": "C-1"}  # fixed in the workbook
    page.goto("/history/")
    page.get_by_test_id("history-file").set_input_files(_workbook(tmp_path / "h2.xlsx", rows))
    page.get_by_test_id("history-upload").click()
    expect(page.get_by_test_id("history-report").locator("tr.table-danger")).to_have_count(0)
    page.get_by_test_id("history-apply").click()
    progress = page.get_by_test_id("history-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(progress).to_contain_text(f"{len(rows)} / {len(rows)}")

    page.goto("/history/")
    page.get_by_test_id("history-find-id").fill("WO-1")
    page.get_by_test_id("history-find").click()
    order = ServiceOrder.objects.get(
        customer__name="王五", created_at__year=2021, created_at__month=3
    )
    page.wait_for_url(f"**/orders/{order.pk}/")
    expect(page.locator("h1")).to_contain_text(order.number)
