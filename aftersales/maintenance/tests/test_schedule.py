"""Maintenance schedules (pure): whichever first, tiers, last done, calendar, horizon, window."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.customers.meters import Reading
from aftersales.maintenance import schedule as s

START = dt.date(2026, 1, 5)  # a Monday

# A WP12-style engine plan: first at 50 h or 30 days; then every 300 h or 6 months; the
# services at 600 / 1500 / 3000 / 6000 h are bigger levels (ids 600.. below).
FIRST = s.Rule(key=1, kind=s.FIRST, days=30, meter=D(50), base_level=10)
PERIODIC = s.Rule(
    key=2,
    kind=s.PERIODIC,
    months=6,
    meter=D(300),
    base_level=20,
    tiers=(
        s.Tier(key=600, at=D(600)),
        s.Tier(key=1500, at=D(1500)),
        s.Tier(key=3000, at=D(3000)),
        s.Tier(key=6000, at=D(6000)),
    ),
)
WP12 = [FIRST, PERIODIC]
PLAIN = s.Timing(window_days=0, horizon_days=0)


def hours(*points: tuple[dt.date, int]) -> list[Reading]:
    return [Reading(on=d, value=D(v), seq=i) for i, (d, v) in enumerate(points)]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("readings", "due_on", "by"),
    [
        # No readings: only the calendar can tell: 30 days after installation.
        ([], START + days(30), s.BY_DAYS),
        # 10 h a day: 50 h on day 5, well before day 30: the meter comes first.
        (hours((START, 0), (START + days(2), 20)), START + days(5), s.BY_METER),
        # 1 h a day: 50 h only on day 50: the date comes first.
        (hours((START, 0), (START + days(10), 10)), START + days(30), s.BY_DAYS),
        # The meter already passed 50 h at a reading: due that day.
        (hours((START, 0), (START + days(3), 60)), START + days(3), s.BY_METER),
        # A single reading gives no rate: the date decides.
        (hours((START + days(1), 40)), START + days(30), s.BY_DAYS),
        # Exactly the same day: the meter is named.
        (hours((START, 0), (START + days(15), 25)), START + days(30), s.BY_METER),
    ],
)
def test_first_service_whichever_comes_first(readings, due_on, by):
    due = s.next_due(WP12, s.UnitFacts(start=START, readings=readings), PLAIN)
    assert due is not None
    assert (due.seq, due.rule, due.level, due.on, due.by) == (1, 1, 10, due_on, by)
    assert due.meter_at == D(50)


@pytest.mark.parametrize(
    ("seq_in_rule", "level"),
    [
        (1, 20),  # 300 h: base level
        (2, 600),  # 600 h
        (3, 20),  # 900 h
        (4, 600),  # 1200 h
        (5, 1500),  # 1500 h
        (6, 600),  # 1800 h
        (10, 3000),  # 3000 h: 600, 1500 and 3000 divide it; the biggest wins
        (15, 1500),  # 4500 h
        (20, 6000),  # 6000 h
        (40, 6000),  # 12000 h
    ],
)
def test_tiered_levels(seq_in_rule, level):
    assert s.level_for(PERIODIC, seq_in_rule) == level


def test_tiers_by_nth_service_without_a_meter():
    rule = s.Rule(
        key=3,
        kind=s.PERIODIC,
        months=3,
        base_level=1,
        tiers=(s.Tier(key=2, nth=2), s.Tier(key=4, nth=4)),
    )
    assert [s.level_for(rule, k) for k in range(1, 9)] == [1, 2, 1, 4, 1, 2, 1, 4]


def test_periodic_counts_from_the_last_done_service_not_the_plan_start():
    on_time = s.UnitFacts(start=START, last_done=s.Done(seq=1, on=dt.date(2026, 2, 4), meter=D(50)))
    late = s.UnitFacts(start=START, last_done=s.Done(seq=1, on=dt.date(2026, 3, 20), meter=D(50)))
    due_on_time = s.next_due(WP12, on_time, PLAIN)
    due_late = s.next_due(WP12, late, PLAIN)
    assert due_on_time is not None and due_late is not None
    assert due_on_time.on == dt.date(2026, 8, 4)
    assert due_late.on == dt.date(2026, 9, 20)  # a Sunday, kept: working days not asked
    working = s.next_due(WP12, late, s.Timing(window_days=0, working_days_only=True))
    assert working is not None and working.on == dt.date(2026, 9, 21)
    assert (due_late.seq, due_late.rule, due_late.level, due_late.meter_at) == (2, 2, 20, D(350))


def test_periodic_meter_counts_from_the_meter_of_the_last_done_service():
    # Done at 80 h (late), 5 h a day since: due at 380 h, 60 days after the last reading.
    readings = hours((START, 0), (START + days(16), 80))
    facts = s.UnitFacts(
        start=START, readings=readings, last_done=s.Done(seq=1, on=START + days(16), meter=D(80))
    )
    due = s.next_due(WP12, facts, PLAIN)
    assert due is not None
    assert (due.by, due.meter_at, due.on) == (s.BY_METER, D(380), START + days(16 + 60))


def test_a_done_service_without_a_reading_takes_the_meter_known_then():
    readings = hours((START, 0), (START + days(10), 100))  # 10 h a day
    facts = s.UnitFacts(start=START, readings=readings, last_done=s.Done(seq=1, on=START + days(5)))
    due = s.next_due(WP12, facts, PLAIN)
    assert due is not None
    # The meter on day 5 is the last reading on or before it (0 h; not interpolated) + 300.
    assert due.meter_at == D(300)
    assert due.on == START + days(30)


def test_second_periodic_service_is_the_600_hour_level():
    facts = s.UnitFacts(start=START, last_done=s.Done(seq=2, on=dt.date(2026, 8, 4), meter=D(350)))
    due = s.next_due(WP12, facts, PLAIN)
    assert due is not None and (due.seq, due.level) == (3, 600)


def test_a_new_reading_moves_the_projected_date():
    slow = hours((START, 0), (START + days(10), 20))  # 2 h a day: 50 h on day 25
    fast = [*slow, Reading(on=START + days(12), value=D(44), seq=9)]  # 12 h a day since
    before = s.next_due(WP12, s.UnitFacts(start=START, readings=slow), PLAIN)
    after = s.next_due(WP12, s.UnitFacts(start=START, readings=fast), PLAIN)
    assert before is not None and after is not None
    assert before.on == START + days(25)
    assert after.on < before.on
    assert after.by == s.BY_METER


@pytest.mark.parametrize(
    ("timing", "due_on"),
    [
        # 4 February 2026 is a Wednesday.
        (s.Timing(), dt.date(2026, 2, 4)),
        (s.Timing(working_days_only=True), dt.date(2026, 2, 4)),
        # February and March are blackout months: the first of April (a Wednesday).
        (s.Timing(blackout_months=frozenset({2, 3})), dt.date(2026, 4, 1)),
        # Blackout then a weekend: 1 August 2026 is a Saturday -> Monday 3 August.
        (
            s.Timing(blackout_months=frozenset({2, 3, 4, 5, 6, 7}), working_days_only=True),
            dt.date(2026, 8, 3),
        ),
        # Every month blacked out: the date is kept (nothing else to do).
        (s.Timing(blackout_months=frozenset(range(1, 13))), dt.date(2026, 2, 4)),
    ],
)
def test_calendar_adjustments(timing, due_on):
    due = s.next_due(WP12, s.UnitFacts(start=START), timing)
    assert due is not None and due.on == due_on and due.calendar_on == dt.date(2026, 2, 4)


def test_working_days_follow_the_company_calendar():
    holidays = {dt.date(2026, 2, 4), dt.date(2026, 2, 5)}
    due = s.next_due(
        WP12,
        s.UnitFacts(start=START),
        s.Timing(working_days_only=True),
        is_working=lambda d: d.weekday() < 5 and d not in holidays,
    )
    assert due is not None and due.on == dt.date(2026, 2, 6)


@pytest.mark.parametrize(
    ("n", "weekday", "last_done", "due_on"),
    [
        # Every 3 months on the second Tuesday: done 2026-01-20 -> April -> 14 April.
        (2, 1, dt.date(2026, 1, 20), dt.date(2026, 4, 14)),
        # The last Friday: done 2026-01-31 -> 30 April (the 30th is a Thursday -> 24th).
        (-1, 4, dt.date(2026, 1, 31), dt.date(2026, 4, 24)),
        # A fifth Monday that April lacks: the last Monday (27 April).
        (5, 0, dt.date(2026, 1, 2), dt.date(2026, 4, 27)),
    ],
)
def test_nth_weekday(n, weekday, last_done, due_on):
    rule = s.Rule(key=5, kind=s.PERIODIC, months=3, nth_weekday=(n, weekday))
    facts = s.UnitFacts(start=START, last_done=s.Done(seq=1, on=last_done))
    due = s.next_due([rule], facts, PLAIN)
    assert due is not None and due.on == due_on


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        (dt.date(2026, 12, 1), 12, dt.date(2027, 12, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert s.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("today", "window", "horizon", "open_order", "create"),
    [
        # Due 2026-02-04, window ± 7 days opens 28 January.
        (dt.date(2026, 1, 1), 7, 14, False, False),  # opens in 27 days, horizon 14
        (dt.date(2026, 1, 14), 7, 14, False, True),  # opens exactly at the horizon
        (dt.date(2026, 1, 13), 7, 14, False, False),
        (dt.date(2026, 1, 28), 7, 0, False, True),  # no look-ahead: the window's first day
        (dt.date(2026, 3, 1), 7, 0, False, True),  # overdue: still created
        (dt.date(2026, 1, 28), 7, 0, True, False),  # one is open: never a second
        (dt.date(2026, 2, 4), 0, 0, False, True),
        (dt.date(2026, 2, 3), 0, 0, False, False),
    ],
)
def test_horizon_window_and_open_orders(today, window, horizon, open_order, create):
    timing = s.Timing(window_days=window, horizon_days=horizon)
    due = s.next_due(WP12, s.UnitFacts(start=START), timing)
    assert due is not None
    assert (due.window_start, due.window_end) == (
        dt.date(2026, 2, 4) - days(window),
        dt.date(2026, 2, 4) + days(window),
    )
    assert s.should_create(due, today=today, timing=timing, open_order=open_order) is create


def test_nothing_to_project_without_a_start_or_a_rate():
    assert s.next_due(WP12, s.UnitFacts(start=None), PLAIN) is None
    only_meter = s.Rule(key=1, kind=s.FIRST, meter=D(50))
    assert s.next_due([only_meter], s.UnitFacts(start=START), PLAIN) is None


def test_a_plan_without_a_first_rule_starts_periodic_from_the_start():
    due = s.next_due([PERIODIC], s.UnitFacts(start=START), PLAIN)
    assert due is not None
    assert (due.seq, due.level, due.on, due.meter_at) == (1, 20, dt.date(2026, 7, 5), D(300))


def test_upcoming_lists_the_levels_in_order():
    readings = hours((START, 0), (START + days(10), 100))  # 10 h a day
    plan = s.upcoming(WP12, s.UnitFacts(start=START, readings=readings), PLAIN, count=6)
    assert [d.seq for d in plan] == [1, 2, 3, 4, 5, 6]
    assert [d.level for d in plan] == [10, 20, 600, 20, 600, 1500]
    assert [d.meter_at for d in plan] == [D(50), D(350), D(650), D(950), D(1250), D(1550)]
    assert all(a.on < b.on for a, b in zip(plan, plan[1:], strict=False))


dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


@given(
    start=dates,
    gap=st.integers(min_value=0, max_value=400),
    rate=st.integers(min_value=0, max_value=40),
    months=st.integers(min_value=1, max_value=24),
    interval=st.integers(min_value=1, max_value=2000),
)
def test_whichever_first_is_never_later_than_either(start, gap, rate, months, interval):
    rule = s.Rule(key=1, kind=s.PERIODIC, months=months, meter=D(interval))
    readings = [Reading(on=start, value=D(0), seq=0)]
    if gap:
        readings.append(Reading(on=start + days(gap), value=D(rate * gap), seq=1))
    facts = s.UnitFacts(start=start, readings=readings)
    due = s.next_due([rule], facts, PLAIN)
    assert due is not None
    assert due.calendar_on is not None
    assert due.on <= due.calendar_on
    if due.meter_on is not None:
        assert due.on <= due.meter_on
        assert due.on == min(due.calendar_on, due.meter_on)


@given(
    start=dates,
    months=st.integers(min_value=1, max_value=24),
    done_a=st.integers(min_value=0, max_value=500),
    delay=st.integers(min_value=0, max_value=500),
    blackout=st.frozensets(st.integers(min_value=1, max_value=12), max_size=11),
    working=st.booleans(),
)
def test_a_later_service_never_brings_the_next_one_forward(
    start, months, done_a, delay, blackout, working
):
    rule = s.Rule(key=1, kind=s.PERIODIC, months=months)
    timing = s.Timing(blackout_months=blackout, working_days_only=working)
    early = s.UnitFacts(start=start, last_done=s.Done(seq=1, on=start + days(done_a)))
    late = s.UnitFacts(start=start, last_done=s.Done(seq=1, on=start + days(done_a + delay)))
    a = s.next_due([rule], early, timing)
    b = s.next_due([rule], late, timing)
    assert a is not None and b is not None
    assert a.on <= b.on
    assert a.on.month not in blackout
    if working:
        assert a.on.weekday() < 5
    assert a.on >= a.calendar_on  # adjustments only move forward


@given(
    seq=st.integers(min_value=1, max_value=500),
)
def test_the_level_is_the_largest_tier_dividing_the_position(seq):
    level = s.level_for(PERIODIC, seq)
    position = 300 * seq
    dividing = [t for t in (600, 1500, 3000, 6000) if position % t == 0]
    assert level == (max(dividing) if dividing else 20)


@given(
    today=dates,
    window=st.integers(min_value=0, max_value=60),
    horizon=st.integers(min_value=0, max_value=120),
)
def test_an_open_order_always_blocks_and_a_longer_horizon_never_unblocks_less(
    today, window, horizon
):
    timing = s.Timing(window_days=window, horizon_days=horizon)
    longer = s.Timing(window_days=window, horizon_days=horizon + 1)
    due = s.next_due(WP12, s.UnitFacts(start=START), timing)
    assert due is not None
    assert not s.should_create(due, today=today, timing=timing, open_order=True)
    if s.should_create(due, today=today, timing=timing, open_order=False):
        assert s.should_create(due, today=today, timing=longer, open_order=False)
