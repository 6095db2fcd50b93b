"""The working calendar is cached per process: read once, seen afresh after a change made
through the calendar actions, and re-read by the due-time recompute (another process's change)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.accounts.choices import Role
from aftersales.calendars import actions
from aftersales.calendars.models import CalendarDay, DayKind
from aftersales.calendars.selectors import forget, work_calendar

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 8)  # a Tuesday


@pytest.fixture
def cached(settings):
    settings.CALENDAR_CACHE_SECONDS = 300
    forget()
    yield
    forget()


def test_the_calendar_is_read_once_per_process(cached, org_tree):
    company = org_tree["company"].pk
    work_calendar(company)
    with CaptureQueriesContext(connection) as queries:
        assert work_calendar(company).is_working_day(DAY)
    assert len(queries) == 0


def test_a_closure_added_here_is_seen_at_once(
    cached, org_tree, make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.SERVICE_MANAGER)
    assert work_calendar(manager.company_id).is_working_day(DAY)
    with django_capture_on_commit_callbacks(execute=True):
        actions.calendar_closure_add(actor=manager, date=DAY, name="盘点")
    assert not work_calendar(manager.company_id).is_working_day(DAY)


def test_a_change_by_another_process_is_read_afresh_when_asked(cached, org_tree):
    company = org_tree["company"].pk
    assert work_calendar(company).is_working_day(DAY)
    # Another process writes the day (no `forget` here): this process still has its copy...
    CalendarDay.objects.create(company_id=company, date=DAY, kind=DayKind.CLOSURE, name="停电")
    assert work_calendar(company).is_working_day(DAY)
    # ...until it reads afresh, as the due-time recompute does.
    assert not work_calendar(company, fresh=True).is_working_day(DAY)
    assert not work_calendar(company).is_working_day(DAY)


def test_without_a_cache_every_read_is_fresh(settings, org_tree):
    settings.CALENDAR_CACHE_SECONDS = 0
    company = org_tree["company"].pk
    assert work_calendar(company).is_working_day(DAY)
    CalendarDay.objects.create(company_id=company, date=DAY, kind=DayKind.CLOSURE, name="停电")
    assert not work_calendar(company).is_working_day(DAY)
