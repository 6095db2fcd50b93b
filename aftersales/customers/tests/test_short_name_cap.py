"""A one- or two-character name (a surname, a short name) collects at most SHORT_NAME_CAP
customers, and the lists ask to refine the search."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from aftersales.customers import actions, selectors
from aftersales.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_wangs(data, monkeypatch):
    monkeypatch.setattr(selectors, "SHORT_NAME_CAP", 5)
    company = data["c1"].company
    return Customer.objects.bulk_create(
        Customer(company=company, name=f"王{n}", phone=f"1350000{n:04d}") for n in range(8)
    )


@pytest.mark.parametrize(
    ("query", "short"),
    [
        ("王", True),
        ("海川", True),
        ("海川餐饮", False),
        ("5678", False),
        ("13", False),
        ("", False),
    ],
)
def test_short_names_are_one_or_two_characters_not_digits(query, short):
    assert selectors.is_short_name(query) is short


def test_a_surname_collects_at_most_the_cap(agent, many_wangs):
    assert selectors.customer_search(agent, "王").count() == 5
    assert selectors.customer_search(agent, "王1").count() == 1  # two characters, one match


def test_the_customers_list_asks_to_refine_a_capped_search(login, agent, many_wangs):
    page = login(agent).get("/customers/", {"q": "王"}).content.decode()
    assert 'data-testid="refine-search"' in page and "请细化搜索" in page
    narrow = login(agent).get("/customers/", {"q": "王1"}).content.decode()
    assert 'data-testid="refine-search"' not in narrow


NOTE = "仅导出了前 5 行：请细化搜索或筛选条件，以导出全部匹配结果。"


def _rows(response):
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_customers_export_of_a_capped_search_says_so(login, agent, many_wangs):
    rows = _rows(login(agent).get("/customers/export.xlsx", {"q": "王"}))
    assert len(rows) == 1 + 5 + 1 and rows[-1][0] == NOTE
    assert sorted(r[0] for r in rows[1:-1]) == [f"王{n}" for n in range(3, 8)]  # the newest
    rows = _rows(login(agent).get("/customers/export.xlsx", {"q": "王1"}))
    assert [r[0] for r in rows[1:]] == ["王1"]


def test_the_units_export_of_a_capped_search_says_so(login, agent, data, many_wangs):
    for n, owner in enumerate(many_wangs):
        actions.unit_create(
            actor=agent, customer=owner, product_model=data["model"], serial=f"WG{n:05d}"
        )
    rows = _rows(login(agent).get("/units/export.xlsx", {"q": "王"}))
    assert len(rows) == 1 + 5 + 1 and rows[-1][0] == NOTE
    rows = _rows(login(agent).get("/units/export.xlsx", {"q": "王2"}))
    assert [r[0] for r in rows[1:]] == ["WG00002"]


def test_an_export_past_its_limit_says_so(login, agent, many_wangs, monkeypatch):
    from aftersales.web import customers as pages

    monkeypatch.setattr(pages, "EXPORT_LIMIT", 3)
    rows = _rows(login(agent).get("/customers/export.xlsx", {"q": "王1"}))  # one match
    assert len(rows) == 2
    rows = _rows(login(agent).get("/customers/export.xlsx"))  # ten customers
    assert len(rows) == 1 + 3 + 1 and rows[-1][0].startswith("仅导出了前 3 行")


def test_the_customers_and_units_apis_say_refine(api, agent, data, many_wangs):
    for n, owner in enumerate(many_wangs):
        actions.unit_create(
            actor=agent, customer=owner, product_model=data["model"], serial=f"WG{n:05d}"
        )
    for path in ("/customers", "/units"):
        body = api(agent).get(f"{path}?q=王&limit=2").json()
        assert len(body["items"]) == 2 and body["refine"] is True  # five in all, two a page
        body = api(agent).get(f"{path}?q=王1").json()
        assert len(body["items"]) == 1 and body["refine"] is False
        assert api(agent).get(path).json()["refine"] is False


def test_units_of_fewer_owners_than_the_cap_are_not_a_capped_search(
    login, api, agent, data, monkeypatch
):
    monkeypatch.setattr(selectors, "SHORT_NAME_CAP", 5)
    company = data["c1"].company
    for n in range(3):  # three owners, six units: more units than the cap, owners under it
        owner = Customer.objects.create(company=company, name=f"欧阳{n}", phone=f"1360000{n:04d}")
        for k in range(2):
            actions.unit_create(
                actor=agent, customer=owner, product_model=data["model"], serial=f"OY{n}{k}"
            )
    body = api(agent).get("/units?q=欧阳").json()
    assert len(body["items"]) == 6 and body["refine"] is False
    page = login(agent).get("/units/", {"q": "欧阳"}).content.decode()
    assert page.count("OY") >= 6 and 'data-testid="refine-search"' not in page
    rows = _rows(login(agent).get("/units/export.xlsx", {"q": "欧阳"}))
    assert len(rows) == 1 + 6 and rows[-1][0].startswith("OY")
