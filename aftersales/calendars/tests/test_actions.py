"""Calendar actions: loading a year's statutory schedule, the published years, company closures
and working hours — rules, roles, company isolation, audit rows and the due-time recompute that
follows every change (the cache is in test_calendar_cache.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from aftersales.accounts.choices import Role
from aftersales.calendars import actions
from aftersales.calendars.models import CalendarDay, CalendarYear, CompanyHours, DayKind
from aftersales.calendars.selectors import work_calendar
from aftersales.core import holidays
from aftersales.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from aftersales.core.models import AuditEntry
from aftersales.core.validation import ValidationFailed

pytestmark = pytest.mark.django_db

# 2020 is never among the years a new company starts with (the last two and this one), and its
# schedule is history: National Day ran Thursday 1 to Thursday 8 October, worked off on Sunday
# 27 September and Saturday 10 October.
YEAR = 2020
NATIONAL_DAY = dt.date(2020, 10, 1)  # Thursday, statutory holiday
HOLIDAY_SATURDAY = dt.date(2020, 10, 3)  # inside the holiday, a weekend day anyway
MAKE_UP_SUNDAY = dt.date(2020, 9, 27)  # 调休 make-up working day
PLAIN_TUESDAY = dt.date(2020, 3, 3)  # an ordinary working day
DAY = dt.date(2026, 12, 8)  # a Tuesday, for closures


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture
def other_admin(make_user: Callable[..., Any], org_tree: dict[str, Any]) -> Any:
    return make_user(Role.ADMIN, company=org_tree["other"])


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """The due-time recomputes asked for, as (company id, provisional_only), instead of the
    orders app's hook."""
    calls: list[tuple[int, bool]] = []

    def record(company_id: int, *, provisional_only: bool) -> None:
        calls.append((company_id, provisional_only))

    monkeypatch.setattr(actions, "DAYS_CHANGED_HOOKS", [record])
    return calls


def days_of(company: Any, year: int = YEAR) -> dict[dt.date, str]:
    rows = CalendarDay.objects.filter(company=company, date__year=year)
    return dict(rows.values_list("date", "kind"))


def audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def year_audit(year: int = YEAR) -> list[AuditEntry]:
    """The audit rows of loading `year` (a new company's own years are audited too)."""
    rows = CalendarYear.objects.filter(year=year).values_list("pk", flat=True)
    return list(
        AuditEntry.objects.filter(
            action="calendar.load_year", object_id__in=[str(pk) for pk in rows]
        ).order_by("id")
    )


# --- calendar_year_load ----------------------------------------------------------------------


def test_loading_a_year_writes_weekday_holidays_and_make_up_days(admin, org_tree):
    company = org_tree["company"]
    assert not CalendarYear.objects.filter(company=company, year=YEAR).exists()

    written = actions.calendar_year_load(actor=admin, company_id=company.pk, year=YEAR)

    days = days_of(company)
    assert written == len(days) > 0
    assert days[NATIONAL_DAY] == DayKind.HOLIDAY
    assert days[MAKE_UP_SUNDAY] == DayKind.MAKE_UP
    assert days[dt.date(2020, 10, 10)] == DayKind.MAKE_UP
    # A weekend day inside a holiday is off anyway: no row for it.
    assert HOLIDAY_SATURDAY not in days
    assert PLAIN_TUESDAY not in days
    assert CalendarDay.objects.get(company=company, date=NATIONAL_DAY).name == "国庆节"
    year = CalendarYear.objects.get(company=company, year=YEAR)
    assert year.loaded_by == admin


def test_a_loaded_year_is_what_the_working_calendar_reads(admin, org_tree):
    company = org_tree["company"].pk
    before = work_calendar(company)
    assert before.is_working_day(NATIONAL_DAY) and not before.is_working_day(MAKE_UP_SUNDAY)

    actions.calendar_year_load(actor=admin, company_id=company, year=YEAR)

    after = work_calendar(company)
    assert YEAR in after.loaded_years
    assert not after.is_working_day(NATIONAL_DAY)
    assert after.is_working_day(MAKE_UP_SUNDAY)


