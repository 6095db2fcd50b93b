"""Service levels, pure: which policy applies to an order, and when each target falls due.

No Django here. Inputs are plain data: policy rules, the order's attributes, its start time,
its pauses (the clock stops while the order waits for parts or for the customer) and the
working calendar. Outputs are due times, the moments at which each escalation level is
reached, and whether a result crossed a year whose holiday schedule is not loaded
(provisional).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aftersales.core.workclock import (
    ClockResult,
    WorkCalendar,
    add_working_time,
    working_time_between,
)

TARGETS = ("respond", "arrive", "resolve")
WORKING, CALENDAR = "working", "calendar"


@dataclass(frozen=True)
class Goal:
    minutes: int
    clock: str = WORKING  # "working" or "calendar"


@dataclass(frozen=True)
class PolicyRule:
    """One service-level policy. A field left None matches every order."""

    id: int | None
    name: str
    goals: dict[str, Goal]  # target -> goal; a missing target has no due time
    priority: str | None = None
    service_type: str | None = None
    region_id: int | None = None
    contract_level: str | None = None
    rank: int = 100  # among equally specific rules, the lower rank wins

    def matches(
        self, priority: str, service_type: str, region_id: int | None, contract_level: str
    ) -> bool:
        return (
            (self.priority is None or self.priority == priority)
            and (self.service_type is None or self.service_type == service_type)
            and (self.region_id is None or self.region_id == region_id)
            and (self.contract_level is None or self.contract_level == contract_level)
        )

    @property
    def specificity(self) -> int:
        # A contract and a region are stronger than a priority or a service type.
        return (
            8 * (self.contract_level is not None)
            + 4 * (self.region_id is not None)
            + 2 * (self.service_type is not None)
            + 1 * (self.priority is not None)
        )


H = 60
# DOMAIN.md: urgent faults respond within 2 working hours and are solved within 24 hours;
# standard requests respond within 12 hours. Companies edit their copy of these rules.
DEFAULT_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(
        None,
        "High priority",
        {
            "respond": Goal(2 * H, WORKING),
            "arrive": Goal(8 * H, WORKING),
            "resolve": Goal(24 * H, CALENDAR),
        },
        priority="high",
    ),
    PolicyRule(
        None,
        "Medium priority",
        {
            "respond": Goal(12 * H, WORKING),
            "arrive": Goal(24 * H, WORKING),
            "resolve": Goal(72 * H, WORKING),
        },
        priority="medium",
    ),
    PolicyRule(
        None,
        "Low priority",
        {
            "respond": Goal(12 * H, WORKING),
            "arrive": Goal(40 * H, WORKING),
            "resolve": Goal(120 * H, WORKING),
        },
        priority="low",
    ),
)


def select_policy(
    rules: Sequence[PolicyRule],
    *,
    priority: str,
    service_type: str,
    region_id: int | None,
    contract_level: str = "",
) -> PolicyRule | None:
    """The most specific matching rule; ties go to the lower rank, then the lower id."""
    found = [r for r in rules if r.matches(priority, service_type, region_id, contract_level)]
    if not found:
        return None
    return min(found, key=lambda r: (-r.specificity, r.rank, r.id or 0))


@dataclass(frozen=True)
class Pause:
    start: dt.datetime
    end: dt.datetime | None  # None: still paused


def run_clock(
    cal: WorkCalendar, start: dt.datetime, duration: dt.timedelta, pauses: Sequence[Pause]
) -> ClockResult | None:
    """When `duration` of clock time has run from `start`, the clock stopping during each pause.
    None while an open pause stops the clock before the duration is used up."""
    cursor = start
    remaining = duration
    provisional = False
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end <= cursor:
            continue
        if pause.start > cursor:
            ran = working_time_between(cal, cursor, pause.start)
            provisional |= ran.provisional
            if ran.duration >= remaining:
                break
            remaining -= ran.duration
        if pause.end is None:
            return None
        cursor = max(cursor, pause.end)
    result = add_working_time(cal, cursor, remaining)
    return ClockResult(result.value, result.provisional or provisional)


@dataclass(frozen=True)
class TargetPlan:
    due: dt.datetime | None  # None while paused
    provisional: bool
    steps: dict[int, dt.datetime] = field(default_factory=dict)  # escalation level -> moment


def plan_targets(
    *,
    goals: dict[str, Goal],
    start: dt.datetime,
    pauses: Sequence[Pause],
    calendar_for: Callable[[str], WorkCalendar],
    ratios: dict[int, float],
) -> dict[str, TargetPlan]:
    """Due time and escalation moments of each target. `ratios` maps an escalation level to the
    share of the goal after which it is reached (e.g. {1: 0.8, 2: 1.0, 3: 1.5})."""
    out: dict[str, TargetPlan] = {}
    for target, goal in goals.items():
        cal = calendar_for(goal.clock)
        full = dt.timedelta(minutes=goal.minutes)
        due = run_clock(cal, start, full, pauses)
        steps: dict[int, dt.datetime] = {}
        provisional = bool(due and due.provisional)
        for level, ratio in sorted(ratios.items()):
            moment = (
                due
                if ratio == 1.0
                else run_clock(
                    cal, start, dt.timedelta(seconds=full.total_seconds() * ratio), pauses
                )
            )
            if moment is not None:
                steps[level] = moment.value
                provisional |= moment.provisional and ratio <= 1.0
        out[target] = TargetPlan(due.value if due else None, provisional, steps)
    return out
