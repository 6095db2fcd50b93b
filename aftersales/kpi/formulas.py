"""KPI definitions and formulas: a pure core (plain data in, numbers out, no Django).

Every figure is computed from event rows, never from an order's mutable fields alone:

1. `derive(order)` reads one order's events (created, transitions, appointments, follow-ups)
   and returns the `OrderFacts` the formulas need (first response, arrival, completion, the due
   time in force at each moment, visits, the booked window, follow-up results, exclusions).
2. `order_contributions(...)` turns the facts of every order into `Contribution` rows: one per
   KPI and subject, with the day that places it in a period (the anchor), the dimensions it is
   grouped by, and how much it adds to the numerator and the denominator.
3. `figure(rows)` adds contributions up: numerator, denominator, value and the ids in each
   (the drill-down a manager opens to dispute a figure).

The daily rollups and the frozen snapshots are sums of the same contributions, so a rollup, a
from-scratch computation and a snapshot always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.core.workclock import WorkCalendar, working_time_between

TZ = ZoneInfo("Asia/Shanghai")
HOUR = Decimal(3600)
PLACES = Decimal("0.0001")

# Order statuses the formulas care about (plain strings: the core imports no Django).
PAUSED = frozenset({"waiting_parts", "waiting_customer"})
FINAL = frozenset({"closed", "cancelled"})
NOT_BACKLOG = frozenset({"completed", "followed_up", "closed", "cancelled"})
REPAIR = "repair"
SATISFIED_FROM = 4  # satisfaction 1-5: 4 (satisfied) and 5 (very satisfied) count
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-1d", 1),
    ("1-3d", 3),
    ("3-7d", 7),
    ("7-30d", 30),
    ("30d+", None),
)


# --- definitions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    name_en: str
    name_zh: str
    numerator: str
    denominator: str
    start_event: str
    end_event: str
    # The event whose (Asia/Shanghai) day places a contribution in a period.
    anchor: str
    unit: str  # percent / hours / count / per_10k / hours_per_person
    target: Decimal
    direction: str  # higher / lower: which way is better
    version: int = 1
    exclusions: tuple[str, ...] = ("cancelled", "merged", "duplicate")
    reopen_days: int | None = None
    clock: str | None = None  # calendar / working, for durations
    sla_target: str | None = None  # respond / arrive / resolve
    # "units": the denominator is the units in service at the end of the period;
    # "technicians": the technicians in the group (training hours per person).
    stock_denominator: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "start_event": self.start_event,
            "end_event": self.end_event,
            "anchor": self.anchor,
            "unit": self.unit,
            "target": str(self.target),
            "direction": self.direction,
            "version": self.version,
            "exclusions": list(self.exclusions),
            "reopen_days": self.reopen_days,
            "clock": self.clock,
            "sla_target": self.sla_target,
            "stock_denominator": self.stock_denominator,
        }

    def meets(self, value: Decimal | None) -> bool | None:
        if value is None:
            return None
        return value >= self.target if self.direction == "higher" else value <= self.target


def _repeat(days: int) -> KpiDefinition:
    return KpiDefinition(
        code=f"repeat_repair_{days}",
        name_en=f"Repeat repair ({days} days)",
        name_zh=f"返修率（{days}天）",
        numerator=f"completed repairs whose unit comes back with the same fault within {days} days",
        denominator="completed repairs",
        start_event="transition complete",
        end_event=f"created (same unit and fault code) or reopened_as within {days} days",
        anchor="first completion",
        unit="percent",
        target={7: Decimal(2), 30: Decimal(5), 90: Decimal(8)}[days],
        direction="lower",
        reopen_days=days,
    )


DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        code="timely_response",
        name_en="Timely response",
        name_zh="及时响应率",
        numerator="orders first responded (technician accepts) by the response due time",
        denominator="orders with a response goal, responded or past their due time",
        start_event="created",
        end_event="transition accept",
        anchor="created",
        unit="percent",
        target=Decimal(95),
        direction="higher",
        sla_target="respond",
    ),
    KpiDefinition(
        code="on_time_arrival",
        name_en="On-time arrival",
        name_zh="按时上门率",
        numerator="first check-ins inside the booked window",
        denominator="booked visits arrived or past the window's end",
        start_event="appointment book/reschedule",
        end_event="transition arrive",
        anchor="booked window start",
        unit="percent",
        target=Decimal(95),
        direction="higher",
    ),
    KpiDefinition(
        code="sla_arrive",
        name_en="Arrival within SLA",
        name_zh="上门时效达成率",
        numerator="orders checked in on site by the arrival due time",
        denominator="orders with an arrival goal, arrived or past their due time",
        start_event="created",
        end_event="transition arrive",
        anchor="created",
        unit="percent",
        target=Decimal(90),
        direction="higher",
        sla_target="arrive",
    ),
    KpiDefinition(
        code="sla_resolve",
        name_en="Resolution within SLA",
        name_zh="修复时效达成率",
        numerator="orders completed by the resolution due time",
        denominator="orders with a resolution goal, completed or past their due time",
        start_event="created",
        end_event="transition complete",
        anchor="created",
        unit="percent",
        target=Decimal(90),
        direction="higher",
        sla_target="resolve",
    ),
    KpiDefinition(
        code="first_time_fix",
        name_en="First-time fix",
        name_zh="一次修复率",
        numerator="repairs completed on the first visit with no repeat for the unit and fault "
        "within 30 days",
        denominator="completed repairs",
        start_event="transition arrive",
        end_event="transition complete",
        anchor="first completion",
        unit="percent",
        target=Decimal(90),
        direction="higher",
        reopen_days=30,
    ),
    _repeat(7),
    _repeat(30),
    _repeat(90),
    KpiDefinition(
        code="follow_up_rate",
        name_en="Follow-up rate",
        name_zh="回访率",
        numerator="completed orders with a recorded follow-up result",
        denominator="completed orders",
        start_event="transition complete",
        end_event="follow_up follow_up_result",
        anchor="first completion",
        unit="percent",
        target=Decimal(95),
        direction="higher",
    ),
    KpiDefinition(
        code="follow_up_success",
        name_en="Follow-up success",
        name_zh="回访成功率",
        numerator="follow-ups with a recorded result",
        denominator="follow-ups finished (result recorded or unreachable)",
        start_event="follow_up created",
        end_event="follow_up result or unreachable",
        anchor="first completion",
        unit="percent",
        target=Decimal(90),
        direction="higher",
    ),
    KpiDefinition(
        code="satisfaction",
        name_en="Satisfaction",
        name_zh="满意度",
        numerator="ratings 4 or 5 (satisfied, very satisfied), the latest amendment counting",
        denominator="valid ratings",
        start_event="transition complete",
        end_event="follow_up follow_up_result / follow_up_amended",
        anchor="first completion",
        unit="percent",
        target=Decimal(90),
        direction="higher",
    ),
    KpiDefinition(
        code="complaint_rate",
        name_en="Complaint rate",
        name_zh="投诉率",
        numerator="valid complaints received",
        denominator="completed orders",
        start_event="complaint received",
        end_event="complaint received",
        anchor="complaint received / first completion",
        unit="percent",
        target=Decimal(1),
        direction="lower",
    ),
    KpiDefinition(
        code="complaints_per_10k_units",
        name_en="Complaints per 10,000 units",
        name_zh="万台投诉率",
        numerator="valid complaints received",
        denominator="units in service at the end of the period / 10,000",
        start_event="complaint received",
        end_event="complaint received",
        anchor="complaint received",
        unit="per_10k",
        target=Decimal(5),
        direction="lower",
        stock_denominator="units",
    ),
    KpiDefinition(
        code="mttr_calendar",
        name_en="Mean time to repair (calendar hours)",
        name_zh="平均修复时长（自然小时）",
        numerator="sum of hours from creation to first completion",
        denominator="completed repairs",
        start_event="created",
        end_event="transition complete",
        anchor="first completion",
        unit="hours",
        target=Decimal(48),
        direction="lower",
        clock="calendar",
    ),
    KpiDefinition(
        code="mttr_working",
        name_en="Mean time to repair (working hours)",
        name_zh="平均修复时长（工作小时）",
        numerator="sum of working hours (company calendar) from creation to first completion",
        denominator="completed repairs",
        start_event="created",
        end_event="transition complete",
        anchor="first completion",
        unit="hours",
        target=Decimal(16),
        direction="lower",
        clock="working",
    ),
    KpiDefinition(
        code="failure_rate",
        name_en="Failure rate",
        name_zh="故障率",
        numerator="repair orders taken",
        denominator="units in service at the end of the period / 10,000",
        start_event="created",
        end_event="created",
        anchor="created",
        unit="per_10k",
        target=Decimal(200),
        direction="lower",
        stock_denominator="units",
    ),
    KpiDefinition(
        code="old_part_return_on_time",
        name_en="Old parts returned on time",
        name_zh="旧件按时返还率",
        numerator="old parts shipped back on or before the return date",
        denominator="return obligations shipped or past their return date",
        start_event="return create",
        end_event="return ship",
        anchor="return date",
        unit="percent",
        target=Decimal(95),
        direction="higher",
        exclusions=(),
    ),
    KpiDefinition(
        code="parts_turnaround",
        name_en="Parts turnaround (hours)",
        name_zh="备件周转时长（小时）",
        numerator="sum of hours from a parts request's submission to its fulfilment",
        denominator="parts requests fulfilled",
        start_event="parts request submit",
        end_event="parts request fulfil",
        anchor="fulfilment",
        unit="hours",
        target=Decimal(72),
        direction="lower",
        exclusions=("rejected", "cancelled"),
        clock="calendar",
    ),
    KpiDefinition(
        code="training_hours",
        name_en="Training hours per technician",
        name_zh="人均培训学时",
        numerator="training hours recorded",
        denominator="technicians",
        start_event="training record",
        end_event="training record",
        anchor="training date",
        unit="hours_per_person",
        target=Decimal(40),
        direction="higher",
        exclusions=(),
        stock_denominator="technicians",
    ),
)

BY_CODE: dict[str, KpiDefinition] = {d.code: d for d in DEFINITIONS}
ORDER_KPIS = tuple(
    d.code
    for d in DEFINITIONS
    if d.code
    not in {
        "old_part_return_on_time",
        "training_hours",
        "complaints_per_10k_units",
        "parts_turnaround",
    }
)


# --- plain input rows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    action: str = ""
    from_status: str = ""
    to_status: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dims:
    """What a contribution is grouped by (ids; None when unknown)."""

    station: int | None = None
    technician: int | None = None
    region: int | None = None
    model: int | None = None
    fault_code: int | None = None
    category: int | None = None
    service_type: str = ""


@dataclass(frozen=True)
class OrderRow:
    id: int
    events: tuple[Event, ...]
    service_type: str = REPAIR
    unit: int | None = None
    dims: Dims = field(default_factory=Dims)


@dataclass(frozen=True)
class ComplaintRow:
    id: int
    received_at: dt.datetime
    order: int | None = None
    valid: bool = True
    dims: Dims = field(default_factory=Dims)


@dataclass(frozen=True)
class ReturnRow:
    id: int
    order: int | None
    due: dt.date
    shipped_at: dt.datetime | None
    dims: Dims = field(default_factory=Dims)


@dataclass(frozen=True)
class PartsRequestRow:
    id: int
    order: int | None
    submitted_at: dt.datetime | None
    fulfilled_at: dt.datetime | None
    dims: Dims = field(default_factory=Dims)


@dataclass(frozen=True)
class TrainingRow:
    id: int
    technician: int
    hours: Decimal
    date: dt.date
    dims: Dims = field(default_factory=Dims)


@dataclass(frozen=True)
class Contribution:
    kpi: str
    subject: str  # order / complaint / return / training
    subject_id: int
    order: int | None
    day: dt.date
    num: Decimal
    den: Decimal
    dims: Dims


def attributed(
    events: Iterable[Event], fallback: Dims, region_of: Mapping[int, int] | None = None
) -> Dims:
    """The station and technician the events last handed the order to (dispatch / redispatch,
    assign), the region of that station; the order's own columns only where no event says."""
    station, technician = fallback.station, fallback.technician
    for e in sorted(events, key=lambda e: e.at):
        if e.kind != "transition":
            continue
        if e.action in ("dispatch", "redispatch") and e.payload.get("station"):
            station = int(e.payload["station"])
        elif e.action == "assign" and e.payload.get("technician"):
            technician = int(e.payload["technician"])
    region = (region_of or {}).get(station, fallback.region) if station else fallback.region
    return Dims(
        station=station,
        technician=technician,
        region=region,
        model=fallback.model,
        fault_code=fallback.fault_code,
        category=fallback.category,
        service_type=fallback.service_type,
    )


