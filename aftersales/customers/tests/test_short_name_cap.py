"""A one- or two-character name (a surname, a short name) collects at most SHORT_NAME_CAP
customers, and the lists ask to refine the search."""

from __future__ import annotations

import pytest

from aftersales.customers import selectors
from aftersales.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_wangs(data, monkeypatch):
    monkeypatch.setattr(selectors, "SHORT_NAME_CAP", 5)
    company = data["c1"].company
    Customer.objects.bulk_create(
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