def test_loading_a_year_is_audited(admin, org_tree):
    written = actions.calendar_year_load(actor=admin, company_id=org_tree["company"].pk, year=YEAR)
    (entry,) = year_audit()
    year = CalendarYear.objects.get(company=org_tree["company"], year=YEAR)
    assert (entry.actor, entry.object_type, entry.object_id) == (
        admin,
        "calendars.calendaryear",
        str(year.pk),
    )
    assert entry.changes == {"year": [None, YEAR], "days": [None, written]}


def test_reloading_a_year_rewrites_the_same_days_once(admin, org_tree):
    company = org_tree["company"]
    first = actions.calendar_year_load(actor=admin, company_id=company.pk, year=YEAR)
    loaded = days_of(company)

    again = actions.calendar_year_load(actor=admin, company_id=company.pk, year=YEAR)

    assert again == first
    assert days_of(company) == loaded
    assert CalendarYear.objects.filter(company=company, year=YEAR).count() == 1
    assert len(year_audit()) == 2


def test_reloading_a_year_keeps_the_company_closures(admin, org_tree):
    company = org_tree["company"]
    first = actions.calendar_year_load(actor=admin, company_id=company.pk, year=YEAR)
    actions.calendar_closure_add(actor=admin, date=PLAIN_TUESDAY, name="盘点")
    actions.calendar_closure_add(actor=admin, date=MAKE_UP_SUNDAY, name="停电")

    again = actions.calendar_year_load(actor=admin, company_id=company.pk, year=YEAR)

    days = days_of(company)
    assert days[PLAIN_TUESDAY] == DayKind.CLOSURE
    assert days[MAKE_UP_SUNDAY] == DayKind.CLOSURE
    assert again == first - 1  # the make-up day under the closure is not written again
    assert days[NATIONAL_DAY] == DayKind.HOLIDAY


def test_the_actor_loads_into_their_own_company_whatever_company_id_says(
    admin, other_admin, org_tree
):
    other = org_tree["other"]
    other_days = dict(CalendarDay.objects.filter(company=other).values_list("date", "kind"))

    actions.calendar_year_load(actor=admin, company_id=other.pk, year=YEAR)

    assert days_of(org_tree["company"])[NATIONAL_DAY] == DayKind.HOLIDAY
    assert dict(CalendarDay.objects.filter(company=other).values_list("date", "kind")) == (
        other_days
    )
    assert not CalendarYear.objects.filter(company=other, year=YEAR).exists()


def test_the_system_loads_the_company_it_names(org_tree):
    other = org_tree["other"]
    actions.calendar_year_load(actor=None, company_id=other.pk, year=YEAR)
    assert days_of(other)[NATIONAL_DAY] == DayKind.HOLIDAY
    assert days_of(org_tree["company"]) == {}
    assert CalendarYear.objects.get(company=other, year=YEAR).loaded_by is None
    (entry,) = year_audit()
    assert entry.actor is None


def test_loading_an_unpublished_year_is_refused_and_writes_nothing(admin, org_tree, hooks):
    unpublished = max(holidays.published_years()) + 50
    audited = len(audit("calendar.load_year"))
    with pytest.raises(ApplicationError) as refused:
        actions.calendar_year_load(actor=admin, company_id=org_tree["company"].pk, year=unpublished)
    assert (refused.value.code, refused.value.status) == ("schedule_unknown", 422)
    assert str(unpublished) in str(refused.value.message)
    assert not CalendarYear.objects.filter(year=unpublished).exists()
    assert len(audit("calendar.load_year")) == audited
    assert hooks == []


# --- calendar_load_published_years -----------------------------------------------------------