# --- facts of one order from its events ------------------------------------------------------


@dataclass(frozen=True)
class OrderFacts:
    id: int
    created_at: dt.datetime
    status: str  # the last status its events reached
    excluded: str  # "" or the exclusion: cancelled / merged / duplicate
    met: dict[str, dt.datetime]  # target -> moment met (first accept / arrive / complete)
    due_at_met: dict[str, dt.datetime | None]  # the due time in force when met
    due_now: dict[str, dt.datetime | None]  # the latest due time recorded
    goals: frozenset[str]  # targets the order has a due time for
    paused: bool
    arrivals: tuple[dt.datetime, ...]  # check-ins, in order
    revisits: int
    window: tuple[dt.datetime, dt.datetime] | None  # booked window in force at arrival
    follow_up_result_at: dt.datetime | None
    follow_up_unreachable: bool
    satisfaction: int | None
    reopened_at: tuple[dt.datetime, ...]
    reopened_from: int | None


def _parse(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def derive(order: OrderRow) -> OrderFacts:
    """The facts of one order, read from its events in time order."""
    events = sorted(order.events, key=lambda e: e.at)
    created_at = events[0].at if events else dt.datetime.min.replace(tzinfo=dt.UTC)
    status = ""
    excluded = ""
    met: dict[str, dt.datetime] = {}
    due_at_met: dict[str, dt.datetime | None] = {}
    due_now: dict[str, dt.datetime | None] = {}
    goals: set[str] = set()
    arrivals: list[dt.datetime] = []
    revisits = 0
    booked: tuple[dt.datetime, dt.datetime] | None = None
    window: tuple[dt.datetime, dt.datetime] | None = None
    result_at: dt.datetime | None = None
    unreachable = False
    satisfaction: int | None = None
    reopened_at: list[dt.datetime] = []
    reopened_from: int | None = None
    end_action = {"accept": "respond", "arrive": "arrive", "complete": "resolve"}
    for e in events:
        payload = e.payload or {}
        due = payload.get("due")
        if e.kind in ("created", "transition", "due_recomputed") and isinstance(due, Mapping):
            for target, moment in due.items():
                if target in ("respond", "arrive", "resolve"):
                    due_now[target] = _parse(moment)
                    if moment is not None:
                        goals.add(target)
        if payload.get("merged_into") or payload.get("duplicate_of"):
            excluded = "merged" if payload.get("merged_into") else "duplicate"
        if e.kind == "created":
            status = e.to_status or status
            if payload.get("reopened_from"):
                reopened_from = int(payload["reopened_from"])
        elif e.kind == "transition":
            status = e.to_status or status
            target = end_action.get(e.action)
            if target and target not in met:
                met[target] = e.at
                due_at_met[target] = due_now.get(target)
            if e.action == "arrive":
                arrivals.append(e.at)
                if window is None and booked is not None:
                    window = booked
            elif e.action == "revisit":
                revisits += 1
        elif e.kind == "appointment" and e.action in ("book", "reschedule"):
            start, end = _parse(payload.get("start")), _parse(payload.get("end"))
            if start is not None and end is not None and not arrivals:
                booked = (start, end)
        elif e.kind == "follow_up":
            if e.action in ("follow_up_result", "follow_up_amended"):
                if result_at is None:
                    result_at = e.at
                score = (payload.get("answers") or {}).get("satisfaction")
                if isinstance(score, int) and not isinstance(score, bool):
                    satisfaction = score
            elif payload.get("status") == "unreachable":
                unreachable = True
        elif e.kind == "reopened_as":
            reopened_at.append(e.at)
    if status == "cancelled" and not excluded:
        excluded = "cancelled"
    if window is None and booked is not None and not arrivals:
        window = booked
    return OrderFacts(
        id=order.id,
        created_at=created_at,
        status=status,
        excluded=excluded,
        met=met,
        due_at_met=due_at_met,
        due_now=due_now,
        goals=frozenset(goals),
        paused=status in PAUSED,
        arrivals=tuple(arrivals),
        revisits=revisits,
        window=window,
        follow_up_result_at=result_at,
        follow_up_unreachable=unreachable and result_at is None,
        satisfaction=satisfaction,
        reopened_at=tuple(reopened_at),
        reopened_from=reopened_from,
    )


# --- contributions ---------------------------------------------------------------------------


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.days * 86400 + delta.seconds) / HOUR).quantize(PLACES, ROUND_HALF_UP)


