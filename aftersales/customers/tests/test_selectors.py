from aftersales.accounts.choices import Role
from aftersales.customers.selectors import customer_search, unit_search, units_visible_to


def test_station_user_sees_only_the_station(data, make_user):
    tech = make_user(Role.TECHNICIAN, station=data["s1"])
    assert list(units_visible_to(tech)) == [data["u1"]]


def test_regional_user_sees_only_the_region(data, make_user):
    regional = make_user(Role.AGENT, region=data["north"])
    assert list(units_visible_to(regional)) == [data["u2"]]


def test_company_user_sees_the_company_but_not_another(data, make_user, agent):
    assert set(units_visible_to(agent)) == {data["u1"], data["u2"]}
    outsider = make_user(Role.AGENT, company=data["other"])
    assert not units_visible_to(outsider).exists()


def test_unit_search_by_serial_prefix_case_insensitive(data, agent):
    assert set(unit_search(agent, "kf240100000")) == {data["u1"], data["u2"]}
    assert list(unit_search(agent, "KF2401000002")) == [data["u2"]]


def test_unit_search_by_owner_phone_and_name(data, agent):
    assert list(unit_search(agent, "1381234")) == [data["u1"]]
    assert list(unit_search(agent, "李")) == [data["u2"]]


def test_customer_search_by_phone_with_separators(data, agent):
    assert list(customer_search(agent, "139-8765")) == [data["c2"]]


def test_search_respects_scope(data, make_user):
    tech = make_user(Role.TECHNICIAN, station=data["s1"])
    assert not unit_search(tech, "KF2401000002").exists()
    assert not customer_search(tech, "李").exists()
