"""End to end in Chromium: an agent types a fault at intake, a solution is suggested and the
call is closed as solved on the phone; a technician turns a completed order into a case, the
service manager publishes it, and it is found by a two-character query."""

import re

import pytest
from playwright.sync_api import expect

from aftersales.knowledge import actions as knowledge
from aftersales.knowledge.models import Article
from aftersales.orders.models import ServiceOrder
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_suggestion_at_intake_solves_the_call_on_the_phone(page, people, data):
    art = knowledge.article_create(
        actor=people["service_manager"],
        kind="solution",
        title="遥控器没反应怎么办",
        body="1. 更换两节7号电池\n2. 对准接收窗再试",
        product_models=[data["model"]],
    )
    knowledge.article_transition(actor=people["service_manager"], article=art, verb="publish")

    sign_in(page, people["agent"])
    page.goto(f"/orders/new/?unit={data['u1'].pk}")
    page.fill("[data-testid=fault-description]", "客户说遥控器没反应")
    suggestion = page.locator("[data-testid=suggestion]").first
    expect(suggestion).to_contain_text("遥控器没反应怎么办")
    suggestion.locator("summary").click()
    expect(suggestion).to_contain_text("更换两节7号电池")
    suggestion.locator("[data-testid=solved-by-phone]").click()

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = ServiceOrder.objects.get()
    expect(page.locator("[data-testid=order-status]")).to_have_text("已关闭")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("已登记 → 已关闭")
    assert order.events.filter(action="solve_remotely").count() == 1
    assert Article.objects.get(pk=art.pk).helped_count == 1


def test_technician_writes_a_case_the_manager_publishes_it_and_search_finds_it(
    page, people, new_order, walk
):
    order = walk(new_order(fault_description="张先生家空调不制冷，电话13812345678"), "complete")

    sign_in(page, people["tech"])
    page.goto(f"/orders/{order.pk}/")
    page.click("[data-testid=case-from-order]")
    page.wait_for_url(re.compile(r"/knowledge/\d+/edit/$"))
    body = page.locator("[data-testid=article-body-input]")
    expect(body).to_have_value(re.compile("电容老化"))
    assert "13812345678" not in body.input_value() and "张先生" not in body.input_value()
    body.fill(body.input_value() + "\n夏季高温时先查电容。")
    expect(page.locator("[data-testid=preview]")).to_contain_text("夏季高温时先查电容")
    page.click("[data-testid=article-save]")
    page.wait_for_url(re.compile(r"/knowledge/\d+/$"))
    page.click("[data-testid=step-submit]")
    expect(page.locator("[data-testid=article-status]")).to_have_text("待审核")
    case = Article.objects.get(source_order=order)

    sign_in(page, people["service_manager"])
    page.goto("/knowledge/review/")
    page.click(f"[data-testid=review-queue] a[href='/knowledge/{case.pk}/']")
    page.click("[data-testid=step-publish]")
    expect(page.locator("[data-testid=article-status]")).to_have_text("已发布")
    page.click("[data-testid=toggle-featured]")
    expect(page.locator("[data-testid=featured]")).to_be_visible()

    sign_in(page, people["agent"])
    page.goto("/knowledge/")
    page.fill("[data-testid=knowledge-q]", "电容")
    page.click("[data-testid=knowledge-go]")
    results = page.locator("[data-testid=knowledge-result]")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(case.title)
