"""End to end in Chromium: a customer signs in to the portal with a code, reports a fault with
a photo, books a window and, after the visit, rates it; an agent works the follow-up queue, a
low score becomes a complaint that is escalated and closed."""

import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from aftersales.customers import actions as customers
from aftersales.dispatch.models import Visit
from aftersales.dispatch.tests.fixtures import spot
from aftersales.feedback.models import Complaint, FollowUp, FollowUpResult
from aftersales.fieldwork import actions as field
from aftersales.fieldwork.tests.fixtures import finish_simply
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import actions as orders
from aftersales.orders.models import ServiceOrder
from aftersales.portal.tests.codes import code_from_log
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = "13955556666"


def _photo(tmp_path):
    from PIL import Image

    path = tmp_path / "leak.jpg"
    out = io.BytesIO()
    Image.new("RGB", (200, 150), (20, 80, 200)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_customer_reports_books_and_rates_in_the_portal(
    phone_page, crew, people, catalog, tmp_path, caplog
):
    page = phone_page
    customer = customers.customer_create(
        actor=people["agent"],
        name="赵六",
        phone=PHONE,
        station=crew["station"],
        address_line="上海市黄浦区测试路8号",
        latitude=spot(1)[0],
        longitude=spot(1)[1],
    )
    unit = customers.unit_create(
        actor=people["agent"],
        customer=customer,
        product_model=catalog["model"],
        serial="KF2505000777",
        purchase_date=dt.date(2025, 5, 1),
    )

    # Sign in with the phone and the code sent to it (the demo's SMS channel is the log).
    caplog.set_level("INFO", logger="aftersales.notifications")
    page.goto("/portal/login/")
    page.fill("input[name=phone]", PHONE)
    page.click("[data-testid=portal-login] button")
    page.fill("input[name=code]", code_from_log(caplog, PHONE))
    page.click("[data-testid=portal-verify] button")
    expect(page.locator("[data-testid=portal-units]")).to_contain_text("KF2505000777")

    # Report a fault with a photo.
    page.click("[data-testid=report-fault]")
    page.fill("textarea[name=fault_description]", "室内机漏水")
    page.set_input_files("input[name=photos]", str(_photo(tmp_path)))
    page.click("[data-testid=send-fault]")
    # the customer-facing status
    expect(page.locator("[data-testid=portal-status]")).to_have_text("已受理报修")
    order = ServiceOrder.objects.get(customer=customer)
    assert (order.channel, order.unit_id, order.attachments.count()) == ("portal", unit.pk, 1)

    # Book a window (the crew works on a day a few days ahead).
    slot = page.locator("[data-testid=portal-book] label").first
    slot.click()
    page.click("[data-testid=portal-book-submit]")
    expect(page.locator("[data-testid=portal-appointment]")).to_be_visible()
    order.refresh_from_db()
    assert order.appointment_start is not None and order.station_id == crew["station"].pk

    # The visit happens (dispatcher and technician through their actions).
    visit = Visit.objects.get(order=order, ended_at__isnull=True)
    tech = visit.technician
    order = orders.order_transition(
        actor=people["dispatcher"], order=order, action="assign", technician=tech
    )
    field.visit_accept(actor=tech, order=order)
    field.visit_depart(actor=tech, order=order, eta_minutes=25)
    page.reload()
    expect(page.locator("[data-testid=portal-technician]")).to_contain_text("预计到达")
    field.visit_arrive(actor=tech, order=order)
    finish_simply(order, tech)

    # Later the customer rates the visit.
    page.reload()
    # the customer-facing status
    expect(page.locator("[data-testid=portal-status]")).to_have_text("服务已完成")
    expect(page.locator("[data-testid=portal-timeline]")).to_contain_text("工程师已出发")
    form = page.locator("[data-testid=portal-rate]")
    for code in ("fixed", "on_time", "polite", "charged_correctly"):
        form.locator(f"label[for={code}-yes]").click()
    form.locator("label[for=satisfaction-5]").click()
    form.locator("[data-testid=portal-rate-submit]").click()
    expect(page.locator("main > .alert")).to_contain_text("感谢您的评价")
    result = FollowUpResult.objects.get(follow_up__order=order)
    assert (result.source, result.satisfaction) == ("survey", 5)
    expect(page.locator("[data-testid=portal-report]")).to_be_visible()
    page.click("[data-testid=portal-report]")
    expect(page.locator("[data-testid=report]")).to_contain_text("电容老化")


def test_agent_follow_up_low_score_becomes_a_complaint_escalated_and_closed(page, on_site, people):
    order = finish_simply(on_site(), people["tech"])
    FollowUp.objects.get_or_create(
        order=order, defaults={"company": order.company, "due_at": order.completed_at}
    )
    agent, manager = people["agent"], people["service_manager"]

    sign_in(page, agent)
    page.goto("/follow-ups/")
    page.click(f"[data-testid=follow-up-row][data-order='{order.number}']")
    form = page.locator("[data-testid=script-form]")
    for code in ("fixed", "on_time", "charged_correctly"):
        form.locator(f"label[for={code}-yes]").click()
    form.locator("label[for=polite-no]").click()
    form.locator("label[for=satisfaction-1]").click()
    form.locator("textarea[name=comment]").fill("工程师态度很差")
    page.click("[data-testid=save-follow-up]")
    expect(page.locator("[data-testid=follow-up-status]")).to_have_text("已回访")
    complaint = Complaint.objects.get(order=order)
    assert complaint.category == "attitude" and complaint.technician_id == people["tech"].pk

    # The agent takes it up and escalates it.
    page.click("[data-testid=follow-up-complaint] a")
    page.click("[data-testid=act-investigate] button")
    expect(page.locator("[data-testid=complaint-status]")).to_have_text("调查中")
    page.fill("[data-testid=act-escalate] input[name=text]", "涉及服务态度，需主管处理")
    page.click("[data-testid=act-escalate] button")
    expect(page.locator("[data-testid=complaint-status]")).to_have_text("已升级")
    expect(page.locator("[data-testid=complaint-level]")).to_have_text("L1")

    # The service manager solves and closes it; the customer is told the outcome.
    sign_in(page, manager)
    page.goto(f"/complaints/{complaint.pk}/")
    page.click("[data-testid=act-investigate] button")
    page.fill("[data-testid=act-propose] input[name=text]", "主管致电道歉，工程师重新培训")
    page.click("[data-testid=act-propose] button")
    page.fill("[data-testid=act-feedback_accepted] input[name=text]", "客户接受")
    page.click("[data-testid=act-feedback_accepted] button")
    page.fill("[data-testid=act-close] input[name=text]", "已道歉并对工程师进行培训")
    page.click("[data-testid=act-close] button")
    expect(page.locator("[data-testid=complaint-status]")).to_have_text("已关闭")
    expect(page.locator("[data-testid=complaint-timeline]")).to_contain_text("升级")
    told = OutboxMessage.objects.get(customer=order.customer, event="complaint_outcome")
    assert "已道歉" in told.body
