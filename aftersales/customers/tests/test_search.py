"""Searching as agents search: last four digits of a phone, a middle part of a serial, part
of a name, on both databases (SQLite: FTS5 trigram tables; PostgreSQL: trigram indexes)."""

import pytest

from aftersales.customers import actions
from aftersales.customers.search import ensure_search_structures
from aftersales.customers.selectors import customer_search, unit_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(data, agent):
    shop = actions.customer_create(
        actor=agent,
        name="杭州海川餐饮有限公司",
        phone="13900001234",
        station=data["s1"],
        address_line="杭州市西湖区文三路1号",
    )
    unit = actions.unit_create(
        actor=agent,
        customer=shop,
        product_model=data["model"],
        serial="HC2405887766",
    )
    return {"shop": shop, "unit": unit}


def _serials(qs):
    return sorted(qs.values_list("serial", flat=True))


def test_the_last_four_digits_of_a_phone_find_the_customer(shop, agent, data):
    assert list(customer_search(agent, "1234")) == [shop["shop"]]
    assert _serials(unit_search(agent, "1234")) == ["HC2405887766"]
    assert list(customer_search(agent, "5678")) == [data["c1"]]  # 13812345678


def test_a_phone_prefix_still_finds_the_customer(shop, agent, data):
    assert list(customer_search(agent, "1381234")) == [data["c1"]]


def test_a_middle_part_of_a_serial_finds_the_unit(shop, agent):
    assert _serials(unit_search(agent, "0588776")) == ["HC2405887766"]
    assert _serials(unit_search(agent, "hc24")) == ["HC2405887766"]  # any case, prefix
    assert _serials(unit_search(agent, "c24")) == ["HC2405887766"]  # three, with a letter
    assert _serials(unit_search(agent, "05887")) == ["HC2405887766"]  # five digits
    assert _serials(unit_search(agent, "8877")) == []  # four digits: the end of a phone


def test_a_part_of_a_name_finds_the_customer_and_its_units(shop, agent, data):
    assert list(customer_search(agent, "海川")) == [shop["shop"]]  # two characters: a scan
    assert list(customer_search(agent, "海川餐饮")) == [shop["shop"]]  # the substring index
    assert _serials(unit_search(agent, "海川餐")) == ["HC2405887766"]
    assert list(customer_search(agent, "张")) == [data["c1"]]  # one character: the surname


def test_search_keeps_the_users_scope(shop, make_user, data):
    from aftersales.accounts.choices import Role

    other_station = make_user(Role.TECHNICIAN, station=data["s2"])
    assert list(customer_search(other_station, "海川餐饮")) == []
    assert list(unit_search(other_station, "0588776")) == []


def test_renamed_and_deleted_rows_leave_the_substring_index(shop, agent):
    from aftersales.customers.models import InstalledUnit

    InstalledUnit.objects.filter(pk=shop["unit"].pk).update(serial="ZZ9900112233")
    assert _serials(unit_search(agent, "0588776")) == []
    assert _serials(unit_search(agent, "9001122")) == ["ZZ9900112233"]
    shop["unit"].orders.all().delete()
    InstalledUnit.objects.filter(pk=shop["unit"].pk).delete()
    assert _serials(unit_search(agent, "9001122")) == []


def test_the_structures_are_created_once(db):
    assert ensure_search_structures() is False  # migrate made them