def sla_outcome(facts: OrderFacts, target: str, as_of: dt.datetime) -> bool | None:
    """True met by its due time, False missed, None not decided yet (or nothing to measure)."""
    if facts.excluded or target not in facts.goals:
        return None
    done = facts.met.get(target)
    if done is not None:
        due = facts.due_at_met.get(target)
        return due is None or done <= due
    if facts.status in NOT_BACKLOG:  # finished without meeting it: missed, whatever the clock
        return False
    if facts.paused:  # the clock stands still: nothing is decided while it waits
        return None
    due = facts.due_now.get(target)
    if due is None or due >= as_of:
        return None
    return False


def repeat_within(
    facts: OrderFacts, row: OrderRow, later: Sequence[tuple[OrderRow, OrderFacts]], days: int
) -> list[int]:
    """Ids of the orders that brought the unit back with the same fault within `days` of this
    order's completion (a reopen, or a new order for the unit and fault code)."""
    done = facts.met.get("resolve")
    if done is None:
        return []
    limit = done + dt.timedelta(days=days)
    found: list[int] = []
    for other_row, other in later:
        if other.id == facts.id or other.excluded in ("merged", "duplicate"):
            continue
        if other.reopened_from == facts.id and other.created_at <= limit:
            found.append(other.id)
            continue
        if (
            row.unit is not None
            and other_row.unit == row.unit
            and other_row.dims.fault_code == row.dims.fault_code
            and done < other.created_at <= limit
            and other.excluded != "cancelled"
        ):
            found.append(other.id)
    return sorted(set(found))


