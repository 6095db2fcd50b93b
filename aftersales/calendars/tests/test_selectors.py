"""The working calendar as the pure clock's data: the default week, each kind of day in its
place, loaded years, one company's rows only (the per-process cache: test_calendar_cache.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.calendars.models import CalendarDay, CalendarYear, CompanyHours, DayKind
from aftersales.calendars.selectors import round_the_clock, work_calendar

pytestmark = pytest.mark.django_db

UNLOADED = 2019  # never among a new company's years
HOLIDAY = dt.date(2019, 10, 1)  # Tuesday
MAKE_UP = dt.date(2019, 9, 29)  # Sunday
CLOSURE = dt.date(2019, 10, 9)  # Wednesday
PLAIN_WEDNESDAY = dt.date(2019, 10, 16)


def add_days(company_id: int) -> None:
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(company_id=company_id, date=HOLIDAY, kind=DayKind.HOLIDAY, name="国庆节"),
            CalendarDay(company_id=company_id, date=MAKE_UP, kind=DayKind.MAKE_UP, name="国庆节"),
            CalendarDay(company_id=company_id, date=CLOSURE, kind=DayKind.CLOSURE, name="盘点"),
        ]
    )


def test_a_company_without_hours_works_nine_to_six_monday_to_friday(org_tree):
    calendar = work_calendar(org_tree["company"].pk)
    assert calendar.intervals == ((dt.time(9), dt.time(18)),)
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4})
    assert str(calendar.tz) == "Asia/Shanghai"


def test_empty_hours_fall_back_to_the_default_week(org_tree):
    CompanyHours.objects.create(company=org_tree["company"], intervals=[], weekdays=[])
    calendar = work_calendar(org_tree["company"].pk)
    assert calendar.intervals == ((dt.time(9), dt.time(18)),)
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4})


def test_the_companys_hours_are_read_as_times_and_weekdays(org_tree):
    CompanyHours.objects.create(
        company=org_tree["company"],
        intervals=[["08:00", "12:00"], ["13:30", "17:00"]],
        weekdays=[0, 2, 6],
    )
    calendar = work_calendar(org_tree["company"].pk)
    assert calendar.intervals == (
        (dt.time(8), dt.time(12)),
        (dt.time(13, 30), dt.time(17)),
    )
    assert calendar.weekdays == frozenset({0, 2, 6})


def test_each_kind_of_day_is_read_into_its_own_set(org_tree):
    company = org_tree["company"].pk
    add_days(company)
    calendar = work_calendar(company)
    assert HOLIDAY in calendar.days_off
    assert MAKE_UP in calendar.make_up_days
    assert CLOSURE in calendar.closures
    assert CLOSURE not in calendar.days_off
    assert HOLIDAY not in calendar.closures


def test_holidays_and_make_up_days_count_only_in_a_loaded_year(org_tree):
    company = org_tree["company"]
    add_days(company.pk)
    unloaded = work_calendar(company.pk)
    assert UNLOADED not in unloaded.loaded_years
    assert unloaded.is_working_day(HOLIDAY)
    assert not unloaded.is_working_day(MAKE_UP)
    assert not unloaded.is_working_day(CLOSURE)  # a closure counts in any year

    CalendarYear.objects.create(company=company, year=UNLOADED)

    loaded = work_calendar(company.pk)
    assert UNLOADED in loaded.loaded_years
    assert not loaded.is_working_day(HOLIDAY)
    assert loaded.is_working_day(MAKE_UP)
    assert not loaded.is_working_day(CLOSURE)
    assert loaded.is_working_day(PLAIN_WEDNESDAY)


def test_a_company_reads_only_its_own_days_years_and_hours(org_tree):
    other = org_tree["other"]
    add_days(other.pk)
    CalendarYear.objects.create(company=other, year=UNLOADED)
    CompanyHours.objects.create(company=other, intervals=[["10:00", "11:00"]], weekdays=[6])

    mine = work_calendar(org_tree["company"].pk)

    assert UNLOADED not in mine.loaded_years
    assert {HOLIDAY, MAKE_UP, CLOSURE}.isdisjoint(mine.days_off | mine.make_up_days | mine.closures)
    assert mine.intervals == ((dt.time(9), dt.time(18)),)
    assert work_calendar(other.pk).weekdays == frozenset({6})


def test_round_the_clock_works_every_day_all_day():
    calendar = round_the_clock()
    assert calendar.round_the_clock_mode
    assert calendar.weekdays == frozenset(range(7))
    assert calendar.is_working_day(dt.date(2025, 10, 1))
    assert calendar.is_working_day(dt.date(2025, 10, 4))  # a Saturday
