"""Writes to the working calendar. Every change that moves due times recomputes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.calendars.models import CalendarDay, CalendarYear, CompanyHours, DayKind
from aftersales.calendars.selectors import forget
from aftersales.core import holidays
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError, Conflict, NotFound
from aftersales.core.validation import Errors

# Functions (company id, provisional_only=...) run after a calendar change is committed:
# orders registers its due-time recomputation in `OrdersConfig.ready()`, so calendars imports
# nothing above it.
DAYS_CHANGED_HOOKS: list[Callable[..., Any]] = []


def _recompute_after_commit(company_id: int, *, provisional_only: bool) -> None:
    transaction.on_commit(lambda: forget(company_id))
    for hook in DAYS_CHANGED_HOOKS:
        transaction.on_commit(partial(hook, company_id, provisional_only=provisional_only))


@transaction.atomic
def calendar_year_load(*, actor: User | None, company_id: int, year: int) -> int:
    """Load (or reload) a year's statutory holidays and make-up days from the installed
    `chinese-calendar` package; company closures in that year are kept. Returns the number of
    days written. Every provisional due time is then recomputed."""
    if actor is not None:
        require(actor, Perm.CALENDAR_EDIT)
        company_id = company_of(actor)
    try:
        off, work = holidays.statutory_schedule(year)
    except LookupError:
        raise ApplicationError(
            "schedule_unknown",
            _(
                "The holiday schedule for %(year)d is not published in the installed "
                "chinese-calendar package; upgrade the package or enter the days by hand."
            )
            % {"year": year},
            status=422,
        ) from None
    closures = set(
        CalendarDay.objects.filter(
            company_id=company_id, date__year=year, kind=DayKind.CLOSURE
        ).values_list("date", flat=True)
    )
    CalendarDay.objects.filter(company_id=company_id, date__year=year).exclude(
        kind=DayKind.CLOSURE
    ).delete()
    rows = [
        CalendarDay(company_id=company_id, date=d, kind=DayKind.HOLIDAY, name=name)
        for d, name in off.items()
        if d.weekday() < 5 and d not in closures
    ] + [
        CalendarDay(company_id=company_id, date=d, kind=DayKind.MAKE_UP, name=name)
        for d, name in work.items()
        if d not in closures
    ]
    CalendarDay.objects.bulk_create(rows)
    year_row, _created = CalendarYear.objects.get_or_create(
        company_id=company_id, year=year, defaults={"loaded_by": actor}
    )
    audit_record(
        actor=actor,
        action="calendar.load_year",
        obj=year_row,
        changes={"year": [None, year], "days": [None, len(rows)]},
    )
    _recompute_after_commit(company_id, provisional_only=True)
    return len(rows)


def calendar_load_published_years(*, company_id: int, since: int = 0) -> list[int]:
    """Load every year the package knows that the company has not loaded yet (new companies,
    the demo, and the yearly job that picks up a newly installed package)."""
    have = set(CalendarYear.objects.filter(company_id=company_id).values_list("year", flat=True))
    loaded = []
    for year in holidays.published_years():
        if year not in have and year >= since:
            calendar_year_load(actor=None, company_id=company_id, year=year)
            loaded.append(year)
    return loaded


@transaction.atomic
def calendar_closure_add(*, actor: User, date: dt.date, name: str) -> CalendarDay:
    require(actor, Perm.CALENDAR_EDIT)
    errors = Errors()
    name = (name or "").strip()
    if not name:
        errors.add("name", _("Give the closure a name."))
    if len(name) > 100:
        errors.add("name", _("At most %(n)d characters.") % {"n": 100})
    errors.raise_if_any()
    company_id = company_of(actor)
    existing = CalendarDay.objects.filter(company_id=company_id, date=date).first()
    if existing is not None and existing.kind == DayKind.CLOSURE:
        raise Conflict("closure_exists", _("That day is already a closure."))
    if existing is not None and existing.kind == DayKind.HOLIDAY:
        # a statutory day off stays one (the 三包 last-day rule reads it): nothing to close
        raise Conflict("holiday", _("That day is already a public holiday."))
    if existing is not None:
        existing.kind, existing.name = DayKind.CLOSURE, name
        existing.save(update_fields=["kind", "name"])
        day = existing
    else:
        day = CalendarDay.objects.create(
            company_id=company_id, date=date, kind=DayKind.CLOSURE, name=name
        )
    audit_record(
        actor=actor, action="calendar.closure_add", obj=day, changes={"date": [None, str(date)]}
    )
    _recompute_after_commit(company_id, provisional_only=False)
    return day


@transaction.atomic
def calendar_closure_remove(*, actor: User, date: dt.date) -> None:
    require(actor, Perm.CALENDAR_EDIT)
    company_id = company_of(actor)
    day = CalendarDay.objects.filter(company_id=company_id, date=date, kind=DayKind.CLOSURE).first()
    if day is None:
        raise NotFound("not_found", _("Not found."))
    audit_record(
        actor=actor, action="calendar.closure_remove", obj=day, changes={"date": [str(date), None]}
    )
    day.delete()
    # A closure on a make-up working day (调休) gives the make-up day back, as the loaded
    # year has it.
    if CalendarYear.objects.filter(company_id=company_id, year=date.year).exists():
        _off, work = holidays.statutory_schedule(date.year)
        if date in work:
            CalendarDay.objects.create(
                company_id=company_id, date=date, kind=DayKind.MAKE_UP, name=work[date]
            )
    _recompute_after_commit(company_id, provisional_only=False)


@transaction.atomic
def company_hours_set(
    *, actor: User, intervals: list[tuple[str, str]], weekdays: list[int]
) -> CompanyHours:
    require(actor, Perm.CALENDAR_EDIT)
    company_id = company_of(actor)
    errors = Errors()
    clean: list[list[str]] = []
    previous_end = -1
    for start, end in intervals:
        try:
            a = [int(x) for x in start.split(":")]
            b = [int(x) for x in end.split(":")]
            if len(a) != 2 or len(b) != 2 or not (0 <= a[1] < 60 and 0 <= b[1] < 60):
                raise ValueError
            sa, sb = a[0] * 60 + a[1], b[0] * 60 + b[1]
            if not (0 <= sa < sb <= 24 * 60) or sa < previous_end:
                raise ValueError
        except (ValueError, IndexError):
            errors.add(
                "intervals", _("Working intervals must be HH:MM-HH:MM, in order, not overlapping.")
            )
            break
        previous_end = sb
        clean.append([f"{a[0]:02d}:{a[1]:02d}", f"{b[0] % 24:02d}:{b[1]:02d}"])
    if not clean:
        errors.add("intervals", _("Give at least one working interval."))
    if not weekdays or any(d not in range(7) for d in weekdays):
        errors.add("weekdays", _("Choose working weekdays (Monday = 0 ... Sunday = 6)."))
    errors.raise_if_any()
    hours, _created = CompanyHours.objects.update_or_create(
        company_id=company_id,
        defaults={"intervals": clean, "weekdays": sorted(set(weekdays))},
    )
    audit_record(
        actor=actor,
        action="calendar.hours_set",
        obj=hours,
        changes={"intervals": [None, clean], "weekdays": [None, sorted(set(weekdays))]},
    )
    _recompute_after_commit(company_id, provisional_only=False)
    return hours