def decides_at(rows: Iterable[OrderRow], *, as_of: dt.datetime) -> dict[int, dt.datetime]:
    """Per order, the next moment after `as_of` at which its contributions change with the
    clock alone (a due time or a booked window's end passing while it is open and not
    paused); orders the clock cannot change are left out. Everything else that changes a
    figure is an event, so the job recomputes an order again only for a new event or once
    this moment has passed."""
    out: dict[int, dt.datetime] = {}
    for r in rows:
        f = derive(r)
        if f.excluded or not r.events or f.status in NOT_BACKLOG or f.status in PAUSED:
            continue
        times = [
            due
            for target in f.goals
            if target not in f.met and (due := f.due_now.get(target)) is not None and due >= as_of
        ]
        if f.window is not None and not f.arrivals and f.window[1] >= as_of:
            times.append(f.window[1])
        if times:
            out[r.id] = min(times)
    return out


def order_contributions(
    rows: Iterable[OrderRow],
    *,
    as_of: dt.datetime,
    calendar: WorkCalendar | None = None,
    definitions: Mapping[str, KpiDefinition] | None = None,
) -> list[Contribution]:
    """Every order KPI's contribution from these orders (all orders of the units concerned
    must be passed for the repeat-repair figures to see the comebacks)."""
    defs = definitions or BY_CODE
    calendar = calendar or WorkCalendar()
    rows = list(rows)
    facts = {r.id: derive(r) for r in rows}
    by_unit: dict[int, list[tuple[OrderRow, OrderFacts]]] = {}
    reopened: dict[int, list[tuple[OrderRow, OrderFacts]]] = {}
    for r in rows:
        f = facts[r.id]
        if r.unit is not None:
            by_unit.setdefault(r.unit, []).append((r, f))
        if f.reopened_from is not None:
            reopened.setdefault(f.reopened_from, []).append((r, f))
    out: list[Contribution] = []

    for r in rows:
        f = facts[r.id]
        if f.excluded or not r.events:
            continue

        def add(
            code: str, day: dt.date, num: Decimal | int, den: Decimal | int, r: OrderRow = r
        ) -> None:
            if code in defs:
                out.append(
                    Contribution(code, "order", r.id, r.id, day, Decimal(num), Decimal(den), r.dims)
                )

        created_day = local_day(f.created_at)
        for code, target in (
            ("timely_response", "respond"),
            ("sla_arrive", "arrive"),
            ("sla_resolve", "resolve"),
        ):
            outcome = sla_outcome(f, target, as_of)
            if outcome is not None:
                add(code, created_day, int(outcome), 1)

        if f.window is not None:
            start, end = f.window
            first = f.arrivals[0] if f.arrivals else None
            if first is not None:
                add("on_time_arrival", local_day(start), int(start <= first <= end), 1)
            elif end < as_of and f.status not in NOT_BACKLOG | PAUSED:
                add("on_time_arrival", local_day(start), 0, 1)

        if r.service_type == REPAIR:
            add("failure_rate", created_day, 1, 0)

        done = f.met.get("resolve")
        if done is None:
            continue
        done_day = local_day(done)
        add("follow_up_rate", done_day, int(f.follow_up_result_at is not None), 1)
        if f.follow_up_result_at is not None or f.follow_up_unreachable:
            add("follow_up_success", done_day, int(f.follow_up_result_at is not None), 1)
        if f.satisfaction is not None:
            add("satisfaction", done_day, int(f.satisfaction >= SATISFIED_FROM), 1)
        add("complaint_rate", done_day, 0, 1)
        if r.service_type != REPAIR:
            continue
        candidates = list(reopened.get(r.id, []))
        if r.unit is not None:
            candidates += by_unit.get(r.unit, [])
        for days in (7, 30, 90):
            code = f"repeat_repair_{days}"
            window_days = defs[code].reopen_days if code in defs else days
            came_back = repeat_within(f, r, candidates, window_days or days)
            add(code, done_day, int(bool(came_back)), 1)
        ftf = defs.get("first_time_fix")
        if ftf is not None:
            again = repeat_within(f, r, candidates, ftf.reopen_days or 30)
            first_visit = len(f.arrivals) <= 1 and f.revisits == 0
            add("first_time_fix", done_day, int(first_visit and not again), 1)
        add("mttr_calendar", done_day, _hours(done - f.created_at), 1)
        if "mttr_working" in defs:
            worked = working_time_between(calendar, f.created_at, done).duration
            add("mttr_working", done_day, _hours(worked), 1)
    return out


