"""End to end in Chromium: a maintenance plan creates a unit's first-service order (the manager
runs the generation from the plan's page), the dispatcher books it, the technician checks in on
the phone and completes the level's checklist with a meter reading, and the unit's schedule
shows the next service moved by that reading."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.customers import actions as customers
from aftersales.customers.models import InstalledUnit
from aftersales.dispatch.models import Visit
from aftersales.dispatch.tests.fixtures import spot
from aftersales.fieldwork.tests.fixtures import finish_simply
from aftersales.maintenance import actions as maintenance
from aftersales.maintenance.models import ChecklistEntry, MaintenanceVisit
from aftersales.orders import actions as orders
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_plan_to_checklist_to_the_next_service(page, phone_page, crew, soon, plan, people, catalog):
    today = timezone.localdate()
    manager, dispatcher = people["service_manager"], people["dispatcher"]
    maintenance.plan_update(actor=manager, plan=plan["plan"], window_days=7)
    customer = customers.customer_create(
        actor=people["agent"],
        name="钱七",
        phone="13966667777",
        station=crew["station"],
        address_line="上海市闵行区测试路9号",
        latitude=spot(1)[0],
        longitude=spot(1)[1],
    )
    unit = customers.unit_create(
        actor=people["agent"],
        customer=customer,
        product_model=catalog["model"],
        serial="WP12E2E0001",
        purchase_date=today - dt.timedelta(days=31),
    )
    InstalledUnit.objects.filter(pk=unit.pk).update(installation_date=today - dt.timedelta(days=31))
    customers.unit_meter_record(
        actor=people["agent"],
        unit=unit,
        kind="hours",
        value=0,
        read_on=today - dt.timedelta(days=31),
        source="staff",
    )

    # The manager runs the plan: the first service (首保) is due, its order is created.
    sign_in(page, manager)
    page.goto(f"/maintenance/plans/{plan['plan'].pk}/")
    page.click("[data-testid=generate]")
    expect(page.locator(".alert").first).to_contain_text("生成完成")
    service = MaintenanceVisit.objects.get(unit=unit)
    order = service.order
    assert (order.service_type, order.channel, service.seq) == (
        "maintenance",
        "maintenance_plan",
        1,
    )

    # The dispatcher books it like any order.
    sign_in(page, dispatcher)
    page.goto(f"/orders/{order.pk}/")
    expect(page.locator("[data-testid=order-plan]")).to_contain_text("首保")
    page.goto(f"/orders/{order.pk}/appointment/?first={soon.isoformat()}")
    page.locator("[data-testid=slot]").first.click()
    expect(page.locator(".alert").first).to_contain_text("预约")
    order.refresh_from_db()
    assert order.appointment_start is not None
    tech = Visit.objects.get(order=order, ended_at__isnull=True).technician
    order = orders.order_transition(actor=dispatcher, order=order, action="assign", technician=tech)

    # The technician works it on the phone: accept, depart, check in, the checklist.
    phone = phone_page
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": spot(1)[0], "longitude": spot(1)[1], "accuracy": 10})
    sign_in(phone, tech)
    phone.goto(f"/field/{order.pk}/")
    expect(phone.locator("[data-testid=kit]")).to_contain_text("机油滤清器")
    phone.click("[data-testid=accept]")
    # Accepting reloads the visit page with the departure form (slow on a loaded machine).
    expect(phone.locator("#eta")).to_be_visible(timeout=45_000)
    phone.fill("#eta", "15")
    phone.click("[data-testid=depart]")
    phone.click("[data-testid=arrive]")
    expect(phone.locator("[data-testid=visit-status]")).to_have_text("已到场")
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    form = phone.locator("[data-testid=form-checklist]")
    form.locator(f"label[for=done-{tasks['check'].pk}]").click()
    form.locator(f"[data-testid=value-{tasks['measure'].pk}]").fill("320")
    form.locator(f"label[for=done-{tasks['replace'].pk}]").click()
    form.locator("[data-testid=reading]").fill("93")  # 3 h a day since installation
    form.locator("[data-testid=save-checklist]").click()
    expect(phone.locator(".alert").first).to_contain_text("检查单已保存")
    assert ChecklistEntry.objects.filter(visit=service, done=True).count() == 3
    assert not ChecklistEntry.objects.filter(visit=service, out_of_limits=True).exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    finish_simply(order, tech)  # condition, diagnosis and the signed result (tested elsewhere)

    # The next service moved by the reading: 93 + 300 h at 3 h a day, 100 days from today,
    # before the six months of the calendar.
    sign_in(page, manager)
    page.goto(f"/maintenance/units/{unit.pk}/")
    first = page.locator("[data-testid=upcoming-row]").first
    expect(first.locator("td").first).to_have_text("2")
    expect(first.locator("[data-testid=due-on]")).to_have_text(
        (today + dt.timedelta(days=100)).isoformat()
    )
    expect(first).to_contain_text("按表计")
    expect(page.locator("[data-testid=past]")).to_contain_text(order.number)
