"""Maintenance schedules as plain data: when a unit's next service is due (pure, no ORM).

A plan has rules of two kinds, each combined *whichever comes first*:

- the **first** service (首保): N days after installation (or sale) or M on the meter
  (kilometres or running hours), whichever is reached first;
- the **periodic** services: every N months (or N days) or every M on the meter, counted from the
  *last done* service (its date and its meter reading), so a late service moves the next one.

Periodic services carry a level: the k-th periodic service has the nominal meter position
k × interval; the highest tier whose position divides it wins (a Weichai WP12-style schedule:
first at 50 h, then every 300 h; the services at 600, 1,500, 3,000 and 6,000 h are the bigger
levels, each with its own tasks and parts kit). Plans without a meter interval name tiers by
"every n-th service".

The calendar date is moved to the nth weekday of its month when the rule asks (the second
Tuesday), then the final due date is moved forward out of the customer's blackout months and
onto a working day. A meter rule's date is projected from the unit's readings (usage rate, see
`customers.meters`); without a rate it has no date and the calendar part decides.

An order is created when the service's window (due ± window days) starts within the
look-ahead horizon, and never while one for the plan is still open.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from aftersales.customers import meters

FIRST = "first"
PERIODIC = "periodic"

# Why a service is due when it is (what came first).
BY_DAYS = "days"
BY_METER = "meter"


@dataclass(frozen=True)
class Tier:
    """A level of the periodic services: at the meter position `at` (a multiple of the interval)
    or on every `nth` service. `key` identifies it to the caller (the level's id)."""

    key: int
    at: Decimal | None = None
    nth: int | None = None


@dataclass(frozen=True)
class Rule:
    key: int
    kind: str  # FIRST or PERIODIC
    days: int | None = None  # first: days from the start; periodic: days between services
    months: int | None = None  # periodic: calendar months between services
    meter: Decimal | None = None  # first: meter total; periodic: meter between services
    base_level: int | None = None  # the level of a service no tier claims
    tiers: tuple[Tier, ...] = ()
    nth_weekday: tuple[int, int] | None = None  # (n 1..5 or -1 for last, weekday 0=Mon)

    @property
    def has_calendar(self) -> bool:
        return bool(self.days or self.months)


@dataclass(frozen=True)
class Timing:
    """When a due service becomes an order, and where it may fall."""

    window_days: int = 7
    horizon_days: int = 30
    working_days_only: bool = False
    blackout_months: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Done:
    """The last service done: its number in the unit's sequence (1 = the first service), its
    date and the meter total then (None when not read)."""

    seq: int
    on: dt.date
    meter: Decimal | None = None


@dataclass(frozen=True)
class Due:
    seq: int  # 1 = first service; k + 1 = k-th periodic service
    rule: int
    level: int | None
    on: dt.date  # the due date after the calendar adjustments
    by: str  # BY_DAYS or BY_METER: what came first
    meter_at: Decimal | None  # the meter total at which it is due (meter rules)
    calendar_on: dt.date | None  # the calendar part's date (before adjusting the final date)
    meter_on: dt.date | None  # the projected date the meter reaches meter_at
    window_start: dt.date
    window_end: dt.date

    @property
    def occurrence(self) -> str:
        """The service's identity in the unit's sequence (the idempotency key's tail): the
        same service keeps it however its date moves."""
        return f"{self.seq}"


@dataclass(frozen=True)
class UnitFacts:
    start: dt.date | None  # installation date, else sale (purchase/invoice) date
    readings: list[meters.Reading] = field(default_factory=list)
    last_done: Done | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; the 31st becomes the month's last day."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def nth_weekday(year: int, month: int, n: int, weekday: int) -> dt.date:
    """The nth (1..5; -1 = last) weekday of the month; a fifth that does not exist is the last."""
    days = [
        dt.date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    if n == -1 or n > len(days):
        return days[-1]
    return days[n - 1]


def is_weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def adjust(
    day: dt.date,
    timing: Timing,
    *,
    is_working: Callable[[dt.date], bool] = is_weekday,
) -> dt.date:
    """Move `day` forward out of blackout months and onto a working day (when asked)."""
    if len(timing.blackout_months) >= 12:
        return day
    for _ in range(400):
        if day.month in timing.blackout_months:
            day = add_months(day.replace(day=1), 1)
            continue
        if timing.working_days_only and not is_working(day):
            day += dt.timedelta(days=1)
            continue
        return day
    return day  # no working day in 400 days: the calendar is broken; keep the date


def level_for(rule: Rule, seq_in_rule: int) -> int | None:
    """The level of the `seq_in_rule`-th service of a periodic rule (1-based): the tier with the
    largest position dividing it; the rule's base level when none does."""
    best: tuple[Decimal, int] | None = None
    for tier in rule.tiers:
        if tier.at is not None and rule.meter:
            position = rule.meter * seq_in_rule
            if tier.at > 0 and position % tier.at == 0:
                size = tier.at
            else:
                continue
        elif tier.nth:
            if seq_in_rule % tier.nth != 0:
                continue
            size = Decimal(tier.nth)
        else:
            continue
        if best is None or size > best[0]:
            best = (size, tier.key)
    return best[1] if best else rule.base_level


def next_due(
    rules: Iterable[Rule],
    facts: UnitFacts,
    timing: Timing,
    *,
    is_working: Callable[[dt.date], bool] = is_weekday,
) -> Due | None:
    """The unit's next service, or None when nothing can be projected (no start date and no
    meter rate, or no rule for it)."""
    by_kind = {r.kind: r for r in rules}
    last = facts.last_done
    if last is None and FIRST in by_kind:
        rule = by_kind[FIRST]
        seq = 1
        base_day = facts.start
        base_meter: Decimal | None = Decimal(0)
        level = rule.base_level
    else:
        rule_or_none = by_kind.get(PERIODIC)
        if rule_or_none is None:
            return None
        rule = rule_or_none
        seq = last.seq + 1 if last else 1
        base_day = last.on if last else facts.start
        if last is not None:
            base_meter = last.meter
            if base_meter is None and facts.readings:
                base_meter = meters.total_on(facts.readings, last.on)
        else:
            base_meter = Decimal(0)
        level = level_for(rule, seq - 1 if FIRST in by_kind else seq)

    calendar_on: dt.date | None = None
    if base_day is not None and rule.has_calendar:
        calendar_on = base_day
        if rule.months:
            calendar_on = add_months(calendar_on, rule.months)
        if rule.days:
            calendar_on += dt.timedelta(days=rule.days)
        if rule.nth_weekday is not None:
            n, weekday = rule.nth_weekday
            calendar_on = nth_weekday(calendar_on.year, calendar_on.month, n, weekday)

    meter_at: Decimal | None = None
    meter_on: dt.date | None = None
    if rule.meter and base_meter is not None:
        meter_at = base_meter + rule.meter
        if facts.readings:
            meter_on = meters.day_reaching(facts.readings, meter_at)

    candidates = [(d, by) for d, by in ((calendar_on, BY_DAYS), (meter_on, BY_METER)) if d]
    if not candidates:
        return None
    raw, by = min(candidates, key=lambda c: (c[0], c[1] != BY_METER))
    on = adjust(raw, timing, is_working=is_working)
    window = dt.timedelta(days=max(0, timing.window_days))
    return Due(
        seq=seq,
        rule=rule.key,
        level=level,
        on=on,
        by=by,
        meter_at=meter_at,
        calendar_on=calendar_on,
        meter_on=meter_on,
        window_start=on - window,
        window_end=on + window,
    )


def should_create(due: Due, *, today: dt.date, timing: Timing, open_order: bool) -> bool:
    """Create the order now? When its window opens within the horizon and none is open."""
    if open_order:
        return False
    return due.window_start <= today + dt.timedelta(days=max(0, timing.horizon_days))


def upcoming(
    rules: Iterable[Rule],
    facts: UnitFacts,
    timing: Timing,
    *,
    count: int = 5,
    is_working: Callable[[dt.date], bool] = is_weekday,
) -> list[Due]:
    """The next `count` services as if each were done on its due date at its meter position
    (the unit's schedule page): a projection, moved by every real service and reading."""
    rules = list(rules)
    out: list[Due] = []
    current = facts
    for _ in range(count):
        due = next_due(rules, current, timing, is_working=is_working)
        if due is None:
            break
        out.append(due)
        meter = due.meter_at
        if meter is None and current.readings:
            meter = meters.total_on(current.readings, due.on)
        current = UnitFacts(
            start=current.start,
            readings=current.readings,
            last_done=Done(seq=due.seq, on=due.on, meter=meter),
        )
    return out
