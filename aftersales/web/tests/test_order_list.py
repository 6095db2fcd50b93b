"""The orders list as agents and managers use it: search as callers speak (last four digits,
part of a serial, part of a name), sort by a column, page back and forth with a total, and
take the filtered list to Excel."""

import io

import pytest
from openpyxl import load_workbook

from aftersales.customers import actions as customer_actions
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _numbers(html):
    return [o.number for o in ServiceOrder.objects.all() if o.number in html]


@pytest.fixture
def shop_order(data, people, new_order):
    shop = customer_actions.customer_create(
        actor=people["agent"],
        name="杭州海川餐饮有限公司",
        phone="13900004321",
        station=data["s1"],
        address_line="杭州市西湖区文三路1号",
    )
    unit = customer_actions.unit_create(
        actor=people["agent"], customer=shop, product_model=data["model"], serial="HC2405887766"
    )
    return new_order(customer=shop, unit=unit, priority="high")


def test_the_list_finds_orders_as_callers_describe_them(login, people, new_order, shop_order):
    other = new_order()
    client = login(people["agent"])
    for q in ("4321", "0588776", "海川餐饮", "海川"):
        page = client.get("/orders/", {"queue": "open", "q": q}).content.decode()
        assert shop_order.number in page and other.number not in page, q


def test_a_column_header_sorts_and_a_second_click_reverses(login, people, new_order):
    low = new_order(priority="low")
    high = new_order(priority="high")
    medium = new_order(priority="medium")
    client = login(people["agent"])
    page = client.get("/orders/", {"queue": "open", "sort": "priority"}).content.decode()
    assert page.index(high.number) < page.index(medium.number) < page.index(low.number)
    assert "sort=-priority" in page  # the header now offers the reverse
    page = client.get("/orders/", {"queue": "open", "sort": "-priority"}).content.decode()
    assert page.index(low.number) < page.index(medium.number) < page.index(high.number)
    newest = client.get("/orders/", {"queue": "open"}).content.decode()
    assert newest.index(medium.number) < newest.index(low.number)


def test_pages_go_forward_and_back_with_a_total(login, people, new_order):
    made = [new_order() for _ in range(27)]
    client = login(people["agent"])
    first = client.get("/orders/", {"queue": "open"}).content.decode()
    assert "第 1–25 条，共 27 条" in first
    assert 'data-testid="next-page"' in first and 'data-testid="previous-page"' not in first
    second = client.get("/orders/", {"queue": "open", "page": "2"}).content.decode()
    assert 'data-testid="previous-page"' in second and 'data-testid="next-page"' not in second
    assert made[0].number in second and made[0].number not in first
    assert client.get("/orders/", {"page": "x"}).status_code == 200


def test_the_excel_export_has_the_lists_filters_and_labels(login, people, new_order, shop_order):
    new_order(priority="low")
    response = login(people["agent"]).get(
        "/orders/export.xlsx", {"queue": "open", "priority": "high"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单号", "状态", "优先级")
    assert [r[0] for r in rows[1:]] == [shop_order.number]
    assert rows[1][2] == "高" and rows[1][4] == "杭州海川餐饮有限公司"
    assert rows[1][5] == "139****4321"


def test_the_export_refuses_who_may_not_see_orders(client):
    assert client.get("/orders/export.xlsx").status_code == 302  # to the login page


def test_the_intake_shows_the_callers_and_the_units_recent_orders(login, people, data, new_order):
    earlier = new_order()
    page = login(people["agent"]).get("/orders/new/", {"unit": data["u1"].pk}).content.decode()
    recent = page[page.index('data-testid="recent-orders"') :]
    assert earlier.number in recent