def test_published_years_loads_each_missing_year_from_since_once(org_tree):
    company = org_tree["company"]
    CalendarYear.objects.filter(company=company).delete()
    CalendarDay.objects.filter(company=company).delete()
    CalendarYear.objects.create(company=company, year=2021)  # loaded already
    expected = [y for y in holidays.published_years() if y >= YEAR and y != 2021]

    loaded = actions.calendar_load_published_years(company_id=company.pk, since=YEAR)

    assert loaded == expected
    assert YEAR in loaded and 2021 not in loaded and YEAR - 1 not in loaded
    years = set(CalendarYear.objects.filter(company=company).values_list("year", flat=True))
    assert years == {2021, *expected}
    assert days_of(company)[NATIONAL_DAY] == DayKind.HOLIDAY
    assert days_of(company, 2021) == {}  # a year already loaded is not read again
    # Run again (the nightly job): nothing left to load.
    assert actions.calendar_load_published_years(company_id=company.pk, since=YEAR) == []


def test_published_years_loads_one_company_only(org_tree):
    other = org_tree["other"]
    other_years = set(CalendarYear.objects.filter(company=other).values_list("year", flat=True))
    actions.calendar_load_published_years(company_id=org_tree["company"].pk, since=YEAR)
    assert (
        set(CalendarYear.objects.filter(company=other).values_list("year", flat=True))
        == other_years
    )
    assert days_of(other) == {}


# --- calendar_closure_add --------------------------------------------------------------------


def test_a_closure_is_a_day_off_named_and_audited(admin, org_tree):
    day = actions.calendar_closure_add(actor=admin, date=DAY, name="  年终盘点  ")
    day.refresh_from_db()
    assert (day.company, day.date, day.kind, day.name) == (
        org_tree["company"],
        DAY,
        DayKind.CLOSURE,
        "年终盘点",
    )
    assert not work_calendar(org_tree["company"].pk).is_working_day(DAY)
    (entry,) = audit("calendar.closure_add")
    assert (entry.actor, entry.object_id, entry.changes) == (
        admin,
        str(day.pk),
        {"date": [None, DAY.isoformat()]},
    )


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_a_closure_needs_a_name_of_at_most_100_characters(admin, name):
    with pytest.raises(ValidationFailed) as refused:
        actions.calendar_closure_add(actor=admin, date=DAY, name=name)
    assert (refused.value.code, refused.value.status) == ("invalid", 422)
    assert set(refused.value.errors) == {"name"}
    assert not CalendarDay.objects.filter(date=DAY).exists()
    assert audit("calendar.closure_add") == []


def test_a_name_of_exactly_100_characters_is_taken(admin):
    day = actions.calendar_closure_add(actor=admin, date=DAY, name="x" * 100)
    assert len(day.name) == 100


def test_the_same_closure_twice_is_a_conflict(admin, org_tree):
    actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")
    with pytest.raises(Conflict) as refused:
        actions.calendar_closure_add(actor=admin, date=DAY, name="再盘点")
    assert (refused.value.code, refused.value.status) == ("closure_exists", 409)
    assert CalendarDay.objects.get(company=org_tree["company"], date=DAY).name == "盘点"
    assert len(audit("calendar.closure_add")) == 1


def test_a_closure_on_a_make_up_day_makes_it_a_day_off(admin, org_tree):
    company = org_tree["company"].pk
    actions.calendar_year_load(actor=admin, company_id=company, year=YEAR)
    assert work_calendar(company).is_working_day(MAKE_UP_SUNDAY)

    actions.calendar_closure_add(actor=admin, date=MAKE_UP_SUNDAY, name="停电")

    assert CalendarDay.objects.filter(company_id=company, date=MAKE_UP_SUNDAY).count() == 1
    assert not work_calendar(company).is_working_day(MAKE_UP_SUNDAY)


def test_closures_of_two_companies_do_not_meet(admin, other_admin, org_tree):
    actions.calendar_closure_add(actor=other_admin, date=DAY, name="别家停工")
    assert work_calendar(org_tree["company"].pk).is_working_day(DAY)

    # The other company's closure on the same day is no conflict for this one.
    actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")

    names = dict(CalendarDay.objects.filter(date=DAY).values_list("company_id", "name"))
    assert names == {org_tree["company"].pk: "盘点", org_tree["other"].pk: "别家停工"}


