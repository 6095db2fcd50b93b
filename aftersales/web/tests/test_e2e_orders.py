"""End to end in Chromium: an agent takes a call, finds the unit, registers an order and sees
the due times and the timeline; a dispatcher moves it on; the pages fit a phone."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.orders.models import ServiceOrder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, user):
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_agent_takes_a_call_and_registers_an_order(page, data, agent, make_user):
    _login(page, agent)
    page.goto("/")
    page.click("[data-testid=nav-work]")  # the menu group holding the intake page
    page.click("text=受理报修")
    page.fill("[data-testid=intake-search]", "1381234")  # the caller's phone number
    expect(page.locator("[data-testid=pick-unit]")).to_have_count(1)
    page.click("[data-testid=pick-unit]")
    expect(page.locator("[data-testid=chosen-unit]")).to_contain_text("KF2401000001")
    page.fill("[data-testid=fault-description]", "空调不制冷，外机不转")
    page.select_option("[data-testid=priority]", "high")
    page.click("[data-testid=register-order]")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = ServiceOrder.objects.get()
    assert page.url.endswith(f"/orders/{order.pk}/")
    expect(page.locator("[data-testid=order-number]")).to_have_text(order.number)
    expect(page.locator("[data-testid=order-status]")).to_have_text("已登记")
    due = page.locator("[data-testid=due-times]")
    for value in (order.respond_due, order.resolve_due):
        expect(due).to_contain_text(timezone.localtime(value).strftime("%Y-%m-%d %H:%M"))
    expect(page.locator("[data-testid=timeline] li")).to_have_count(1)

    # The agent triages; the timeline grows.
    page.click("[data-testid=act-triage]")
    expect(page.locator("[data-testid=order-status]")).to_have_text("已分诊")
    expect(page.locator("[data-testid=timeline] li")).to_have_count(2)
    expect(page.locator("[data-testid=timeline]")).to_contain_text("已登记 → 已分诊")

    # A second call about the same unit is flagged as a possible duplicate before saving.
    page.goto(f"/orders/new/?unit={data['u1'].pk}")
    expect(page.locator("[data-testid=duplicate-warning]")).to_contain_text(order.number)


def test_dispatcher_dispatches_from_the_order_page(page, data, agent, make_user):
    from aftersales.accounts.choices import Role
    from aftersales.orders import actions

    dispatcher = make_user(Role.DISPATCHER)
    order, _ = actions.order_create(
        actor=agent, customer=data["c1"], unit=data["u1"], fault_description="噪音"
    )
    _login(page, dispatcher)
    page.goto("/orders/?queue=unassigned")
    page.click("[data-testid=order-link]")
    page.select_option("form[action$='/act/dispatch/'] select[name=station]", str(data["s1"].pk))
    page.click("[data-testid=act-dispatch]")
    expect(page.locator("[data-testid=order-status]")).to_have_text("已派站")
    expect(page.locator("[data-testid=timeline]")).to_contain_text(data["s1"].name)


def test_order_pages_fit_a_phone_screen(phone_page, data, agent):
    from aftersales.orders import actions

    order, _ = actions.order_create(
        actor=agent, customer=data["c1"], unit=data["u1"], fault_description="噪音"
    )
    _login(phone_page, agent)
    for path in ["/orders/", "/orders/new/", f"/orders/{order.pk}/", f"/units/{data['u1'].pk}/qr/"]:
        phone_page.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