def complaint_contributions(rows: Iterable[ComplaintRow]) -> list[Contribution]:
    out = []
    for c in rows:
        if not c.valid:
            continue
        day = local_day(c.received_at)
        for code in ("complaint_rate", "complaints_per_10k_units"):
            out.append(
                Contribution(code, "complaint", c.id, c.order, day, Decimal(1), Decimal(0), c.dims)
            )
    return out


def return_contributions(rows: Iterable[ReturnRow], *, as_of: dt.datetime) -> list[Contribution]:
    out = []
    for r in rows:
        if r.shipped_at is not None:
            on_time = local_day(r.shipped_at) <= r.due
        elif local_day(as_of) > r.due:
            on_time = False
        else:
            continue  # not due yet
        out.append(
            Contribution(
                "old_part_return_on_time",
                "return",
                r.id,
                r.order,
                r.due,
                Decimal(int(on_time)),
                Decimal(1),
                r.dims,
            )
        )
    return out


def parts_contributions(rows: Iterable[PartsRequestRow]) -> list[Contribution]:
    """Hours from submission to fulfilment, per fulfilled request (rejected or cancelled
    requests are never fulfilled and add nothing)."""
    out = []
    for r in rows:
        if r.submitted_at is None or r.fulfilled_at is None:
            continue
        hours = _hours(r.fulfilled_at - r.submitted_at)
        out.append(
            Contribution(
                "parts_turnaround",
                "parts",
                r.id,
                r.order,
                local_day(r.fulfilled_at),
                hours,
                Decimal(1),
                r.dims,
            )
        )
    return out


