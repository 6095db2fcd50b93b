"""The orders list searches a customer's name as the customers list does: a one- or
two-character name collects at most SHORT_NAME_CAP ids, and the page and the API ask to
refine the search."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from openpyxl import load_workbook

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.customers import actions as customer_actions
from aftersales.customers import selectors
from aftersales.customers.models import Customer
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import order_filter_capped, orders_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang_orders(data, new_order, agent, monkeypatch):
    """Eight customers named 王0..王7, one open order each; the cap is five."""
    monkeypatch.setattr(selectors, "SHORT_NAME_CAP", 5)
    wangs = [
        customer_actions.customer_create(
            actor=agent,
            name=f"王{n}",
            phone=f"1350000{n:04d}",
            station=data["s1"],
            address_line="上海市浦东新区世纪大道100号",
        )
        for n in range(8)
    ]
    units = [
        customer_actions.unit_create(
            actor=agent, customer=c, product_model=data["model"], serial=f"WG24000{n:05d}"
        )
        for n, c in enumerate(wangs)
    ]
    return [new_order(customer=c, unit=u) for c, u in zip(wangs, units, strict=True)]


def test_a_surname_collects_at_most_the_cap(agent, wang_orders):
    qs, capped = order_filter_capped(
        orders_visible_to(agent), {"q": "王"}, company_id=agent.company_id
    )
    assert qs.count() == 5 and capped
    qs, capped = order_filter_capped(
        orders_visible_to(agent), {"q": "王3"}, company_id=agent.company_id
    )
    assert list(qs) == [wang_orders[3]] and not capped


def test_a_capped_search_keeps_the_newest_orders(agent, wang_orders):
    qs, capped = order_filter_capped(
        orders_visible_to(agent), {"q": "王"}, company_id=agent.company_id
    )
    newest = sorted(wang_orders, key=lambda o: o.pk)[-5:]
    assert capped and sorted(qs, key=lambda o: o.pk) == newest


def test_a_station_user_sees_every_match_of_their_station(data, make_user, agent, wang_orders):
    """The cap falls on the station's own orders: two of the eight matches company-wide are
    at the north station, of customers that five customers found company-wide (王0..王4, the
    first by name) leave out."""
    north = wang_orders[5:7]
    ServiceOrder.objects.filter(pk__in=[o.pk for o in north]).update(station=data["s2"])
    manager = make_user(Role.STATION_MANAGER, station=data["s2"])
    qs, capped = order_filter_capped(
        orders_visible_to(manager), {"q": "王"}, company_id=manager.company_id
    )
    assert set(qs) == set(north) and not capped


def test_other_companies_customers_do_not_fill_the_cap(agent, wang_orders):
    other = org.company_create(actor=None, name="另一家电器", code="cap-other")
    Customer.objects.bulk_create(
        Customer(company=other, name=f"王{n}", phone=f"1360000{n:04d}") for n in range(8)
    )
    qs, capped = order_filter_capped(
        orders_visible_to(agent), {"q": "王"}, company_id=agent.company_id
    )
    assert qs.count() == 5 and capped


def test_the_orders_page_asks_to_refine_a_capped_search(login, agent, wang_orders):
    page = login(agent).get("/orders/", {"q": "王", "queue": "all"}).content.decode()
    assert 'data-testid="refine-search"' in page and "请细化搜索" in page
    narrow = login(agent).get("/orders/", {"q": "王3", "queue": "all"}).content.decode()
    assert 'data-testid="refine-search"' not in narrow and wang_orders[3].number in narrow


def test_the_api_says_refine_on_a_capped_search(api, agent, wang_orders):
    body = api(agent).get("/orders?queue=all&q=王&limit=200").json()
    assert len(body["items"]) == 5 and body["refine"] is True
    body = api(agent).get("/orders?queue=all&q=王3").json()
    assert [o["id"] for o in body["items"]] == [wang_orders[3].pk] and body["refine"] is False


def _rows(response):
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_export_of_a_capped_search_says_so(login, agent, wang_orders):
    rows = _rows(login(agent).get("/orders/export.xlsx", {"q": "王", "queue": "all"}))
    assert len(rows) == 1 + 5 + 1  # header, the five newest, the note
    assert rows[-1][0] == "仅导出了前 5 行：请细化搜索或筛选条件，以导出全部匹配结果。"
    rows = _rows(login(agent).get("/orders/export.xlsx", {"q": "王3", "queue": "all"}))
    assert [r[0] for r in rows[1:]] == [wang_orders[3].number]  # no note


def test_the_note_is_in_the_users_language(login, agent, wang_orders):
    client = login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = _rows(client.get("/orders/export.xlsx", {"q": "王", "queue": "all"}))
    assert rows[-1][0].startswith("Only the first 5 rows are exported: refine the search")
