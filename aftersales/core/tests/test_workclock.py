"""The working-time clock: a table of cases (including 2025's National Day and 调休), and
Hypothesis properties."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.core.holidays import statutory_schedule
from aftersales.core.workclock import (
    NoWorkingTime,
    WorkCalendar,
    add_working_time,
    is_working_time,
    working_time_between,
)

TZ = ZoneInfo("Asia/Shanghai")


def china(*years, intervals=((dt.time(9), dt.time(18)),), loaded=None):
    off, work = set(), set()
    for year in years:
        o, w = statutory_schedule(year)
        off |= set(o)
        work |= set(w)
    return WorkCalendar(
        intervals=intervals,
        days_off=frozenset(off),
        make_up_days=frozenset(work),
        loaded_years=frozenset(loaded if loaded is not None else years),
    )


CAL = china(2024, 2025, 2026)
LUNCH = china(2025, intervals=((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18))))


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


H = dt.timedelta(hours=1)

CASES = [
    # (name, calendar, start, duration, expected due)
    (
        "DOMAIN.md: Tue 30 Sep 16:00 + 12 h skips 1-8 Oct",
        CAL,
        at(2025, 9, 30, 16),
        12 * H,
        at(2025, 10, 10, 10),
    ),
    ("make-up Sunday 28 Sep counts", CAL, at(2025, 9, 26, 16), 12 * H, at(2025, 9, 29, 10)),
    ("make-up Saturday 11 Oct counts", CAL, at(2025, 10, 10, 17), 2 * H, at(2025, 10, 11, 10)),
    ("plain weekend skipped", CAL, at(2025, 11, 14, 17), 2 * H, at(2025, 11, 17, 10)),
    ("inside one day", CAL, at(2025, 11, 12, 9, 30), 2 * H, at(2025, 11, 12, 11, 30)),
    ("ends exactly at closing", CAL, at(2025, 11, 12, 16), 2 * H, at(2025, 11, 12, 18)),
    ("start before opening", CAL, at(2025, 11, 12, 6), 1 * H, at(2025, 11, 12, 10)),
    ("start after closing", CAL, at(2025, 11, 12, 20), 1 * H, at(2025, 11, 13, 10)),
    ("start on a holiday", CAL, at(2025, 10, 3, 11), 1 * H, at(2025, 10, 9, 10)),
    (
        "start in UTC is converted",
        CAL,
        dt.datetime(2025, 11, 12, 1, tzinfo=dt.UTC),
        1 * H,
        at(2025, 11, 12, 10),
    ),
    (
        "2 working hours from Friday evening (urgent response)",
        CAL,
        at(2025, 11, 14, 17, 30),
        2 * H,
        at(2025, 11, 17, 10, 30),
    ),
    ("Spring Festival 2026", CAL, at(2026, 2, 13, 17), 2 * H, at(2026, 2, 14, 10)),
    ("lunch break skipped", LUNCH, at(2025, 11, 12, 11), 2 * H, at(2025, 11, 12, 14)),
    (
        "lunch break: start inside the break",
        LUNCH,
        at(2025, 11, 12, 12, 30),
        1 * H,
        at(2025, 11, 12, 14),
    ),
    (
        "zero duration returns the start",
        CAL,
        at(2025, 10, 3, 11),
        dt.timedelta(0),
        at(2025, 10, 3, 11),
    ),
    (
        "24x7 clock counts every hour",
        WorkCalendar.round_the_clock(),
        at(2025, 9, 30, 16),
        24 * H,
        at(2025, 10, 1, 16),
    ),
    (
        "24x7 clock across midnight",
        WorkCalendar.round_the_clock(),
        at(2025, 9, 30, 23, 30),
        1 * H,
        at(2025, 10, 1, 0, 30),
    ),
]


@pytest.mark.parametrize(
    ("name", "cal", "start", "duration", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_add_working_time(name, cal, start, duration, expected):
    result = add_working_time(cal, start, duration)
    assert result.value == expected
    assert not result.provisional


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2025, 9, 30, 16), at(2025, 10, 10, 10), 12 * H),
        (at(2025, 9, 26, 16), at(2025, 9, 29, 10), 12 * H),
        (at(2025, 10, 1, 0), at(2025, 10, 8, 23), dt.timedelta(0)),
        (at(2025, 11, 12, 10), at(2025, 11, 12, 9), dt.timedelta(0)),
        (at(2025, 11, 10, 0), at(2025, 11, 17, 0), 45 * H),
    ],
)
def test_working_time_between(start, end, expected):
    assert working_time_between(CAL, start, end).duration == expected


def test_a_year_without_a_schedule_uses_the_weekly_pattern_and_is_provisional():
    cal = china(2025)  # 2026 not loaded: its holidays are ignored, weekdays are worked
    result = add_working_time(cal, at(2025, 12, 31, 17), 2 * H)
    assert result.value == at(2026, 1, 1, 10)  # New Year's Day 2026 treated as a working day
    assert result.provisional
    loaded = add_working_time(china(2025, 2026), at(2025, 12, 31, 17), 2 * H)
    # 1-3 January 2026 are off and Sunday 4 January is a make-up working day
    assert loaded.value == at(2026, 1, 4, 10) and not loaded.provisional


def test_within_a_loaded_year_nothing_is_provisional():
    assert not working_time_between(CAL, at(2025, 1, 1, 0), at(2025, 12, 31, 23)).provisional
    assert working_time_between(china(2025), at(2025, 12, 30, 0), at(2026, 1, 6, 0)).provisional


def test_company_closure_is_a_day_off():
    closed = WorkCalendar(days_off=frozenset({dt.date(2025, 11, 12)}))
    assert add_working_time(closed, at(2025, 11, 11, 17), 2 * H).value == at(2025, 11, 13, 10)


def test_calendar_without_working_days_is_refused():
    never = WorkCalendar(weekdays=frozenset())
    with pytest.raises(NoWorkingTime):
        add_working_time(never, at(2025, 11, 11, 17), H)


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError):
        add_working_time(CAL, dt.datetime(2025, 11, 11, 17), H)
    with pytest.raises(ValueError):
        add_working_time(CAL, at(2025, 11, 11, 17), -H)


starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 6, 30), timezones=st.just(TZ)
)
durations = st.integers(min_value=1, max_value=200 * 60).map(lambda m: dt.timedelta(minutes=m))
calendars = st.sampled_from(
    [CAL, LUNCH, WorkCalendar.round_the_clock(), china(2024, loaded=[2024])]
)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=starts, duration=durations)
def test_adding_then_measuring_gives_back_the_duration(cal, start, duration):
    due = add_working_time(cal, start, duration).value
    assert working_time_between(cal, start, due).duration == duration


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=starts, duration=durations)
def test_results_fall_inside_working_time(cal, start, duration):
    due = add_working_time(cal, start, duration).value
    assert is_working_time(cal, due)
    assert due > start


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=starts, a=durations, b=durations)
def test_adding_in_two_steps_equals_adding_once(cal, start, a, b):
    once = add_working_time(cal, start, a + b).value
    twice = add_working_time(cal, add_working_time(cal, start, a).value, b).value
    assert once == twice


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=starts, a=durations, b=durations)
def test_more_time_never_ends_earlier(cal, start, a, b):
    short, long = sorted([a, b])
    assert add_working_time(cal, start, short).value <= add_working_time(cal, start, long).value