def training_contributions(rows: Iterable[TrainingRow]) -> list[Contribution]:
    return [
        Contribution("training_hours", "training", t.id, None, t.date, t.hours, Decimal(0), t.dims)
        for t in rows
    ]


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None
    numerator_ids: tuple[int, ...]
    denominator_ids: tuple[int, ...]


def value_of(definition: KpiDefinition, num: Decimal, den: Decimal) -> Decimal | None:
    """The figure's value from its numerator and denominator (None when nothing to divide by)."""
    if den == 0:
        return None
    scale = {"percent": Decimal(100), "per_10k": Decimal(10000)}.get(definition.unit, Decimal(1))
    return (num * scale / den).quantize(Decimal("0.01"), ROUND_HALF_UP)


def figure(
    definition: KpiDefinition,
    rows: Iterable[Contribution],
    *,
    denominator: Decimal | int | None = None,
) -> Figure:
    """Add contributions up; `denominator` replaces theirs for stock denominators (units in
    service, technicians)."""
    num = Decimal(0)
    den = Decimal(0)
    num_ids: set[int] = set()
    den_ids: set[int] = set()
    for c in rows:
        if c.kpi != definition.code:
            continue
        num += c.num
        den += c.den
        ident = c.order if c.order is not None else c.subject_id
        if c.num:
            num_ids.add(ident)
        if c.den:
            den_ids.add(ident)
    if denominator is not None:
        den = Decimal(denominator)
    return Figure(
        num, den, value_of(definition, num, den), tuple(sorted(num_ids)), tuple(sorted(den_ids))
    )


