"""End to end in Chromium: intake of a car asks for the odometer; the order page explains the
三包 decision (reason, clause, the km it used) and fits a phone."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.orders.models import ServiceOrder
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _car(data, agent, people):
    import datetime as dt

    from aftersales.customers import actions
    from aftersales.warranty.actions import warranty_policy_save

    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", category=data["category"]
    )
    unit = data["u1"]
    actions.unit_update(
        actor=agent,
        unit=unit,
        version=unit.version,
        voucher_no="SB1",
        invoice_date=timezone.localdate() - dt.timedelta(days=120),
    )
    return unit


def test_car_intake_records_the_km_and_the_order_page_explains_the_decision(
    phone_page, data, agent, people
):
    unit = _car(data, agent, people)
    page = phone_page
    sign_in(page, agent)
    page.goto(f"/orders/new/?unit={unit.pk}")
    expect(page.locator("[data-testid=intake-warranty]")).to_contain_text("三包有效期内")
    page.fill("#id_meter_km", "52000")
    page.fill("[data-testid=fault-description]", "刹车异响")
    page.click("[data-testid=register-order]")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = ServiceOrder.objects.get()
    assert order.warranty_detail["evidence"]["mileage_km"] == 52000
    box = page.locator("[data-testid=warranty]")
    expect(box).to_contain_text("包修期内")
    expect(box).to_contain_text("《家用汽车产品修理更换退货责任规定》(2021)")
    page.click("[data-testid=warranty] summary")
    expect(page.locator("[data-testid=warranty-facts]")).to_contain_text("52000")
    assert "car.repair_warranty" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


def test_inline_car_at_intake_asks_for_the_km_once_the_model_is_chosen(
    phone_page, data, agent, people
):
    from aftersales.customers.models import MeterReading
    from aftersales.warranty.actions import warranty_policy_save

    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", product_model=data["model"]
    )
    page = phone_page
    sign_in(page, agent)
    page.goto("/orders/new/")
    page.click("summary")
    expect(page.locator("[data-testid=intake-new-meter]")).to_have_count(0)
    page.fill("#id_new_name", "王五")
    page.fill("#id_new_phone", "13900001111")
    page.fill("#id_new_serial", "CAR-E2E-1")
    page.select_option("[data-testid=new-model]", str(data["model"].pk))
    expect(page.locator("[data-testid=intake-new-meter]")).to_be_visible()
    page.fill("#id_meter_km", "800")
    page.fill("[data-testid=fault-description]", "刹车异响")
    page.click("[data-testid=register-order]")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = ServiceOrder.objects.get()
    assert MeterReading.objects.get(unit=order.unit).value == 800
