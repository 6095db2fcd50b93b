"""End to end in Chromium: the region comparison draws its chart, the scheme editor saves a
scheme from its rows and marks a wrong field, a complaint is judged invalid on its page; each
page fits a phone and a desktop in both languages (no horizontal scroll of the page).
`KPI_SHOTS=/tmp/dir` keeps screenshots to look at."""

import os

import pytest
from playwright.sync_api import expect

from aftersales.feedback import actions as feedback
from aftersales.kpi import actions as kpi
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_region_page_scheme_editor_and_complaint_validity(
    browser, live_server, new_order, walk, people, data
):
    walk(new_order(), "follow_up")
    complaint = feedback.complaint_create(
        actor=people["agent"],
        customer=data["c1"],
        source="hotline",
        category="delay",
        severity="low",
        description="等了三天没人来",
    )
    kpi.kpi_refresh(company_id=data["company"].pk)
    shots = os.environ.get("KPI_SHOTS")
    for locale, lang in (("zh-CN", "zh"), ("en-US", "en")):
        for width, height in ((1280, 900), (360, 740)):
            context = browser.new_context(
                locale=locale, base_url=live_server.url, viewport={"width": width, "height": height}
            )
            context.set_default_timeout(15000)
            page = context.new_page()
            sign_in(page, people["department_head"])
            for name, path in (
                ("regions", "/kpi/regions/"),
                ("scheme", "/kpi/assessments/schemes/new/"),
                ("complaint", f"/complaints/{complaint.pk}/"),
            ):
                page.goto(path)
                if name == "regions":
                    expect(page.locator('.kpi-chart[data-chart="regions"] canvas')).to_have_count(1)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, locale, width, overflow)
                if shots:
                    page.screenshot(path=f"{shots}/{name}-{lang}-{width}.png", full_page=True)
            context.close()

    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15000)
    page = context.new_page()
    sign_in(page, people["department_head"])
    page.goto("/kpi/assessments/schemes/new/")
    page.fill("#s-name", "网点月度考核")
    page.get_by_test_id("scheme-save").click()
    page.wait_for_url("**/kpi/assessments/")
    expect(page.get_by_test_id("schemes")).to_contain_text("网点月度考核")
    page.get_by_role("link", name="编辑").first.click()
    page.locator('input[name="item-weight"]').first.fill("abc")
    page.get_by_test_id("scheme-save").click()
    expect(page.get_by_test_id("scheme-errors")).to_be_visible()
    expect(page.locator("input.is-invalid")).to_have_count(1)

    page.goto(f"/complaints/{complaint.pk}/")
    page.get_by_test_id("act-validity").locator('input[name="text"]').fill("非服务原因")
    page.get_by_test_id("act-validity").get_by_role("button").click()
    expect(page.get_by_test_id("complaint-invalid")).to_be_visible()
    expect(page.get_by_test_id("complaint-timeline")).to_contain_text("非服务原因")
    context.close()