def in_period(rows: Iterable[Contribution], start: dt.date, end: dt.date) -> list[Contribution]:
    """Contributions whose day falls in [start, end] (both included)."""
    return [c for c in rows if start <= c.day <= end]


def group_key(dims: Dims, by: str) -> Any:
    return getattr(dims, by)


def grouped(
    definition: KpiDefinition,
    rows: Iterable[Contribution],
    by: str,
    denominators: Callable[[Any], Decimal | int | None] | None = None,
) -> dict[Any, Figure]:
    groups: dict[Any, list[Contribution]] = {}
    for c in rows:
        if c.kpi == definition.code:
            groups.setdefault(group_key(c.dims, by), []).append(c)
    if denominators is not None:
        return {k: figure(definition, v, denominator=denominators(k)) for k, v in groups.items()}
    return {k: figure(definition, v) for k, v in groups.items()}


# --- backlog ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    open_ids: tuple[int, ...]
    buckets: dict[str, tuple[int, ...]]


def status_at(order: OrderRow, moment: dt.datetime) -> str:
    """The status an order's events had reached at `moment` ("" before it existed)."""
    status = ""
    for e in sorted(order.events, key=lambda e: e.at):
        if e.at > moment:
            break
        if e.kind in ("created", "transition") and e.to_status:
            status = e.to_status
    return status


def backlog(rows: Iterable[OrderRow], at: dt.datetime) -> Backlog:
    """Orders open (not yet completed or cancelled) at `at`, by age since creation."""
    open_ids: list[int] = []
    buckets: dict[str, list[int]] = {name: [] for name, _ in AGE_BUCKETS}
    for r in rows:
        status = status_at(r, at)
        if not status or status in NOT_BACKLOG:
            continue
        created = min(e.at for e in r.events)
        age_days = (at - created).total_seconds() / 86400
        open_ids.append(r.id)
        for name, limit in AGE_BUCKETS:
            if limit is None or age_days < limit:
                buckets[name].append(r.id)
                break
    return Backlog(tuple(sorted(open_ids)), {k: tuple(sorted(v)) for k, v in buckets.items()})
