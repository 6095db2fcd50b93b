"""The company's working calendar as the pure clock's plain data."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.conf import settings

from aftersales.calendars.models import CalendarDay, CalendarYear, CompanyHours, DayKind
from aftersales.core.workclock import WorkCalendar

DEFAULT_INTERVALS = (("09:00", "18:00"),)
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours) % 24, int(minutes))


# Per process: the calendar is read on every intake, due-time and SLA computation (a third of
# the intake's time when read from the database each time) and changes a few times a year.
# A change made in this process is seen at once (the writers call `forget` on commit); one made
# by another process or machine within `CALENDAR_CACHE_SECONDS` (a recompute of due times
# after a change always reads afresh: `orders.tasks`).
_cache: dict[int, tuple[float, WorkCalendar]] = {}


def forget(company_id: int | None = None) -> None:
    """Drop the cached calendar of a company (all companies: None)."""
    if company_id is None:
        _cache.clear()
    else:
        _cache.pop(company_id, None)


def work_calendar(company_id: int, *, fresh: bool = False) -> WorkCalendar:
    """Working hours, holidays, make-up days, closures and loaded years of one company."""
    ttl = float(getattr(settings, "CALENDAR_CACHE_SECONDS", 0) or 0)
    if ttl > 0 and not fresh:
        hit = _cache.get(company_id)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
    calendar = _load(company_id)
    if ttl > 0:
        _cache[company_id] = (time.monotonic(), calendar)
    return calendar


def _load(company_id: int) -> WorkCalendar:
    hours = CompanyHours.objects.filter(company_id=company_id).first()
    intervals = (hours.intervals if hours and hours.intervals else None) or DEFAULT_INTERVALS
    weekdays = (hours.weekdays if hours and hours.weekdays else None) or DEFAULT_WEEKDAYS
    off: set[dt.date] = set()
    make_up: set[dt.date] = set()
    closures: set[dt.date] = set()
    for date, kind in CalendarDay.objects.filter(company_id=company_id).values_list("date", "kind"):
        if kind == DayKind.HOLIDAY:
            off.add(date)
        elif kind == DayKind.MAKE_UP:
            make_up.add(date)
        else:
            closures.add(date)
    years = frozenset(
        CalendarYear.objects.filter(company_id=company_id).values_list("year", flat=True)
    )
    return WorkCalendar(
        tz=ZoneInfo(settings.TIME_ZONE),
        intervals=tuple((_time(a), _time(b)) for a, b in intervals),
        weekdays=frozenset(int(d) for d in weekdays),
        days_off=frozenset(off),
        make_up_days=frozenset(make_up),
        closures=frozenset(closures),
        loaded_years=years,
    )


def round_the_clock() -> WorkCalendar:
    return WorkCalendar.round_the_clock(ZoneInfo(settings.TIME_ZONE))