def test_a_closure_on_a_statutory_holiday_is_refused_and_the_holiday_stays(admin, org_tree):
    company = org_tree["company"].pk
    actions.calendar_year_load(actor=admin, company_id=company, year=YEAR)

    with pytest.raises(Conflict) as refused:
        actions.calendar_closure_add(actor=admin, date=NATIONAL_DAY, name="盘点")

    assert refused.value.code == "holiday"
    calendar = work_calendar(company)
    assert NATIONAL_DAY in calendar.days_off and NATIONAL_DAY not in calendar.closures
    assert days_of(org_tree["company"])[NATIONAL_DAY] == DayKind.HOLIDAY
    assert audit("calendar.closure_add") == []


# --- calendar_closure_remove -----------------------------------------------------------------


def test_removing_a_closure_makes_the_day_a_working_day_again_and_is_audited(admin, org_tree):
    day = actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")

    actions.calendar_closure_remove(actor=admin, date=DAY)

    assert not CalendarDay.objects.filter(company=org_tree["company"], date=DAY).exists()
    assert work_calendar(org_tree["company"].pk).is_working_day(DAY)
    (entry,) = audit("calendar.closure_remove")
    assert (entry.actor, entry.object_id, entry.changes) == (
        admin,
        str(day.pk),
        {"date": [DAY.isoformat(), None]},
    )


def test_removing_a_closure_that_is_not_there_is_not_found(admin):
    with pytest.raises(NotFound) as refused:
        actions.calendar_closure_remove(actor=admin, date=DAY)
    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert audit("calendar.closure_remove") == []


def test_removing_a_closure_twice_is_not_found_the_second_time(admin):
    actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")
    actions.calendar_closure_remove(actor=admin, date=DAY)
    with pytest.raises(NotFound):
        actions.calendar_closure_remove(actor=admin, date=DAY)
    assert len(audit("calendar.closure_remove")) == 1


def test_a_statutory_holiday_is_not_removed_as_a_closure(admin, org_tree):
    actions.calendar_year_load(actor=admin, company_id=org_tree["company"].pk, year=YEAR)
    with pytest.raises(NotFound):
        actions.calendar_closure_remove(actor=admin, date=NATIONAL_DAY)
    assert days_of(org_tree["company"])[NATIONAL_DAY] == DayKind.HOLIDAY


def test_another_companys_closure_cannot_be_removed(admin, other_admin, org_tree):
    actions.calendar_closure_add(actor=other_admin, date=DAY, name="别家停工")
    with pytest.raises(NotFound):
        actions.calendar_closure_remove(actor=admin, date=DAY)
    assert CalendarDay.objects.filter(company=org_tree["other"], date=DAY).exists()
    assert not work_calendar(org_tree["other"].pk).is_working_day(DAY)


def test_removing_a_closure_on_a_make_up_day_gives_the_working_day_back(admin, org_tree):
    company = org_tree["company"].pk
    actions.calendar_year_load(actor=admin, company_id=company, year=YEAR)
    _off, work = holidays.statutory_schedule(YEAR)
    make_up = min(work)  # a weekend worked in exchange for a holiday (调休)
    actions.calendar_closure_add(actor=admin, date=make_up, name="盘点")
    assert not work_calendar(company).is_working_day(make_up)

    actions.calendar_closure_remove(actor=admin, date=make_up)

    assert work_calendar(company).is_working_day(make_up)
    assert days_of(org_tree["company"])[make_up] == DayKind.MAKE_UP


# --- company_hours_set -----------------------------------------------------------------------


def test_working_hours_are_stored_normalised_and_read_by_the_calendar(admin, org_tree):
    company = org_tree["company"].pk
    hours = actions.company_hours_set(
        actor=admin, intervals=[("8:30", "12:00"), ("13:00", "17:30")], weekdays=[5, 0, 1, 1]
    )
    hours.refresh_from_db()
    assert hours.intervals == [["08:30", "12:00"], ["13:00", "17:30"]]
    assert hours.weekdays == [0, 1, 5]

    calendar = work_calendar(company)
    assert calendar.intervals == (
        (dt.time(8, 30), dt.time(12)),
        (dt.time(13), dt.time(17, 30)),
    )
    assert calendar.is_working_day(dt.date(2026, 12, 12))  # a Saturday, now worked
    assert not calendar.is_working_day(dt.date(2026, 12, 9))  # a Wednesday, now off


