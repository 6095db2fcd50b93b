"""The working-time clock: pure functions over plain data, no Django.

A `WorkCalendar` says which days are worked (weekly pattern, statutory holidays, 调休 make-up
working days, company closures) and the working intervals of a working day. For a year whose
holiday schedule is not loaded, the plain weekly pattern is used and the result is marked
provisional. `add_working_time` and `working_time_between` are inverse to each other.

A 24x7 clock (calendar hours) is `WorkCalendar.round_the_clock()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.time, dt.time]
MAX_DAYS = 3 * 366  # a clock that finds no working time within three years is misconfigured


class NoWorkingTime(ValueError):
    """The calendar has no working time within MAX_DAYS of the start."""


@dataclass(frozen=True)
class ClockResult:
    """A due time (or a duration) and whether it crossed a year with no loaded schedule."""

    value: dt.datetime
    provisional: bool


@dataclass(frozen=True)
class Elapsed:
    """A working-time duration and whether it crossed a year with no loaded schedule."""

    duration: dt.timedelta
    provisional: bool


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # Working intervals of an ordinary working day (e.g. 09:00-12:00, 13:00-18:00).
    intervals: tuple[Interval, ...] = ((dt.time(9), dt.time(18)),)
    # Weekdays worked in the plain weekly pattern (Monday = 0).
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    # Days off that would otherwise be worked: statutory holidays and company closures.
    days_off: frozenset[dt.date] = frozenset()
    # Days worked that would otherwise be off: 调休 make-up working days.
    make_up_days: frozenset[dt.date] = frozenset()
    # Company closures: days off whether or not the year's statutory schedule is loaded.
    closures: frozenset[dt.date] = frozenset()
    # Years whose holiday schedule is loaded; other years use the weekly pattern only.
    loaded_years: frozenset[int] | None = None  # None: every year counts as loaded
    round_the_clock_mode: bool = False

    def __post_init__(self) -> None:
        for start, end in self.intervals:
            # an interval ending at 00:00 ends at midnight (the day's end)
            if not (start < end or end == dt.time(0)):
                raise ValueError(f"bad interval {start}-{end}")

    @classmethod
    def round_the_clock(cls, tz: ZoneInfo | None = None) -> WorkCalendar:
        return cls(
            tz=tz or ZoneInfo("Asia/Shanghai"),
            intervals=((dt.time(0), dt.time(0)),),
            weekdays=frozenset(range(7)),
            round_the_clock_mode=True,
        )

    def is_loaded(self, day: dt.date) -> bool:
        return self.loaded_years is None or day.year in self.loaded_years

    def is_working_day(self, day: dt.date) -> bool:
        if self.round_the_clock_mode:
            return True
        if day in self.closures:
            return False
        if self.is_loaded(day):
            if day in self.make_up_days:
                return True
            if day in self.days_off:
                return False
        return day.weekday() in self.weekdays

    def day_intervals(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of `day` as aware datetimes (none on a day off)."""
        if not self.is_working_day(day):
            return
        for start, end in self.intervals:
            s = dt.datetime.combine(day, start, self.tz)
            e_day = day + dt.timedelta(days=1) if end == dt.time(0) else day
            e = dt.datetime.combine(e_day, end, self.tz)
            yield s, e


def _check_aware(value: dt.datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("aware datetimes only")


def add_working_time(cal: WorkCalendar, start: dt.datetime, duration: dt.timedelta) -> ClockResult:
    """The moment when `duration` of working time has passed after `start`.

    Zero duration returns `start` unchanged. A positive duration ends inside working time (an
    interval's end counts as inside)."""
    _check_aware(start)
    if duration < dt.timedelta(0):
        raise ValueError("negative duration")
    if duration == dt.timedelta(0):
        return ClockResult(start, False)
    cursor = start.astimezone(cal.tz)
    remaining = duration
    provisional = False
    day = cursor.date()
    for _ in range(MAX_DAYS):
        for s, e in cal.day_intervals(day):
            if e <= cursor:
                continue
            begin = max(s, cursor)
            available = e - begin
            if not cal.is_loaded(day):
                provisional = True
            if remaining <= available:
                return ClockResult(begin + remaining, provisional)
            remaining -= available
        day += dt.timedelta(days=1)
    raise NoWorkingTime("no working time in the calendar")


def working_time_between(cal: WorkCalendar, start: dt.datetime, end: dt.datetime) -> Elapsed:
    """The working time between two moments (zero if `end` is not after `start`)."""
    _check_aware(start)
    _check_aware(end)
    if end <= start:
        return Elapsed(dt.timedelta(0), False)
    a, b = start.astimezone(cal.tz), end.astimezone(cal.tz)
    total = dt.timedelta(0)
    provisional = False
    day = a.date() - dt.timedelta(days=1)  # an interval ending at midnight starts the day before
    while day <= b.date():
        for s, e in cal.day_intervals(day):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
                if not cal.is_loaded(day):
                    provisional = True
        day += dt.timedelta(days=1)
    return Elapsed(total, provisional)


def is_working_time(cal: WorkCalendar, moment: dt.datetime) -> bool:
    """Inside a working interval (start excluded, end included: where a positive addition ends)."""
    local = moment.astimezone(cal.tz)
    for day in (local.date() - dt.timedelta(days=1), local.date()):
        for s, e in cal.day_intervals(day):
            if s < local <= e:
                return True
    return False
