"""Scope: which rows each kind of user sees, and `in_scope` agreeing with `scope` row by row.

The people: company-wide (admin, agent), regional (a service manager in the east, a dispatcher
in the north), station people (a technician at s1, a station manager at s2), an office role tied
to a station (a dispatcher at s1), a technician who lost their station, another company's admin
and technician, a user of no company, an anonymous visitor and no user at all.

The rows are users themselves (they carry company, region and station), some of them in shapes
`user_create` would not make (no region, a region that is not the station's), because the
selectors judge the fields as they are.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.accounts.selectors import (
    in_scope,
    regions_visible_to,
    scope,
    stations_visible_to,
    technicians_visible_to,
)

PEOPLE = [
    "admin",
    "agent",
    "regional_east",
    "regional_north",
    "tech_s1",
    "manager_s2",
    "dispatcher_at_s1",
    "stationless_tech",
    "other_admin",
    "other_tech",
    "no_company",
    "anonymous",
    "nobody",
]


@pytest.fixture
def world(org_tree, make_user) -> dict[str, Any]:
    t = dict(org_tree)
    t["s3"] = org.station_create(actor=None, region=t["east"], name="杭州一站", code="hz-1")
    t["os"] = org.station_create(actor=None, region=t["other_region"], name="别家站", code="o-1")
    stationless = make_user(Role.TECHNICIAN, station=t["s1"])
    # A technician whose station was taken away (keeps the east region).
    User.objects.filter(pk=stationless.pk).update(station=None)
    stationless.refresh_from_db()
    people: dict[str, Any] = {
        "admin": make_user(Role.ADMIN),
        "agent": make_user(Role.AGENT),
        "regional_east": make_user(Role.SERVICE_MANAGER, region=t["east"]),
        "regional_north": make_user(Role.DISPATCHER, region=t["north"]),
        "tech_s1": make_user(Role.TECHNICIAN, station=t["s1"]),
        "manager_s2": make_user(Role.STATION_MANAGER, station=t["s2"]),
        "dispatcher_at_s1": make_user(Role.DISPATCHER, station=t["s1"]),
        "stationless_tech": stationless,
        "other_admin": make_user(Role.ADMIN, company=t["other"]),
        "other_tech": make_user(Role.TECHNICIAN, company=t["other"], station=t["os"]),
        "no_company": User.objects.create_user(
            username="loose", password="pw-for-tests-1", role=Role.ADMIN
        ),
        "anonymous": AnonymousUser(),
        "nobody": None,
    }
    company, other = t["company"], t["other"]
    east, north, xr = t["east"], t["north"], t["other_region"]
    shapes = {
        "r_company": (company, None, None),
        "r_east": (company, east, None),
        "r_east_s1": (company, east, t["s1"]),
        "r_east_s3": (company, east, t["s3"]),
        "r_north_s2": (company, north, t["s2"]),
        "r_s1_no_region": (company, None, t["s1"]),
        "r_north_s1": (company, north, t["s1"]),  # region and station disagree
        "r_other": (other, xr, t["os"]),
        "r_other_bare": (other, None, None),
        "r_no_company": (None, None, None),
    }
    rows = {
        name: User.objects.create(username=name, company=c, region=r, station=s)
        for name, (c, r, s) in shapes.items()
    }
    return {**t, "people": people, "rows": rows}


COMPANY_ROWS = {
    "r_company",
    "r_east",
    "r_east_s1",
    "r_east_s3",
    "r_north_s2",
    "r_s1_no_region",
    "r_north_s1",
}
AT_S1 = {"r_east_s1", "r_s1_no_region", "r_north_s1"}

# Default fields (company, region, station): which rows each person sees.
EXPECTED_ROWS = {
    "admin": COMPANY_ROWS,
    "agent": COMPANY_ROWS,
    "regional_east": {"r_east", "r_east_s1", "r_east_s3"},
    "regional_north": {"r_north_s2", "r_north_s1"},
    "tech_s1": AT_S1,
    "manager_s2": {"r_north_s2"},
    "dispatcher_at_s1": AT_S1,
    "stationless_tech": set(),
    "other_admin": {"r_other", "r_other_bare"},
    "other_tech": {"r_other"},
    "no_company": set(),
    "anonymous": set(),
    "nobody": set(),
}

EXPECTED_STATIONS = {
    "admin": {"s1", "s2", "s3"},
    "agent": {"s1", "s2", "s3"},
    "regional_east": {"s1", "s3"},
    "regional_north": {"s2"},
    "tech_s1": {"s1"},
    "manager_s2": {"s2"},
    "dispatcher_at_s1": {"s1"},
    "stationless_tech": set(),
    "other_admin": {"os"},
    "other_tech": {"os"},
    "no_company": set(),
    "anonymous": set(),
    "nobody": set(),
}

EXPECTED_REGIONS = {
    "admin": {"east", "north"},
    "agent": {"east", "north"},
    "regional_east": {"east"},
    "regional_north": {"north"},
    "tech_s1": {"east"},
    "manager_s2": {"north"},
    "dispatcher_at_s1": {"east"},
    "stationless_tech": set(),
    "other_admin": {"other_region"},
    "other_tech": {"other_region"},
    "no_company": set(),
    "anonymous": set(),
    "nobody": set(),
}

STATION_KEYS = ("s1", "s2", "s3", "os")
REGION_KEYS = ("east", "north", "other_region")


def row_names(world, qs) -> set[str]:
    by_pk = {row.pk: name for name, row in world["rows"].items()}
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


def all_rows(world):
    return User.objects.filter(pk__in=[r.pk for r in world["rows"].values()])


# --- scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_scope_shows_each_person_the_rows_of_their_company_region_or_station(world, who):
    user = world["people"][who]
    assert row_names(world, scope(user, all_rows(world))) == EXPECTED_ROWS[who]


@pytest.mark.parametrize("who", PEOPLE)
def test_in_scope_judges_each_row_as_scope_does(world, who):
    user = world["people"][who]
    seen = {name for name, row in world["rows"].items() if in_scope(user, row)}
    assert seen == EXPECTED_ROWS[who]


FIELD_CHOICES = {
    "defaults": {},
    "no-region-field": {"region_field": None},
    "no-station-field": {"station_field": None},
    "neither": {"region_field": None, "station_field": None},
}


@pytest.mark.parametrize("fields", FIELD_CHOICES.values(), ids=FIELD_CHOICES.keys())
@pytest.mark.parametrize("who", PEOPLE)
def test_in_scope_agrees_with_scope_for_every_row(world, who, fields):
    user = world["people"][who]
    for name, row in world["rows"].items():
        in_query = scope(user, User.objects.all(), **fields).filter(pk=row.pk).exists()
        assert in_scope(user, row, **fields) is in_query, name


def test_without_a_region_field_regional_people_see_nothing_and_others_are_unchanged(world):
    people, rows = world["people"], all_rows(world)
    for who in ("regional_east", "regional_north"):
        assert not scope(people[who], rows, region_field=None).exists()
    for who in ("admin", "tech_s1", "dispatcher_at_s1", "other_admin"):
        seen = row_names(world, scope(people[who], rows, region_field=None))
        assert seen == EXPECTED_ROWS[who], who


def test_without_a_station_field_station_people_see_nothing_and_others_are_unchanged(world):
    people, rows = world["people"], all_rows(world)
    for who in ("tech_s1", "manager_s2", "dispatcher_at_s1", "other_tech"):
        assert not scope(people[who], rows, station_field=None).exists()
    for who in ("admin", "regional_east", "other_admin"):
        seen = row_names(world, scope(people[who], rows, station_field=None))
        assert seen == EXPECTED_ROWS[who], who


def test_scope_follows_other_field_names(world, data):
    # Customers: c1 is served by s1 (east), c2 by s2 (north).
    from aftersales.customers.models import Customer

    people = world["people"]
    customers = Customer.objects.filter(pk__in=[data["c1"].pk, data["c2"].pk])
    by_station = scope(people["tech_s1"], customers, station_field="station")
    assert list(by_station) == [data["c1"]]
    through_station = scope(
        people["regional_north"], customers, region_field="station__region"
    ).values_list("pk", flat=True)
    assert list(through_station) == [data["c2"].pk]
    assert not scope(people["other_admin"], customers).exists()


def test_in_scope_reads_the_loaded_row_without_a_query(world, django_assert_num_queries):
    people, row = world["people"], world["rows"]["r_east_s1"]
    with django_assert_num_queries(0):
        assert in_scope(people["regional_east"], row)
        assert in_scope(people["tech_s1"], row)
        assert not in_scope(people["manager_s2"], row)
        assert not in_scope(people["anonymous"], row)


def test_an_inactive_users_scope_is_still_their_station(world):
    # Signing in is refused elsewhere (`has_perm`, the token check); scope is about rows.
    tech = world["people"]["tech_s1"]
    User.objects.filter(pk=tech.pk).update(is_active=False)
    tech.refresh_from_db()
    assert row_names(world, scope(tech, all_rows(world))) == AT_S1


# --- stations and regions --------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_stations_visible_to(world, who):
    by_pk = {world[k].pk: k for k in STATION_KEYS}
    seen = {by_pk[s.pk] for s in stations_visible_to(world["people"][who])}
    assert seen == EXPECTED_STATIONS[who]


@pytest.mark.parametrize("who", PEOPLE)
def test_stations_visible_to_agrees_with_in_scope_on_the_station_itself(world, who):
    # A station is its own station: judge it as a row whose station is itself.
    user = world["people"][who]
    visible = set(stations_visible_to(user).values_list("pk", flat=True))
    for key in STATION_KEYS:
        station = world[key]
        row: Any = SimpleNamespace(
            company_id=station.company_id, region_id=station.region_id, station_id=station.pk
        )
        assert in_scope(user, row) is (station.pk in visible), key


@pytest.mark.parametrize("who", PEOPLE)
def test_regions_visible_to(world, who):
    by_pk = {world[k].pk: k for k in REGION_KEYS}
    found = list(regions_visible_to(world["people"][who]))
    assert len(found) == len({r.pk for r in found}), "a region is listed once"
    assert {by_pk[r.pk] for r in found} == EXPECTED_REGIONS[who]


def test_a_station_person_sees_the_region_of_their_station_not_their_own_field(world):
    # The user's region field says north, the station is in the east: the station decides.
    tech = world["people"]["tech_s1"]
    User.objects.filter(pk=tech.pk).update(region=world["north"])
    tech.refresh_from_db()
    assert list(regions_visible_to(tech)) == [world["east"]]
    assert list(stations_visible_to(tech)) == [world["s1"]]


def test_a_region_with_several_stations_is_listed_once_for_its_people(world):
    # east has s1 and s3.
    assert list(regions_visible_to(world["people"]["regional_east"])) == [world["east"]]
    assert list(regions_visible_to(world["people"]["admin"])).count(world["east"]) == 1


def test_inactive_stations_are_still_visible(world):
    world["s3"].is_active = False
    world["s3"].save(update_fields=["is_active"])
    assert world["s3"] in stations_visible_to(world["people"]["regional_east"])


# --- technicians -----------------------------------------------------------------------------


def test_technicians_visible_to_follow_the_stations_visible(world, make_user):
    people = world["people"]
    tech_s2 = make_user(Role.TECHNICIAN, station=world["s2"])
    tech_s3 = make_user(Role.TECHNICIAN, station=world["s3"])
    expected = {
        "admin": {people["tech_s1"], tech_s2, tech_s3},
        "regional_east": {people["tech_s1"], tech_s3},
        "regional_north": {tech_s2},
        "tech_s1": {people["tech_s1"]},
        "manager_s2": {tech_s2},
        "dispatcher_at_s1": {people["tech_s1"]},
        "stationless_tech": set(),
        "other_admin": {people["other_tech"]},
        "no_company": set(),
        "anonymous": set(),
        "nobody": set(),
    }
    for who, techs in expected.items():
        assert set(technicians_visible_to(people[who])) == techs, who


def test_technicians_visible_to_lists_only_technicians(world):
    # s1 also has a dispatcher and (in the fixture's rows) plain users; none is a technician.
    seen = technicians_visible_to(world["people"]["admin"])
    assert set(seen.values_list("role", flat=True)) == {Role.TECHNICIAN}
    assert world["people"]["dispatcher_at_s1"] not in seen
    assert world["people"]["stationless_tech"] not in seen