def test_setting_hours_again_replaces_them_and_each_change_is_audited(admin, org_tree):
    actions.company_hours_set(actor=admin, intervals=[("09:00", "18:00")], weekdays=[0, 1, 2])
    actions.company_hours_set(actor=admin, intervals=[("10:00", "16:00")], weekdays=[3])

    hours = CompanyHours.objects.get(company=org_tree["company"])
    assert (hours.intervals, hours.weekdays) == ([["10:00", "16:00"]], [3])
    entries = audit("calendar.hours_set")
    assert len(entries) == 2
    assert entries[-1].changes == {
        "intervals": [None, [["10:00", "16:00"]]],
        "weekdays": [None, [3]],
    }
    assert entries[-1].object_id == str(hours.pk)


def test_adjacent_intervals_are_allowed(admin):
    hours = actions.company_hours_set(
        actor=admin, intervals=[("09:00", "12:00"), ("12:00", "18:00")], weekdays=[0]
    )
    assert hours.intervals == [["09:00", "12:00"], ["12:00", "18:00"]]


@pytest.mark.parametrize(
    "intervals",
    [
        [],
        [("18:00", "09:00")],  # ends before it starts
        [("09:00", "09:00")],  # empty
        [("09:00", "12:00"), ("11:00", "18:00")],  # overlapping
        [("13:00", "18:00"), ("09:00", "12:00")],  # out of order
        [("9", "18")],  # no minutes
        [("nine", "six")],
        [("09:00", "24:01")],  # past midnight
        [("-01:00", "08:00")],
    ],
)
def test_bad_working_intervals_are_refused_by_field(admin, org_tree, intervals):
    with pytest.raises(ValidationFailed) as refused:
        actions.company_hours_set(actor=admin, intervals=intervals, weekdays=[0, 1, 2, 3, 4])
    assert set(refused.value.errors) == {"intervals"}
    assert not CompanyHours.objects.filter(company=org_tree["company"]).exists()
    assert audit("calendar.hours_set") == []


@pytest.mark.parametrize("weekdays", [[], [7], [-1], [0, 9]])
def test_bad_weekdays_are_refused_by_field(admin, org_tree, weekdays):
    with pytest.raises(ValidationFailed) as refused:
        actions.company_hours_set(actor=admin, intervals=[("09:00", "18:00")], weekdays=weekdays)
    assert set(refused.value.errors) == {"weekdays"}
    assert not CompanyHours.objects.filter(company=org_tree["company"]).exists()


def test_every_bad_field_is_reported_at_once(admin):
    with pytest.raises(ValidationFailed) as refused:
        actions.company_hours_set(actor=admin, intervals=[("18:00", "09:00")], weekdays=[])
    assert set(refused.value.errors) == {"intervals", "weekdays"}


def test_working_hours_belong_to_the_actors_company_only(admin, org_tree):
    actions.company_hours_set(actor=admin, intervals=[("10:00", "16:00")], weekdays=[6])
    assert not CompanyHours.objects.filter(company=org_tree["other"]).exists()
    other = work_calendar(org_tree["other"].pk)
    assert other.intervals == ((dt.time(9), dt.time(18)),)
    assert other.weekdays == frozenset({0, 1, 2, 3, 4})


def test_a_working_day_may_end_at_midnight(admin, org_tree):
    actions.company_hours_set(actor=admin, intervals=[("14:00", "24:00")], weekdays=[0])
    calendar = work_calendar(org_tree["company"].pk)
    monday = dt.date(2026, 12, 7)
    ((start, end),) = calendar.day_intervals(monday)
    assert (start.time(), end - start) == (dt.time(14), dt.timedelta(hours=10))


