"""The KPI core on hand-built event sequences: each KPI's numerator, denominator, value and
drill-down ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aftersales.core.workclock import WorkCalendar
from aftersales.kpi import formulas as f
from aftersales.kpi.formulas import BY_CODE, ComplaintRow, Dims, Event, OrderRow

TZ = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def created(moment: dt.datetime, **due: dt.datetime | None) -> Event:
    payload: dict[str, Any] = {"due": {k: v.isoformat() if v else None for k, v in due.items()}}
    return Event(moment, "created", to_status="registered", payload=payload)


def move(moment: dt.datetime, action: str, to: str, **payload: Any) -> Event:
    return Event(moment, "transition", action=action, to_status=to, payload=payload)


def booked(moment: dt.datetime, start: dt.datetime, end: dt.datetime) -> Event:
    payload = {"start": start.isoformat(), "end": end.isoformat()}
    return Event(moment, "appointment", action="book", payload=payload)


def result(moment: dt.datetime, satisfaction: int, amended: bool = False) -> Event:
    action = "follow_up_amended" if amended else "follow_up_result"
    payload = {"answers": {"fixed": True, "satisfaction": satisfaction}}
    return Event(moment, "follow_up", action=action, payload=payload)


def repair(
    start: dt.datetime,
    *,
    hours_to_complete: float = 5,
    respond_after: float = 1,
    respond_due: float = 2,
    visits: int = 1,
    extra: tuple[Event, ...] = (),
) -> tuple[Event, ...]:
    """created → dispatched → assigned → accepted → en route → on site → completed."""
    ev = [
        created(start, respond=start + respond_due * H, resolve=start + 24 * H),
        move(start + 0.1 * H, "dispatch", "dispatched", station=1),
        move(start + 0.2 * H, "assign", "assigned", technician=7),
        move(start + respond_after * H, "accept", "accepted"),
    ]
    t = start + respond_after * H
    for n in range(visits):
        ev.append(move(t + 0.1 * H, "depart", "en_route"))
        ev.append(move(t + 0.5 * H, "arrive", "on_site"))
        if n < visits - 1:
            ev.append(move(t + 0.7 * H, "revisit", "accepted"))
            t += 0.8 * H
    ev.append(move(start + hours_to_complete * H, "complete", "completed"))
    return tuple(ev) + extra


def contribs(*rows: OrderRow, as_of: dt.datetime = FAR, **kw: Any) -> list[f.Contribution]:
    return f.order_contributions(rows, as_of=as_of, **kw)


def fig(code: str, rows: list[f.Contribution], **kw: Any) -> f.Figure:
    return f.figure(BY_CODE[code], rows, **kw)


# --- definitions -----------------------------------------------------------------------------


def test_every_definition_has_names_target_direction_and_version() -> None:
    codes = [d.code for d in f.DEFINITIONS]
    assert len(codes) == len(set(codes))
    for d in f.DEFINITIONS:
        assert d.name_en and d.name_zh and d.numerator and d.denominator
        assert d.direction in ("higher", "lower")
        assert d.version >= 1
        assert d.as_dict()["code"] == d.code
    for required in (
        "timely_response",
        "on_time_arrival",
        "first_time_fix",
        "repeat_repair_7",
        "repeat_repair_30",
        "repeat_repair_90",
        "follow_up_rate",
        "follow_up_success",
        "satisfaction",
        "complaint_rate",
        "complaints_per_10k_units",
        "mttr_calendar",
        "mttr_working",
        "sla_arrive",
        "sla_resolve",
        "failure_rate",
        "old_part_return_on_time",
        "training_hours",
    ):
        assert required in BY_CODE


def test_meets_reads_the_direction() -> None:
    assert BY_CODE["first_time_fix"].meets(Decimal(95)) is True
    assert BY_CODE["first_time_fix"].meets(Decimal(80)) is False
    assert BY_CODE["mttr_calendar"].meets(Decimal(10)) is True
    assert BY_CODE["mttr_calendar"].meets(None) is None


# --- timely response and SLA ----------------------------------------------------------------


def test_timely_response_counts_on_time_and_late() -> None:
    ok = OrderRow(1, repair(at(2025, 11, 3, 9), respond_after=1))
    late = OrderRow(2, repair(at(2025, 11, 3, 9), respond_after=3))
    got = fig("timely_response", contribs(ok, late))
    assert (got.numerator, got.denominator, got.value) == (1, 2, Decimal("50.00"))
    assert got.numerator_ids == (1,) and got.denominator_ids == (1, 2)


def test_unanswered_order_counts_only_once_its_due_time_passed() -> None:
    start = at(2025, 11, 3, 9)
    row = OrderRow(1, (created(start, respond=start + 2 * H),))
    assert fig("timely_response", contribs(row, as_of=start + H)).denominator == 0
    after = fig("timely_response", contribs(row, as_of=start + 3 * H))
    assert (after.numerator, after.denominator) == (0, 1)


def test_paused_sla_uses_the_due_time_moved_by_the_pause() -> None:
    start = at(2025, 11, 3, 9)
    moved = start + 5 * H
    row = OrderRow(
        1,
        (
            created(start, respond=start + 2 * H),
            move(start + 0.5 * H, "dispatch", "dispatched"),
            move(start + 1 * H, "wait_customer", "waiting_customer"),
            move(start + 4 * H, "resume", "dispatched", due={"respond": moved.isoformat()}),
            move(start + 4.1 * H, "assign", "assigned"),
            move(start + 4.5 * H, "accept", "accepted"),
        ),
    )
    got = fig("timely_response", contribs(row))
    assert (got.numerator, got.denominator) == (1, 1)


def test_paused_order_past_its_old_due_time_is_not_yet_missed() -> None:
    start = at(2025, 11, 3, 9)
    row = OrderRow(
        1,
        (
            created(start, respond=start + 2 * H),
            move(start + 1 * H, "wait_parts", "waiting_parts"),
        ),
    )
    assert fig("timely_response", contribs(row, as_of=start + 10 * H)).denominator == 0


def test_order_without_a_goal_is_not_measured() -> None:
    start = at(2025, 11, 3, 9)
    row = OrderRow(1, (created(start), move(start + H, "dispatch", "dispatched")))
    assert fig("timely_response", contribs(row)).denominator == 0


def test_sla_resolve_and_arrive() -> None:
    start = at(2025, 11, 3, 9)
    events = (
        created(start, arrive=start + 1 * H, resolve=start + 4 * H),
        move(start + 0.2 * H, "assign", "assigned"),
        move(start + 0.3 * H, "accept", "accepted"),
        move(start + 0.4 * H, "depart", "en_route"),
        move(start + 2 * H, "arrive", "on_site"),
        move(start + 3 * H, "complete", "completed"),
    )
    rows = contribs(OrderRow(1, events))
    assert fig("sla_arrive", rows).numerator == 0
    assert fig("sla_resolve", rows).numerator == 1


# --- cancelled, merged, duplicate ------------------------------------------------------------


def test_cancelled_order_is_excluded_everywhere() -> None:
    start = at(2025, 11, 3, 9)
    row = OrderRow(
        1,
        (
            created(start, respond=start + 2 * H),
            move(start + 5 * H, "cancel", "cancelled"),
        ),
    )
    assert contribs(row) == []


@pytest.mark.parametrize("key", ["merged_into", "duplicate_of"])
def test_merged_or_duplicate_order_is_excluded(key: str) -> None:
    start = at(2025, 11, 3, 9)
    events = (*repair(start), Event(start + 6 * H, "edit", payload={key: 99}))
    assert contribs(OrderRow(1, events)) == []


# --- on-time arrival -------------------------------------------------------------------------


def test_on_time_arrival_inside_and_outside_the_booked_window() -> None:
    start = at(2025, 11, 3, 9)
    window = (start + H, start + 3 * H)
    inside = OrderRow(1, (booked(start, *window), *repair(start, respond_after=1)))
    outside = OrderRow(2, (booked(start, *window), *repair(start, respond_after=3)))
    unbooked = OrderRow(3, repair(start))
    got = fig("on_time_arrival", contribs(inside, outside, unbooked))
    assert (got.numerator, got.denominator) == (1, 2)
    assert got.numerator_ids == (1,)


def test_rescheduled_window_counts_not_the_first_one() -> None:
    start = at(2025, 11, 3, 9)
    resched = Event(
        start + 0.05 * H,
        "appointment",
        action="reschedule",
        payload={"start": (start + 3 * H).isoformat(), "end": (start + 5 * H).isoformat()},
    )
    row = OrderRow(
        1, (booked(start, start + H, start + 2 * H), resched, *repair(start, respond_after=3))
    )
    assert fig("on_time_arrival", contribs(row)).numerator == 1


def test_missed_window_without_arrival_counts_after_the_window() -> None:
    start = at(2025, 11, 3, 9)
    row = OrderRow(1, (created(start), booked(start, start + H, start + 2 * H)))
    assert fig("on_time_arrival", contribs(row, as_of=start + 1.5 * H)).denominator == 0
    got = fig("on_time_arrival", contribs(row, as_of=start + 3 * H))
    assert (got.numerator, got.denominator) == (0, 1)


# --- first-time fix and repeat repair --------------------------------------------------------


def test_first_time_fix_needs_one_visit() -> None:
    start = at(2025, 11, 3, 9)
    one = OrderRow(1, repair(start), unit=10, dims=Dims(fault_code=5))
    two = OrderRow(2, repair(start, visits=2), unit=11, dims=Dims(fault_code=5))
    got = fig("first_time_fix", contribs(one, two))
    assert (got.numerator, got.denominator) == (1, 2)
    assert got.numerator_ids == (1,)


def test_reopened_order_is_a_repeat_and_not_a_first_time_fix() -> None:
    start = at(2025, 11, 3, 9)
    done = start + 5 * H
    first = OrderRow(
        1,
        (*repair(start), Event(done + 3 * 24 * H, "reopened_as", action="reopen")),
        unit=10,
        dims=Dims(fault_code=5),
    )
    again_start = done + 3 * 24 * H
    second_events = list(repair(again_start))
    second_events[0] = Event(
        again_start, "created", to_status="reopened", payload={"reopened_from": 1}
    )
    second = OrderRow(2, tuple(second_events), unit=10, dims=Dims(fault_code=5))
    rows = contribs(first, second)
    assert fig("first_time_fix", rows).numerator_ids == (2,)
    assert fig("repeat_repair_7", rows).numerator_ids == (1,)
    assert fig("repeat_repair_30", rows).numerator_ids == (1,)


@pytest.mark.parametrize(
    ("days_later", "r7", "r30", "r90"),
    [
        (3, 1, 1, 1),
        (7, 1, 1, 1),
        (8, 0, 1, 1),
        (45, 0, 0, 1),
        (91, 0, 0, 0),
    ],
)
def test_repeat_within_and_outside_n_days(days_later: int, r7: int, r30: int, r90: int) -> None:
    start = at(2025, 3, 3, 9)
    done = start + 5 * H
    first = OrderRow(1, repair(start), unit=10, dims=Dims(fault_code=5))
    later = OrderRow(
        2, repair(done + dt.timedelta(days=days_later)), unit=10, dims=Dims(fault_code=5)
    )
    rows = [c for c in contribs(first, later) if c.subject_id == 1]
    assert fig("repeat_repair_7", rows).numerator == r7
    assert fig("repeat_repair_30", rows).numerator == r30
    assert fig("repeat_repair_90", rows).numerator == r90
    assert fig("first_time_fix", rows).numerator == 1 - r30


def test_same_unit_other_fault_or_cancelled_comeback_is_no_repeat() -> None:
    start = at(2025, 3, 3, 9)
    first = OrderRow(1, repair(start), unit=10, dims=Dims(fault_code=5))
    other_fault = OrderRow(2, repair(start + 48 * H), unit=10, dims=Dims(fault_code=6))
    cancelled = OrderRow(
        3,
        (created(start + 72 * H), move(start + 73 * H, "cancel", "cancelled")),
        unit=10,
        dims=Dims(fault_code=5),
    )
    rows = [c for c in contribs(first, other_fault, cancelled) if c.subject_id == 1]
    assert fig("repeat_repair_30", rows).numerator == 0


def test_repeat_window_comes_from_the_definition() -> None:
    start = at(2025, 3, 3, 9)
    first = OrderRow(1, repair(start), unit=10, dims=Dims(fault_code=5))
    later = OrderRow(2, repair(start + dt.timedelta(days=20)), unit=10, dims=Dims(fault_code=5))
    defs = dict(BY_CODE)
    defs["first_time_fix"] = f.KpiDefinition(
        **{**BY_CODE["first_time_fix"].__dict__, "reopen_days": 14, "version": 2}
    )
    rows = [c for c in contribs(first, later, definitions=defs) if c.subject_id == 1]
    assert fig("first_time_fix", rows).numerator == 1


def test_installation_is_not_a_repair() -> None:
    row = OrderRow(1, repair(at(2025, 3, 3, 9)), service_type="installation")
    rows = contribs(row)
    assert fig("first_time_fix", rows).denominator == 0
    assert fig("follow_up_rate", rows).denominator == 1


# --- follow-up and satisfaction --------------------------------------------------------------


def test_late_follow_up_corrects_the_completion_period() -> None:
    start = at(2025, 11, 28, 9)
    before = OrderRow(1, repair(start))
    late = OrderRow(1, (*repair(start), result(start + dt.timedelta(days=9), 5)))
    got_before = fig("follow_up_rate", contribs(before))
    got_after = fig("follow_up_rate", contribs(late))
    assert (got_before.numerator, got_before.denominator) == (0, 1)
    assert (got_after.numerator, got_after.denominator) == (1, 1)
    # ... and the figure still belongs to the day of completion (November), not December
    day = {c.day for c in contribs(late) if c.kpi == "follow_up_rate"}
    assert day == {dt.date(2025, 11, 28)}


def test_follow_up_success_counts_unreachable_against() -> None:
    start = at(2025, 11, 3, 9)
    reached = OrderRow(1, (*repair(start), result(start + 30 * H, 4)))
    unreachable = OrderRow(
        2,
        (
            *repair(start),
            Event(start + 40 * H, "follow_up", action="attempt", payload={"status": "unreachable"}),
        ),
    )
    waiting = OrderRow(3, repair(start))
    got = fig("follow_up_success", contribs(reached, unreachable, waiting))
    assert (got.numerator, got.denominator) == (1, 2)


def test_satisfaction_counts_four_and_five_and_the_amendment_wins() -> None:
    start = at(2025, 11, 3, 9)
    rows = contribs(
        OrderRow(1, (*repair(start), result(start + 30 * H, 5))),
        OrderRow(2, (*repair(start), result(start + 30 * H, 3))),
        OrderRow(3, (*repair(start), result(start + 30 * H, 2), result(start + 50 * H, 4, True))),
        OrderRow(4, repair(start)),
    )
    got = fig("satisfaction", rows)
    assert (got.numerator, got.denominator) == (2, 3)
    assert got.numerator_ids == (1, 3)
    assert got.value == Decimal("66.67")


# --- complaints ------------------------------------------------------------------------------


def test_complaint_rate_per_order_and_per_10k_units() -> None:
    start = at(2025, 11, 3, 9)
    orders = contribs(*(OrderRow(i, repair(start)) for i in range(1, 5)))
    complaints = f.complaint_contributions(
        [
            ComplaintRow(100, start + 48 * H, order=1),
            ComplaintRow(101, start + 48 * H, order=None),
            ComplaintRow(102, start + 48 * H, order=2, valid=False),
        ]
    )
    rows = orders + complaints
    rate = fig("complaint_rate", rows)
    assert (rate.numerator, rate.denominator, rate.value) == (2, 4, Decimal("50.00"))
    assert rate.numerator_ids == (1, 101)
    per_units = fig("complaints_per_10k_units", rows, denominator=4000)
    assert per_units.value == Decimal("5.00")


# --- MTTR ------------------------------------------------------------------------------------


def china_2025() -> WorkCalendar:
    off = {dt.date(2025, 10, d) for d in range(1, 9)}
    return WorkCalendar(
        days_off=frozenset(off),
        make_up_days=frozenset({dt.date(2025, 9, 28), dt.date(2025, 10, 11)}),
    )


def test_mttr_calendar_and_working_hours_across_the_national_day_holiday() -> None:
    start = at(2025, 9, 30, 16)
    done = at(2025, 10, 10, 10)
    events = (
        created(start),
        move(start + H, "accept", "accepted"),
        move(done - H, "arrive", "on_site"),
        move(done, "complete", "completed"),
    )
    rows = contribs(OrderRow(1, events), calendar=china_2025())
    calendar = fig("mttr_calendar", rows)
    working = fig("mttr_working", rows)
    assert calendar.value == Decimal(9 * 24 + 18)  # 30 Sep 16:00 → 10 Oct 10:00
    assert working.value == Decimal(12)  # 2 h on 30 Sep, 9 h on 9 Oct, 1 h on 10 Oct


def test_mttr_is_the_mean() -> None:
    start = at(2025, 11, 3, 9)
    rows = contribs(
        OrderRow(1, repair(start, hours_to_complete=4)),
        OrderRow(2, repair(start, hours_to_complete=8)),
    )
    got = fig("mttr_calendar", rows)
    assert (got.numerator, got.denominator, got.value) == (12, 2, Decimal(6))


# --- parts, training, failure rate -----------------------------------------------------------


def test_old_part_returned_on_time() -> None:
    due = dt.date(2025, 11, 10)
    rows = f.return_contributions(
        [
            f.ReturnRow(1, 11, due, at(2025, 11, 10, 23)),
            f.ReturnRow(2, 12, due, at(2025, 11, 11, 1)),
            f.ReturnRow(3, 13, due, None),
            f.ReturnRow(4, 14, dt.date(2025, 12, 30), None),
        ],
        as_of=at(2025, 11, 20, 9),
    )
    got = fig("old_part_return_on_time", rows)
    assert (got.numerator, got.denominator) == (1, 3)
    assert got.numerator_ids == (11,)


def test_training_hours_per_technician() -> None:
    rows = f.training_contributions(
        [
            f.TrainingRow(1, 7, Decimal(16), dt.date(2025, 3, 1)),
            f.TrainingRow(2, 7, Decimal(30), dt.date(2025, 6, 1)),
            f.TrainingRow(3, 8, Decimal(8), dt.date(2025, 6, 1)),
        ]
    )
    got = fig("training_hours", rows, denominator=2)
    assert got.value == Decimal(27)
    assert BY_CODE["training_hours"].meets(got.value) is False


def test_failure_rate_per_model() -> None:
    start = at(2025, 11, 3, 9)
    rows = contribs(
        OrderRow(1, repair(start), dims=Dims(model=1)),
        OrderRow(2, repair(start), dims=Dims(model=1)),
        OrderRow(3, repair(start), dims=Dims(model=2)),
    )
    units = {1: 1000, 2: 100}
    got = f.grouped(BY_CODE["failure_rate"], rows, "model", lambda m: units[m])
    assert got[1].value == Decimal(20)
    assert got[2].value == Decimal(100)


# --- periods, grouping, backlog --------------------------------------------------------------


def test_period_uses_the_local_day() -> None:
    # 30 Nov 23:30 in Shanghai is 30 Nov 15:30 UTC; 1 Dec 00:30 Shanghai is 30 Nov UTC
    a = OrderRow(1, repair(at(2025, 11, 30, 18), hours_to_complete=5.5))
    b = OrderRow(2, repair(at(2025, 11, 30, 19), hours_to_complete=5.5))
    rows = f.in_period(contribs(a, b), dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert fig("mttr_calendar", rows).denominator_ids == (1,)


def test_grouped_by_station() -> None:
    start = at(2025, 11, 3, 9)
    rows = contribs(
        OrderRow(1, repair(start), dims=Dims(station=1)),
        OrderRow(2, repair(start, visits=2), dims=Dims(station=2)),
        OrderRow(3, repair(start), dims=Dims(station=2)),
    )
    got = f.grouped(BY_CODE["first_time_fix"], rows, "station")
    assert got[1].value == Decimal(100)
    assert got[2].value == Decimal(50)


def test_backlog_and_ageing_from_events() -> None:
    t0 = at(2025, 11, 1, 9)
    rows = [
        OrderRow(1, (created(t0),)),
        OrderRow(2, (created(t0 + dt.timedelta(days=8)),)),
        OrderRow(3, repair(t0)),
        OrderRow(4, (created(t0), move(t0 + H, "cancel", "cancelled"))),
        OrderRow(5, (created(t0 + dt.timedelta(days=20)),)),
    ]
    got = f.backlog(rows, t0 + dt.timedelta(days=10))
    assert got.open_ids == (1, 2)
    assert got.buckets["3-7d"] == () and got.buckets["1-3d"] == (2,)
    assert got.buckets["7-30d"] == (1,)
    # before the repair was completed it was backlog too
    assert f.backlog(rows, t0 + 2 * H).open_ids == (1, 3)


def test_station_and_technician_come_from_the_events() -> None:
    start = at(2025, 11, 3, 9)
    events = (
        created(start),
        move(start + H, "dispatch", "dispatched", station=1),
        move(start + 2 * H, "redispatch", "dispatched", station=2),
        move(start + 3 * H, "assign", "assigned", technician=8),
    )
    got = f.attributed(events, Dims(station=9, technician=9, region=9), {2: 20})
    assert (got.station, got.technician, got.region) == (2, 8, 20)
    assert f.attributed((created(start),), Dims(station=9)).station == 9


def test_completed_order_that_never_arrived_missed_its_arrival_goal() -> None:
    start = at(2025, 11, 3, 9)
    events = (
        created(start, arrive=start + 100 * H),
        move(start + H, "accept", "accepted"),
        move(start + 2 * H, "complete", "completed"),
    )
    got = fig("sla_arrive", contribs(OrderRow(1, events), as_of=start + 3 * H))
    assert (got.numerator, got.denominator) == (0, 1)


def test_order_without_events_adds_nothing() -> None:
    assert contribs(OrderRow(1, ())) == []


def test_parts_turnaround_counts_fulfilled_requests() -> None:
    t = at(2025, 11, 3, 9)
    rows = f.parts_contributions(
        [
            f.PartsRequestRow(1, 11, t, t + 30 * H),
            f.PartsRequestRow(2, None, t, t + 10 * H),
            f.PartsRequestRow(3, 13, t, None),  # still open, rejected or cancelled
        ]
    )
    got = fig("parts_turnaround", rows)
    assert (got.numerator, got.denominator, got.value) == (40, 2, Decimal(20))
    assert got.numerator_ids == (2, 11)
