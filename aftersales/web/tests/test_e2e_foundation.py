"""End to end in Chromium: an agent logs in, finds a unit by serial, opens its history and
switches the language."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_finds_a_unit_by_serial_and_switches_language(page, data, agent):
    from aftersales.customers import actions

    actions.unit_update(actor=agent, unit=data["u1"], version=1, voucher_no="SB20240301")

    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", agent.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert "欢迎" in page.content()

    page.click("[data-testid=nav-people]")  # the menu group holding customers and units
    page.click("text=设备")
    page.fill("[data-testid=unit-search]", "KF2401000001")
    expect(page.locator("[data-testid=unit-link]")).to_have_count(1)
    page.click("[data-testid=unit-link]")
    page.wait_for_url(f"**/units/{data['u1'].pk}/")
    history = page.locator("[data-testid=history]")
    assert "修改：设备档案" in history.inner_text()  # the action's label, not unit.update
    assert "SB20240301" in history.inner_text()
    assert "变更历史" in page.content()

    page.select_option("[data-testid=language-select]", "en")
    page.click("[data-testid=language-submit]")
    page.wait_for_url(f"**/units/{data['u1'].pk}/")
    assert page.locator("h2", has_text="Service orders").count() == 1
    assert "变更历史" not in page.content()


def test_pages_fit_a_phone_screen(phone_page, data, agent):
    page = phone_page
    page.goto("/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    for path in ["/units/", f"/units/{data['u1'].pk}/", f"/customers/{data['c1'].pk}/"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)


def test_generic_form_is_styled_on_a_phone(phone_page, data, agent):
    """web/form.html (here: a unit's edit page) at 360 px: Bootstrap inputs across the width,
    each label above its input, an error marks its input and shows under it."""
    page = phone_page
    page.goto("/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/units/{data['u1'].pk}/edit/")
    serial = page.locator("#id_serial")
    expect(serial).to_have_class(re.compile(r"\bform-control\b"))
    expect(page.locator("#id_product_model")).to_have_class(re.compile(r"\bform-select\b"))
    box = serial.bounding_box()
    assert box and box["width"] > 250, box
    label = page.locator("label[for=id_serial]").bounding_box()
    assert label and label["y"] + label["height"] <= box["y"], (label, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.fill("#id_purchase_price", "-5")
    page.click("main form button[type=submit].btn-primary")
    price = page.locator("#id_purchase_price")
    expect(price).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_purchase_price ~ .invalid-feedback")).to_be_visible()
