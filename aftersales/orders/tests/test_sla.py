"""The pure service-level core: policy selection, the clock with pauses, escalation moments."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.core.workclock import WorkCalendar, add_working_time, working_time_between
from aftersales.orders.sla import (
    DEFAULT_RULES,
    Goal,
    Pause,
    PolicyRule,
    plan_targets,
    run_clock,
    select_policy,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar(
    days_off=frozenset(dt.date(2025, 10, d) for d in range(1, 9)),
    make_up_days=frozenset({dt.date(2025, 9, 28), dt.date(2025, 10, 11)}),
    loaded_years=frozenset({2025}),
)
H = dt.timedelta(hours=1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def rule(id: int, **kw: object) -> PolicyRule:
    return PolicyRule(id, f"r{id}", {"respond": Goal(60)}, **kw)  # type: ignore[arg-type]


def test_defaults_follow_domain_rules():
    high = select_policy(DEFAULT_RULES, priority="high", service_type="repair", region_id=None)
    medium = select_policy(DEFAULT_RULES, priority="medium", service_type="repair", region_id=None)
    assert high is not None and medium is not None
    assert high.goals["respond"] == Goal(120, "working")
    assert high.goals["resolve"] == Goal(24 * 60, "calendar")
    assert medium.goals["respond"] == Goal(12 * 60, "working")


def test_most_specific_policy_wins():
    rules = [
        rule(1),
        rule(2, priority="high"),
        rule(3, priority="high", service_type="repair"),
        rule(4, region_id=7),
        rule(5, contract_level="gold"),
    ]
    pick = lambda **kw: select_policy(rules, **kw).id  # noqa: E731
    assert pick(priority="low", service_type="repair", region_id=None) == 1
    assert pick(priority="high", service_type="install", region_id=None) == 2
    assert pick(priority="high", service_type="repair", region_id=None) == 3
    assert pick(priority="high", service_type="repair", region_id=7) == 4
    assert pick(priority="high", service_type="repair", region_id=7, contract_level="gold") == 5


def test_equally_specific_policies_go_by_rank_then_id():
    rules = [
        rule(2, priority="high", rank=50),
        rule(1, priority="high", rank=50),
        rule(3, priority="high", rank=10),
    ]
    assert select_policy(rules, priority="high", service_type="x", region_id=None).id == 3
    rules = rules[:2]
    assert select_policy(rules, priority="high", service_type="x", region_id=None).id == 1


def test_no_matching_policy_gives_none():
    assert (
        select_policy([rule(1, priority="high")], priority="low", service_type="x", region_id=None)
        is None
    )


def test_clock_without_pauses_is_the_working_clock():
    # DOMAIN.md: Tuesday 2025-09-30 16:00 + 12 working hours = Friday 2025-10-10 10:00.
    result = run_clock(CAL, at(2025, 9, 30, 16), 12 * H, [])
    assert result is not None and result.value == at(2025, 10, 10, 10)


def test_pause_in_working_hours_pushes_the_due_time_by_its_working_length():
    # Mon 09:00 + 4 h = 13:00; a pause 10:00-11:30 pushes it to 14:30.
    pauses = [Pause(at(2025, 9, 15, 10), at(2025, 9, 15, 11, 30))]
    result = run_clock(CAL, at(2025, 9, 15, 9), 4 * H, pauses)
    assert result is not None and result.value == at(2025, 9, 15, 14, 30)


def test_pause_outside_working_hours_moves_nothing():
    pauses = [Pause(at(2025, 9, 15, 19), at(2025, 9, 16, 8))]
    result = run_clock(CAL, at(2025, 9, 15, 17), 2 * H, pauses)
    assert result is not None and result.value == at(2025, 9, 16, 10)


def test_pause_after_the_due_time_does_not_move_it():
    pauses = [Pause(at(2025, 9, 15, 15), at(2025, 9, 16, 15))]
    result = run_clock(CAL, at(2025, 9, 15, 9), 2 * H, pauses)
    assert result is not None and result.value == at(2025, 9, 15, 11)


def test_open_pause_before_the_due_time_stops_the_clock():
    pauses = [Pause(at(2025, 9, 15, 10), None)]
    assert run_clock(CAL, at(2025, 9, 15, 9), 2 * H, pauses) is None


def test_pause_ending_before_the_start_is_ignored():
    pauses = [Pause(at(2025, 9, 14, 10), at(2025, 9, 14, 11))]
    result = run_clock(CAL, at(2025, 9, 15, 9), 2 * H, pauses)
    assert result is not None and result.value == at(2025, 9, 15, 11)


def test_calendar_hours_run_through_nights_and_holidays():
    cal = WorkCalendar.round_the_clock(TZ)
    result = run_clock(cal, at(2025, 9, 30, 16), 24 * H, [])
    assert result is not None and result.value == at(2025, 10, 1, 16)


def test_plan_gives_escalation_moments_by_share_of_the_goal():
    plan = plan_targets(
        goals={"respond": Goal(600)},
        start=at(2025, 9, 15, 9),
        pauses=[],
        calendar_for=lambda clock: CAL,
        ratios={1: 0.8, 2: 1.0, 3: 1.5},
    )["respond"]
    # 10 working hours from Monday 09:00: 8 h -> 17:00; 10 h -> Tue 10:00; 15 h -> Tue 15:00.
    assert plan.steps == {1: at(2025, 9, 15, 17), 2: at(2025, 9, 16, 10), 3: at(2025, 9, 16, 15)}
    assert plan.due == at(2025, 9, 16, 10)
    assert plan.provisional is False


def test_plan_crossing_an_unloaded_year_is_provisional():
    plan = plan_targets(
        goals={"respond": Goal(600)},
        start=at(2025, 12, 31, 17),
        pauses=[],
        calendar_for=lambda clock: CAL,
        ratios={2: 1.0},
    )["respond"]
    assert plan.provisional is True
    # 2026 runs on the weekly pattern: 1 h on 31 Dec, then 9 h on Thu 1 Jan (a holiday in
    # reality, but not loaded).
    assert plan.due == at(2026, 1, 1, 18)


def test_plan_per_target_uses_that_targets_clock():
    calendars = {"working": CAL, "calendar": WorkCalendar.round_the_clock(TZ)}
    plan = plan_targets(
        goals={"respond": Goal(120, "working"), "resolve": Goal(24 * 60, "calendar")},
        start=at(2025, 9, 30, 17),
        pauses=[],
        calendar_for=calendars.__getitem__,
        ratios={2: 1.0},
    )
    assert plan["respond"].due == at(2025, 10, 9, 10)  # 1 h on 30 Sep, holidays, 1 h on 9 Oct
    assert plan["resolve"].due == at(2025, 10, 1, 17)


@pytest.mark.parametrize("ratio", [0.5, 0.8, 1.0, 1.2, 2.0])
def test_escalation_moments_grow_with_the_ratio(ratio):
    plan = plan_targets(
        goals={"respond": Goal(300)},
        start=at(2025, 9, 15, 9),
        pauses=[],
        calendar_for=lambda clock: CAL,
        ratios={1: ratio, 2: 1.0},
    )["respond"]
    assert (plan.steps[1] <= plan.steps[2]) == (ratio <= 1.0)


starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2025, 11, 30)).map(
    lambda d: d.replace(tzinfo=TZ, second=0, microsecond=0)
)


@settings(max_examples=150, deadline=None)
@given(
    start=starts,
    minutes=st.integers(1, 60 * 60),
    pause_offsets=st.lists(
        st.tuples(st.integers(0, 20 * 24 * 60), st.integers(1, 5 * 24 * 60)), max_size=3
    ),
)
def test_clock_minus_pauses_measures_back_the_goal(start, minutes, pause_offsets):
    """Working time from start to due, minus the working time spent in pauses before the
    due time, is exactly the goal; and pauses never bring the due time earlier."""
    pauses = []
    cursor = start
    for offset, length in pause_offsets:
        s = cursor + dt.timedelta(minutes=offset)
        pauses.append(Pause(s, s + dt.timedelta(minutes=length)))
        cursor = s + dt.timedelta(minutes=length)
    goal = dt.timedelta(minutes=minutes)
    result = run_clock(CAL, start, goal, pauses)
    assert result is not None
    plain = add_working_time(CAL, start, goal).value
    assert result.value >= plain
    paused = sum(
        (
            working_time_between(CAL, p.start, min(p.end, result.value)).duration
            for p in pauses
            if p.end is not None and p.start < result.value
        ),
        dt.timedelta(0),
    )
    assert working_time_between(CAL, start, result.value).duration - paused == goal