def test_minutes_past_59_are_refused(admin, org_tree):
    with pytest.raises(ValidationFailed) as refused:
        actions.company_hours_set(actor=admin, intervals=[("09:75", "18:00")], weekdays=[0])
    assert set(refused.value.errors) == {"intervals"}


# --- roles -----------------------------------------------------------------------------------

WRITES: dict[str, Callable[[Any], Any]] = {
    "year_load": lambda actor: actions.calendar_year_load(
        actor=actor, company_id=actor.company_id, year=YEAR
    ),
    "closure_add": lambda actor: actions.calendar_closure_add(actor=actor, date=DAY, name="盘点"),
    "closure_remove": lambda actor: actions.calendar_closure_remove(actor=actor, date=DAY),
    "hours_set": lambda actor: actions.company_hours_set(
        actor=actor, intervals=[("09:00", "18:00")], weekdays=[0]
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize(
    "role",
    [
        Role.AGENT,
        Role.DISPATCHER,
        Role.TECHNICIAN,
        Role.STATION_MANAGER,
        Role.FINANCE,
        Role.DEPARTMENT_HEAD,
    ],
)
def test_only_admins_and_service_managers_edit_the_calendar(
    make_user, org_tree, admin, hooks, role, write
):
    # A closure to remove, so that only the role can be what refuses.
    actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")
    hooks.clear()
    days = days_of(org_tree["company"], DAY.year)

    with pytest.raises(PermissionDenied) as refused:
        WRITES[write](make_user(role))

    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    assert days_of(org_tree["company"], DAY.year) == days
    assert not CalendarYear.objects.filter(year=YEAR).exists()
    assert not CompanyHours.objects.exists()
    assert hooks == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE_MANAGER])
def test_admins_and_service_managers_may_edit_the_calendar(make_user, org_tree, role):
    person = make_user(role)
    for name in ("year_load", "closure_add", "closure_remove", "hours_set"):
        WRITES[name](person)
    assert CalendarYear.objects.filter(company=org_tree["company"], year=YEAR).exists()
    assert CompanyHours.objects.filter(company=org_tree["company"]).exists()


def test_a_user_of_no_company_is_refused(make_user):
    nobody = make_user(Role.ADMIN)
    nobody.company = None
    with pytest.raises(PermissionDenied):
        actions.calendar_closure_add(actor=nobody, date=DAY, name="盘点")
    assert not CalendarDay.objects.filter(date=DAY).exists()


# --- the due-time recompute ------------------------------------------------------------------


def test_each_change_asks_for_a_due_time_recompute_after_commit(
    admin, org_tree, hooks, django_capture_on_commit_callbacks
):
    company = org_tree["company"].pk
    with django_capture_on_commit_callbacks(execute=False) as pending:
        actions.calendar_year_load(actor=admin, company_id=company, year=YEAR)
    assert hooks == []  # nothing runs before the commit
    for callback in pending:
        callback()
    # Loading a year can only settle provisional due times; the other changes move any.
    assert hooks == [(company, True)]

    hooks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.calendar_closure_add(actor=admin, date=DAY, name="盘点")
        actions.calendar_closure_remove(actor=admin, date=DAY)
        actions.company_hours_set(actor=admin, intervals=[("09:00", "17:00")], weekdays=[0])
    assert hooks == [(company, False)] * 3


def test_a_refused_change_asks_for_no_recompute(admin, hooks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationFailed):
            actions.calendar_closure_add(actor=admin, date=DAY, name="")
        with pytest.raises(NotFound):
            actions.calendar_closure_remove(actor=admin, date=DAY)
        with pytest.raises(ValidationFailed):
            actions.company_hours_set(actor=admin, intervals=[], weekdays=[0])
    assert hooks == []


def test_loading_published_years_asks_for_one_recompute_per_year(
    org_tree, hooks, django_capture_on_commit_callbacks
):
    company = org_tree["company"].pk
    with django_capture_on_commit_callbacks(execute=True):
        loaded = actions.calendar_load_published_years(company_id=company, since=YEAR)
    assert loaded
    assert hooks == [(company, True)] * len(loaded)
