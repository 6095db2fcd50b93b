"""Dispatch: booking (the windows offered are read in `dispatch/selectors.py`), manual and
automatic assignment, the day plan (propose → commit) and the dispatcher's moves. Assignments always go through the order
actions, so every change is an order event."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Region, Skill, Station, TechnicianProfile, User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.accounts.selectors import stations_visible_to
from aftersales.catalog.models import ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.deletion import delete_with_audit
from aftersales.core.errors import ApplicationError, Conflict, NotFound, check_version
from aftersales.core.queue import trigger
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.dispatch import capacity
from aftersales.dispatch.choices import KEEP_TECHNICIAN, PLANNABLE, REASON_TEXT, PlanStatus
from aftersales.dispatch.lock_objects import lock_orders, lock_plan, lock_technicians
from aftersales.dispatch.models import (
    DispatchPlan,
    DispatchSettings,
    Leave,
    ServiceDuration,
    Shift,
    SkillRequirement,
    Territory,
    Visit,
)
from aftersales.dispatch.optimizer.explain import assignment_reasons
from aftersales.dispatch.optimizer.problem import Job, Problem, refusal
from aftersales.dispatch.optimizer.schedule import best_insertion
from aftersales.dispatch.optimizer.solver import solve
from aftersales.dispatch.optimizer.travel import HaversineTravel
from aftersales.dispatch.selectors import (
    OPEN_FOR_VISITS,
    Candidate,
    booked_jobs,
    candidates_for,
    day_slots,
    stations_for,
    visible_order,
    worker_user_id,
)
from aftersales.notifications.actions import notify_customer
from aftersales.orders.actions import order_event, order_transition
from aftersales.orders.choices import EventKind, ServiceType
from aftersales.orders.models import OrderEvent, ServiceOrder

# Functions (taking the locked order and its new visit) run when a visit is booked or moved,
# in the booking's transaction: higher apps (maintenance reserves the service's parts kit)
# register theirs in `AppConfig.ready()`.
BOOKED_HOOKS: list[Any] = []


def _visible_station(actor: User, station: Station | int) -> Station:
    pk = station.pk if isinstance(station, Station) else int(station)
    found = stations_visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


@transaction.atomic
def appointment_book(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    start: dt.datetime,
    end: dt.datetime,
    version: int | None = None,
    by_customer: bool = False,
    reason: str = "",
    force: bool = False,
    now: dt.datetime | None = None,
) -> Visit:
    """Book (or move) the order's appointment into a window that can be served, reserving a
    technician's capacity. Moving a visit we promised needs `notice_hours` of notice unless
    the customer asked; a late move needs a reason and is recorded as late notice. A window
    after the promised arrival time (the service level's) needs a reason too, unless the
    customer asked for it; it is recorded as a late booking."""
    if actor is not None:
        require(actor, Perm.ORDER_EDIT)
    now = now or clock.now()
    visible = visible_order(actor, order)
    day = start.astimezone(capacity.tz()).date()
    stations = stations_for(visible)
    # Lock order of dispatch: technicians, then plan, then orders (lock_objects).
    lock_technicians(t.user_id for t in capacity.technician_days([s.pk for s in stations], day))
    locked = lock_orders([visible.pk])[visible.pk]
    check_version(locked, version, _("Someone else changed this order; reload it and try again."))
    if locked.status not in PLANNABLE | KEEP_TECHNICIAN:
        raise Conflict("not_bookable", _("This order can no longer be given an appointment."))
    conf = capacity.dispatch_settings(locked.company_id)
    reason = (reason or "").strip()[:500]
    late = False
    old = (locked.appointment_start, locked.appointment_end)
    short_notice = old[0] is not None and old[0] - now < dt.timedelta(hours=conf.notice_hours)
    if short_notice and not by_customer:
        allowed = force and reason and actor is not None and has_perm(actor, Perm.ORDER_ASSIGN)
        if not allowed:
            raise Conflict(
                "late_notice",
                _(
                    "The customer must be told at least %(h)d hours before the visit; a later "
                    "change needs a dispatcher and a reason."
                )
                % {"h": conf.notice_hours},
            )
        late = True
    late_booking = locked.arrive_due is not None and start > locked.arrive_due
    if late_booking and not reason and not by_customer:
        due = locked.arrive_due.astimezone(capacity.tz()) if locked.arrive_due else None
        raise _invalid(
            "reason",
            _(
                "This window starts after the promised arrival time (%(due)s): give the reason "
                "(it is kept with the booking), or say that the customer asked for it."
            )
            % {"due": f"{due:%Y-%m-%d %H:%M}"},
        )
    facts = capacity.OrderFacts(locked.company_id)
    slots = {(s.start, s.end): s for s in day_slots(visible, day, now, stations, conf, facts)}
    slot = slots.get((start, end))
    if slot is None:
        raise Conflict(
            "slot_unavailable",
            _("This window can no longer be served; choose another one."),
            details={"start": start.isoformat(), "end": end.isoformat()},
        )
    Visit.objects.filter(order=locked, ended_at__isnull=True).update(ended_at=now)
    station_id = locked.station_id or _station_of(slot.technician_id)
    visit = Visit.objects.create(
        order=locked,
        technician_id=locked.technician_id or slot.technician_id,
        station_id=station_id,
        day=day,
        planned_start=start,
        reasons={"reserved_for": slot.technician_id, "added_km": slot.added_km},
    )
    locked.appointment_start, locked.appointment_end = start, end
    locked.version += 1
    locked.save(update_fields=["appointment_start", "appointment_end", "version", "updated_at"])
    order_event(
        locked,
        actor=actor,
        kind=EventKind.APPOINTMENT,
        action="reschedule" if old[0] else "book",
        reason=reason,
        payload={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "previous": [x.isoformat() if x else None for x in old] if old[0] else None,
            "by_customer": by_customer,
            "late_notice": late,
            "late_booking": late_booking,
            "reserved_technician": slot.technician_id,
        },
    )
    if locked.station_id is None:
        order_transition(actor=None, order=locked, action="dispatch", station=station_id)
    local = start.astimezone(capacity.tz())
    transaction.on_commit(
        lambda: notify_customer(
            company_id=locked.company_id,
            customer=locked.customer,
            event="appointment",
            context={
                "number": locked.number,
                "day": local.date().isoformat(),
                "start": local.strftime("%H:%M"),
                "end": end.astimezone(capacity.tz()).strftime("%H:%M"),
            },
            dedupe_key=f"appointment:{locked.pk}:{locked.version}",
        )
    )
    for hook in BOOKED_HOOKS:
        hook(locked, visit)
    return visit


def _station_of(user_id: int) -> int:
    return int(User.objects.filter(pk=user_id).values_list("station_id", flat=True).first() or 0)


@transaction.atomic
def order_auto_assign(*, order_id: int, now: dt.datetime | None = None) -> ServiceOrder | None:
    """On intake: territory → skills → workload → distance. Dispatches to the covering station
    and assigns the best qualified technician who has room; leaves the order for the
    dispatcher when nobody fits. Records why."""
    now = now or clock.now()
    # The order's lock for the whole decision: the intake's job, the retry sweep's job and a
    # dispatcher assigning by hand are served one after the other; the later ones see the
    # technician and leave the order alone (tests/test_auto_assign_race.py).
    if not lock_orders([order_id]):
        return None
    order = (
        ServiceOrder.objects.filter(pk=order_id)
        .select_related("address", "unit__product_model", "unit__address", "station")
        .first()
    )
    if order is None or order.technician_id or order.status not in PLANNABLE:
        return None
    if not capacity.dispatch_settings(order.company_id).auto_assign:
        return None
    stations = stations_for(order)
    day = (order.appointment_start or order.preferred_start or now).astimezone(capacity.tz()).date()
    best: tuple[tuple[Any, ...], Station, Candidate] | None = None
    for station in stations:
        for cand in candidates_for(order, station.pk, day):
            if not cand.qualified or cand.added_minutes is None:
                continue
            key = (cand.visits, cand.added_minutes)
            if best is None or key < best[0]:
                best = (key, station, cand)
    if best is None:
        return None
    _key, station, cand = best
    fresh = ServiceOrder.objects.get(pk=order_id)
    if fresh.status != "dispatched" or fresh.station_id != station.pk:
        action = "redispatch" if fresh.status == "dispatched" else "dispatch"
        fresh = order_transition(actor=None, order=fresh, action=action, station=station.pk, at=now)
    fresh = order_transition(
        actor=None, order=fresh, action="assign", technician=cand.technician_id, at=now
    )
    order_event(
        fresh,
        actor=None,
        kind=EventKind.PLANNED,
        action="auto_assign",
        payload={
            "technician": cand.technician_id,
            "station": station.pk,
            "visits_that_day": cand.visits,
            "added_minutes": cand.added_minutes,
            "added_km": cand.added_km,
        },
        at=now,
    )
    return fresh


# An order left waiting for automatic assignment (its worker was killed mid-job, the queue was
# away when it was triggered) is tried again once, after this long with nothing done to it.
AUTO_ASSIGN_RETRY_AFTER = dt.timedelta(minutes=10)
# Older orders are the dispatcher's: the sweep never reaches back further than this.
AUTO_ASSIGN_RETRY_WINDOW = dt.timedelta(days=1)
# Events written by the intake itself fall within this of the order's creation; anything later
# means somebody (or the automatic assignment) has handled the order.
_INTAKE_EVENTS = dt.timedelta(seconds=5)


def auto_assign_retry_sweep(
    *,
    now: dt.datetime | None = None,
    after: dt.timedelta = AUTO_ASSIGN_RETRY_AFTER,
    window: dt.timedelta = AUTO_ASSIGN_RETRY_WINDOW,
) -> list[int]:
    """Re-enqueue the automatic assignment of orders still waiting for it, exactly once each.

    Waiting: the company assigns automatically, the order is plannable with no technician,
    was registered between `window` and `after` ago, and has no event since its intake (no
    person and no assignment has touched it). Each one gets a `planned/auto_assign_retry`
    event under the order's lock before the trigger, so a second sweep (or a concurrent one on
    another worker) never enqueues it again. Returns the ids enqueued.
    """
    from aftersales.dispatch.tasks import auto_assign_task  # noqa: PLC0415 (tasks import actions)

    now = now or clock.now()
    companies = DispatchSettings.objects.filter(auto_assign=True).values("company_id")
    later = OrderEvent.objects.filter(
        order=OuterRef("pk"), at__gt=F("order__created_at") + _INTAKE_EVENTS
    )
    waiting = list(
        ServiceOrder.objects.filter(
            company_id__in=companies,
            technician__isnull=True,
            status__in=PLANNABLE,
            created_at__gt=now - window,
            created_at__lte=now - after,
        )
        .exclude(Exists(later))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    enqueued: list[int] = []
    for order_id in waiting:
        with transaction.atomic():
            order = lock_orders([order_id]).get(order_id)
            if (
                order is None
                or order.technician_id
                or order.events.filter(at__gt=order.created_at + _INTAKE_EVENTS).exists()
            ):
                continue
            order_event(
                order,
                actor=None,
                kind=EventKind.PLANNED,
                action="auto_assign_retry",
                payload={"waited_minutes": int((now - order.created_at).total_seconds() // 60)},
                at=now,
            )
            transaction.on_commit(partial(trigger, auto_assign_task, order_id))
        enqueued.append(order_id)
    return enqueued


# --- the day plan ----------------------------------------------------------------------------


def _clock_time(seconds: int) -> str:
    """Seconds after midnight as HH:MM."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _hm(day: dt.date, seconds: int) -> str:
    return capacity.at_seconds(day, seconds).isoformat()


@transaction.atomic
def plan_propose(
    *,
    actor: User,
    station: Station | int,
    day: dt.date,
    seconds: float | None = None,
    now: dt.datetime | None = None,
    seed: int = 0,
) -> DispatchPlan:
    """Optimise a station's day and keep the proposal for review. Nothing is assigned yet."""
    require(actor, Perm.ORDER_ASSIGN)
    found = _visible_station(actor, station)
    now = now or clock.now()
    if day < now.astimezone(capacity.tz()).date():
        raise ApplicationError("day_passed", _("This day is over; it can no longer be planned."))
    conf = capacity.dispatch_settings(found.company_id)
    limit = min(float(seconds or conf.optimise_seconds), 60.0)
    data = capacity.build_day(found, day, now)
    result = solve(data.problem, seconds=limit, seed=seed)
    routes = []
    for route in result.routes:
        tech = data.techs[worker_user_id(route.worker)]
        stops = []
        for k, stop in enumerate(route.stops):
            oid = worker_user_id(stop.job)
            order = data.orders[oid]
            stops.append(
                {
                    "order": oid,
                    "number": order.number,
                    "priority": order.priority,
                    "arrive": _hm(day, stop.arrive),
                    "start": _hm(day, stop.start),
                    "end": _hm(day, stop.end),
                    "travel_min": stop.travel // 60,
                    "reasons": assignment_reasons(data.problem, route, k),
                }
            )
        routes.append(
            {
                "technician": tech.user_id,
                "name": tech.name,
                "depart": _hm(day, route.depart),
                "back": _hm(day, route.back),
                "km": round(route.distance / 1000, 1),
                "travel_min": route.travel // 60,
                "started": data.started.get(tech.user_id, []),
                "stops": stops,
            }
        )
    unserved = [
        {"order": worker_user_id(j), "number": data.orders[worker_user_id(j)].number, "reason": why}
        for j, why in result.unserved.items()
    ] + [
        {"order": oid, "number": data.orders[oid].number, "reason": "no_location"}
        for oid in data.no_location
    ]
    plan = DispatchPlan.objects.create(
        company_id=found.company_id,
        station=found,
        day=day,
        created_by=actor,
        created_at=now,
        seconds=result.seconds,
        result={
            "routes": routes,
            "unserved": unserved,
            "versions": {str(o.pk): o.version for o in data.orders.values()},
            "visits": sorted(
                Visit.objects.filter(station=found, day=day, ended_at__isnull=True).values_list(
                    "pk", flat=True
                )
            ),
            "metrics": {
                "orders": len(data.orders),
                "served": result.served,
                "km": round(result.distance / 1000, 1),
                "technicians": len(data.techs),
                "violations": result.violations,
            },
        },
    )
    return plan


def plan_commit(
    *, actor: User, plan: DispatchPlan | int, now: dt.datetime | None = None
) -> DispatchPlan:
    """Commit a proposal: assign each order through the order actions, set its visit (sequence
    and times), and return orders the plan left out to dispatch. Refused (409) when the plan
    was already committed or any of its orders changed since it was proposed."""
    require(actor, Perm.ORDER_ASSIGN)
    with transaction.atomic():
        committed, changed = _commit(actor, plan, now)
    if committed is None:
        raise _StalePlan(changed)
    return committed


def _commit(
    actor: User, plan: DispatchPlan | int, now: dt.datetime | None
) -> tuple[DispatchPlan | None, list[str]]:
    pk = plan.pk if isinstance(plan, DispatchPlan) else int(plan)
    if not DispatchPlan.objects.filter(pk=pk, station__in=stations_visible_to(actor)).exists():
        raise NotFound("not_found", _("Not found."))
    station_id, day = DispatchPlan.objects.filter(pk=pk).values_list("station_id", "day").get()
    lock_technicians(
        TechnicianProfile.objects.filter(station_id=station_id).values_list("user_id", flat=True)
    )
    locked_plan = lock_plan(pk)
    assert locked_plan is not None
    if locked_plan.status != PlanStatus.PROPOSED:
        raise Conflict(
            "plan_not_proposed",
            _("This plan is %(status)s and cannot be committed.")
            % {"status": PlanStatus(locked_plan.status).label},
        )
    now = now or clock.now()
    versions = {int(k): v for k, v in locked_plan.result.get("versions", {}).items()}
    orders = lock_orders(versions)
    stale = [o.number or str(o.pk) for pk, o in orders.items() if o.version != versions[pk]]
    # A visit booked or placed on the day after the proposal takes capacity it did not see.
    seen = set(locked_plan.result.get("visits", []))
    stale += [
        v.order.number
        for v in Visit.objects.filter(station_id=station_id, day=day, ended_at__isnull=True)
        .exclude(pk__in=seen)
        .exclude(order_id__in=list(versions))
        .select_related("order")
    ]
    if stale or len(orders) != len(versions):
        locked_plan.status = PlanStatus.STALE
        locked_plan.save(update_fields=["status"])  # kept: the refusal is raised after commit
        return None, stale
    planned: set[int] = set()
    for route in locked_plan.result.get("routes", []):
        tech_id = route["technician"]
        for seq, stop in enumerate(route["stops"], start=1):
            order = orders[stop["order"]]
            planned.add(order.pk)
            order = _assign(actor, order, tech_id, locked_plan.station_id, now)
            Visit.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)
            Visit.objects.create(
                order=order,
                technician_id=tech_id,
                station_id=locked_plan.station_id,
                day=day,
                sequence=seq,
                planned_start=dt.datetime.fromisoformat(stop["start"]),
                planned_end=dt.datetime.fromisoformat(stop["end"]),
                travel_minutes=stop["travel_min"],
                locked=bool(stop["reasons"].get("locked")),
                plan=locked_plan,
                reasons=stop["reasons"],
                created_at=now,
            )
            order_event(
                order,
                actor=actor,
                kind=EventKind.PLANNED,
                action="plan",
                payload={
                    "plan": locked_plan.pk,
                    "technician": tech_id,
                    "sequence": seq,
                    "eta": stop["start"],
                    "reasons": stop["reasons"],
                },
                at=now,
            )
    for item in locked_plan.result.get("unserved", []):
        left = orders.get(item["order"])
        if left is None or left.pk in planned:
            continue
        if left.status == "assigned":
            order_transition(
                actor=actor,
                order=left,
                action="unassign",
                reason=str(_("Not in the day's plan: %(why)s") % {"why": item["reason"]}),
                at=now,
            )
        Visit.objects.filter(order=left, ended_at__isnull=True, day=day).update(ended_at=now)
    locked_plan.status = PlanStatus.COMMITTED
    locked_plan.committed_by = actor
    locked_plan.committed_at = now
    locked_plan.save(update_fields=["status", "committed_by", "committed_at"])
    return locked_plan, []


class _StalePlan(Conflict):
    def __init__(self, changed: list[str]) -> None:
        super().__init__(
            "plan_stale",
            _("Orders changed since this plan was proposed (%(orders)s); optimise again.")
            % {"orders": ", ".join(changed[:10])},
            details={"changed": changed},
        )


def _assign(
    actor: User | None, order: ServiceOrder, tech_id: int, station_id: int, now: dt.datetime
) -> ServiceOrder:
    """Bring the order to `assigned` to this technician through the order actions."""
    if order.technician_id == tech_id and order.status in ("assigned", "accepted"):
        return order
    if order.status in ("registered", "reopened", "triaged"):
        order = order_transition(
            actor=actor, order=order, action="dispatch", station=station_id, at=now
        )
    if order.status == "assigned":
        order = order_transition(
            actor=actor, order=order, action="unassign", reason=str(_("Re-planned")), at=now
        )
    return order_transition(actor=actor, order=order, action="assign", technician=tech_id, at=now)


@transaction.atomic
def plan_discard(*, actor: User, plan: DispatchPlan | int) -> DispatchPlan:
    require(actor, Perm.ORDER_ASSIGN)
    pk = plan.pk if isinstance(plan, DispatchPlan) else int(plan)
    if not DispatchPlan.objects.filter(pk=pk, station__in=stations_visible_to(actor)).exists():
        raise NotFound("not_found", _("Not found."))
    locked_plan = lock_plan(pk)
    assert locked_plan is not None
    if locked_plan.status == PlanStatus.PROPOSED:
        locked_plan.status = PlanStatus.DISCARDED
        locked_plan.save(update_fields=["status"])
    return locked_plan


@transaction.atomic
def visit_move(
    *,
    actor: User,
    order: ServiceOrder | int,
    technician: int,
    start: dt.datetime,
    now: dt.datetime | None = None,
) -> Visit:
    """The dispatcher places a visit by hand: this technician, this start. The visit is locked
    (the optimiser keeps it) and the order is assigned through the order actions. Refused when
    the technician is not qualified or the day cannot hold it."""
    require(actor, Perm.ORDER_ASSIGN)
    now = now or clock.now()
    visible = visible_order(actor, order)
    if visible.status not in PLANNABLE or visible.station_id is None:
        raise Conflict("not_movable", _("Only orders not yet accepted can be moved."))
    day = start.astimezone(capacity.tz()).date()
    lock_technicians([technician])
    locked = lock_orders([visible.pk])[visible.pk]
    conf = capacity.dispatch_settings(locked.company_id)
    facts = capacity.OrderFacts(locked.company_id)
    # As locked: an order of no station (taken away since it was read) has no technicians.
    station_id = locked.station_id
    stations = [] if station_id is None else [station_id]
    techs = {t.user_id: t for t in capacity.technician_days(stations, day)}
    tech = techs.get(int(technician))
    if tech is None or station_id is None:
        raise ApplicationError("not_working", _("This technician does not work on that day."))
    place, point = capacity.order_place(visible)
    if point is None:
        raise ApplicationError("no_location", _("The address has no coordinates."))
    s = capacity.seconds_of(start, day)
    service = facts.minutes(visible) * 60
    if s < tech.shift_start or s + service > tech.shift_end:
        raise ApplicationError(
            "outside_shift",
            _(
                "%(name)s works %(start)s–%(end)s that day and the visit takes %(minutes)d "
                "minutes: place it within those hours."
            )
            % {
                "name": tech.name,
                "start": _clock_time(tech.shift_start),
                "end": _clock_time(tech.shift_end),
                "minutes": service // 60,
            },
        )
    job = Job(
        id=locked.pk,
        at=point,
        service=service,
        windows=((s, s + 60),),
        skills=facts.skills(visible),
        territory_workers=None if tech.covers(place) else frozenset(),
    )
    booked, every = booked_jobs([tech.user_id], day, conf, facts, exclude=locked.pk)
    travel = HaversineTravel(detour=conf.detour_factor, speed_kmh=conf.speed_kmh)
    problem = Problem(jobs=[*every, job], workers=[tech.worker()], travel=travel)
    worker = problem.workers_by_id[tech.user_id]
    why = refusal(worker, job)
    if why:
        raise ApplicationError("not_qualified", REASON_TEXT.get(why, why))
    ins = best_insertion(problem, worker, booked[tech.user_id], job)
    if ins is None:
        raise ApplicationError(
            "does_not_fit",
            _(
                "The technician's day cannot take this visit at that time (windows, travel or "
                "the end of the shift)."
            ),
        )
    order = _assign(actor, locked, tech.user_id, station_id, now)
    Visit.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)
    stop = next(st for st in ins[1].stops if st.job == locked.pk)
    planned_start = capacity.at_seconds(day, stop.start)
    visit = Visit.objects.create(
        order=order,
        technician_id=tech.user_id,
        station_id=station_id,
        day=day,
        sequence=ins[1].jobs.index(locked.pk) + 1,
        planned_start=planned_start,
        planned_end=capacity.at_seconds(day, stop.end),
        travel_minutes=stop.travel // 60,
        locked=True,
        created_at=now,
    )
    order_event(
        order,
        actor=actor,
        kind=EventKind.PLANNED,
        action="move",
        payload={
            "technician": tech.user_id,
            "start": planned_start.isoformat(),
            "locked": True,
        },
        at=now,
    )
    for hook in BOOKED_HOOKS:
        hook(order, visit)
    return visit


# --- capacity: shifts, leave, territories, durations, skill requirements ---------------------

MAX_LEAVE_DAYS = 366


def _visible_technician(actor: User, technician: Any) -> TechnicianProfile:
    """A technician (by user id) of a station the actor sees."""
    found = (
        TechnicianProfile.objects.filter(
            station__in=stations_visible_to(actor), user_id=as_id(technician)
        )
        .select_related("user", "station")
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _invalid(field: str, message: Any) -> ValidationFailed:
    return ValidationFailed({field: message})


@transaction.atomic
def shift_set(
    *,
    actor: User,
    technician: Any,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    break_minutes: int = 60,
    now: dt.datetime | None = None,
) -> Shift:
    """Set a technician's hours on one day (replacing that day's shift). A shift on a day the
    calendar marks as rest means the technician works it."""
    require(actor, Perm.CAPACITY_EDIT)
    profile = _visible_technician(actor, technician)
    today = (now or clock.now()).astimezone(capacity.tz()).date()
    if day < today:
        raise _invalid("day", _("This day is over."))
    if end <= start:
        raise _invalid("end", _("The shift must end after it starts."))
    length = (dt.datetime.combine(day, end) - dt.datetime.combine(day, start)).seconds // 60
    if not 0 <= int(break_minutes) <= min(240, length - 30):
        raise _invalid("break_minutes", _("The break must leave at least 30 minutes of work."))
    existing = Shift.objects.select_for_update().filter(technician=profile, day=day).first()
    before = snapshot(existing, ("start", "end", "break_minutes")) if existing else {}
    shift = existing or Shift(technician=profile, day=day)
    shift.start, shift.end, shift.break_minutes = start, end, int(break_minutes)
    shift.save()
    audit_record(
        actor=actor,
        action="shift.set",
        obj=shift,
        changes=changed(
            before,
            {"technician": profile.user_id, "day": day.isoformat()}
            | snapshot(shift, ("start", "end", "break_minutes")),
        ),
    )
    return shift


@transaction.atomic
def shift_delete(*, actor: User, shift: Any) -> None:
    require(actor, Perm.CAPACITY_EDIT)
    found = Shift.objects.filter(
        pk=as_id(shift), technician__station__in=stations_visible_to(actor)
    ).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    delete_with_audit(
        actor=actor, obj=found, fields=("technician", "day", "start", "end", "break_minutes")
    )


@dataclass(frozen=True)
class LeaveResult:
    leave: Leave
    # Live visits already planned on those days: the dispatcher must move them.
    affected: list[Visit]


@transaction.atomic
def leave_add(
    *,
    actor: User,
    technician: Any,
    first_day: dt.date,
    last_day: dt.date,
    reason: str = "",
) -> LeaveResult:
    """Record leave. Overlapping leave is refused; the visits the technician already has on
    those days are returned so that the dispatcher can move them (they are not moved here)."""
    require(actor, Perm.CAPACITY_EDIT)
    profile = _visible_technician(actor, technician)
    if last_day < first_day:
        raise _invalid("last_day", _("Leave must end on or after the day it starts."))
    if (last_day - first_day).days >= MAX_LEAVE_DAYS:
        raise _invalid("last_day", _("Leave is recorded for at most a year at a time."))
    TechnicianProfile.objects.select_for_update().filter(pk=profile.pk).first()
    if Leave.objects.filter(
        technician=profile, first_day__lte=last_day, last_day__gte=first_day
    ).exists():
        raise Conflict("leave_overlaps", _("This technician already has leave on those days."))
    leave = Leave.objects.create(
        technician=profile, first_day=first_day, last_day=last_day, reason=reason.strip()[:200]
    )
    audit_record(
        actor=actor,
        action="leave.add",
        obj=leave,
        changes={
            "technician": [None, profile.user_id],
            "first_day": [None, first_day.isoformat()],
            "last_day": [None, last_day.isoformat()],
        },
        reason=leave.reason,
    )
    affected = list(
        Visit.objects.filter(
            technician_id=profile.user_id,
            day__gte=first_day,
            day__lte=last_day,
            ended_at__isnull=True,
            order__status__in=OPEN_FOR_VISITS,
        ).select_related("order")
    )
    return LeaveResult(leave, affected)


@transaction.atomic
def leave_delete(*, actor: User, leave: Any) -> None:
    require(actor, Perm.CAPACITY_EDIT)
    found = Leave.objects.filter(
        pk=as_id(leave), technician__station__in=stations_visible_to(actor)
    ).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    delete_with_audit(actor=actor, obj=found, fields=("technician", "first_day", "last_day"))


def _polygon(value: Any) -> list[list[float]]:
    if not value:
        return []
    try:
        ring = [[float(p[0]), float(p[1])] for p in value]
    except (TypeError, ValueError, IndexError, KeyError):
        raise _invalid("polygon", _("Give the polygon as [[longitude, latitude], ...].")) from None
    if len(ring) < 3 or len(ring) > 500:
        raise _invalid("polygon", _("A polygon needs between 3 and 500 points."))
    if any(not (-180 <= x <= 180 and -90 <= y <= 90) for x, y in ring):
        raise _invalid("polygon", _("A point is outside the range of longitude or latitude."))
    return ring


def _prefixes(value: str) -> str:
    parts = [x.strip() for x in (value or "").replace("，", ",").split(",") if x.strip()]
    if any(not p.isdigit() or len(p) > 6 for p in parts):
        raise _invalid("postcode_prefixes", _("Postcode prefixes are up to 6 digits each."))
    return ",".join(parts)


@transaction.atomic
def territory_save(
    *,
    actor: User,
    station: Any,
    name: str,
    territory: Any = None,
    regions: list[int] | None = None,
    postcode_prefixes: str = "",
    polygon: Any = None,
    technicians: list[int] | None = None,
) -> Territory:
    """Create or replace a territory: the areas it covers and the station's technicians who
    work it. A territory that covers nothing is refused."""
    require(actor, Perm.CAPACITY_EDIT)
    found_station = _visible_station(actor, station)
    name = (name or "").strip()[:100]
    if not name:
        raise _invalid("name", _("This field is required."))
    region_rows = list(
        Region.objects.filter(company_id=found_station.company_id, pk__in=regions or [])
    )
    if len(region_rows) != len(set(regions or [])):
        raise _invalid("regions", _("Unknown region."))
    prefixes = _prefixes(postcode_prefixes)
    ring = _polygon(polygon)
    if not region_rows and not prefixes and not ring:
        raise _invalid("regions", _("A territory must cover regions, postcodes or a polygon."))
    techs = list(
        TechnicianProfile.objects.filter(station=found_station, user_id__in=technicians or [])
    )
    if len(techs) != len(set(technicians or [])):
        raise _invalid("technicians", _("Only this station's technicians can work its territory."))
    if territory is None:
        row = Territory(company_id=found_station.company_id, station=found_station)
        before: dict[str, Any] = {}
    else:
        found = (
            Territory.objects.select_for_update()
            .filter(pk=as_id(territory), station__in=stations_visible_to(actor))
            .first()
        )
        if found is None:
            raise NotFound("not_found", _("Not found."))
        row = found
        before = snapshot(row, ("station", "name", "postcode_prefixes", "polygon"))
        before["regions"] = sorted(row.regions.values_list("pk", flat=True))
        before["technicians"] = sorted(row.technicians.values_list("user_id", flat=True))
        row.station = found_station
    row.name, row.postcode_prefixes, row.polygon = name, prefixes, ring
    row.save()
    row.regions.set(region_rows)
    row.technicians.set(techs)
    after = snapshot(row, ("station", "name", "postcode_prefixes", "polygon"))
    after["regions"] = sorted(r.pk for r in region_rows)
    after["technicians"] = sorted(t.user_id for t in techs)
    audit_record(actor=actor, action="territory.save", obj=row, changes=changed(before, after))
    return row


@transaction.atomic
def territory_delete(*, actor: User, territory: Any) -> None:
    require(actor, Perm.CAPACITY_EDIT)
    found = Territory.objects.filter(
        pk=as_id(territory), station__in=stations_visible_to(actor)
    ).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    delete_with_audit(actor=actor, obj=found, fields=("station", "name", "postcode_prefixes"))


@transaction.atomic
def service_duration_set(
    *,
    actor: User,
    service_type: str,
    minutes: int,
    category: Any = None,
    product_model: Any = None,
) -> ServiceDuration:
    """Time on site for a service type, optionally for a category or a model (the most
    specific rule wins when an order is planned)."""
    require(actor, Perm.DISPATCH_RULES)
    if service_type not in ServiceType.values:
        raise _invalid("service_type", _("Unknown service type."))
    if not 5 <= int(minutes) <= 1440:
        raise _invalid("minutes", _("Between 5 minutes and 24 hours."))
    cat = _company_row(ProductCategory, actor, category, "category")
    model = _company_row(ProductModel, actor, product_model, "product_model")
    row, _created = ServiceDuration.objects.select_for_update().get_or_create(
        company_id=actor.company_id,
        service_type=service_type,
        category=cat,
        product_model=model,
        defaults={"minutes": int(minutes)},
    )
    before = {} if _created else {"minutes": row.minutes}
    row.minutes = int(minutes)
    row.save(update_fields=["minutes"])
    audit_record(
        actor=actor,
        action="service_duration.set",
        obj=row,
        changes=changed(before, {"minutes": row.minutes}),
    )
    return row


def _company_row(model: Any, actor: User, value: Any, field: str) -> Any:
    if value in (None, ""):
        return None
    owner = "category__company_id" if model is ProductModel else "company_id"
    row = model.objects.filter(**{owner: actor.company_id}, pk=as_id(value)).first()
    if row is None:
        raise _invalid(field, _("Not found."))
    return row


@transaction.atomic
def service_duration_delete(*, actor: User, duration: Any) -> None:
    require(actor, Perm.DISPATCH_RULES)
    found = ServiceDuration.objects.filter(company_id=company_of(actor), pk=as_id(duration)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    delete_with_audit(
        actor=actor,
        obj=found,
        fields=("service_type", "category", "product_model", "minutes"),
    )


@transaction.atomic
def skill_requirement_set(
    *, actor: User, category: Any, skill: Any, level: int = 1
) -> SkillRequirement:
    """Orders for units of this category need this skill at this level or above."""
    require(actor, Perm.DISPATCH_RULES)
    cat = _company_row(ProductCategory, actor, category, "category")
    found_skill = _company_row(Skill, actor, skill, "skill")
    if cat is None:
        raise _invalid("category", _("This field is required."))
    if found_skill is None:
        raise _invalid("skill", _("This field is required."))
    if not 1 <= int(level) <= 5:
        raise _invalid("level", _("Levels go from 1 to 5."))
    row, created = SkillRequirement.objects.select_for_update().get_or_create(
        category=cat,
        skill=found_skill,
        defaults={"company_id": actor.company_id, "level": int(level)},
    )
    before = {} if created else {"level": row.level}
    row.level = int(level)
    row.save(update_fields=["level"])
    audit_record(
        actor=actor,
        action="skill_requirement.set",
        obj=row,
        changes=changed(before, {"level": row.level}),
    )
    return row


@transaction.atomic
def skill_requirement_delete(*, actor: User, requirement: Any) -> None:
    require(actor, Perm.DISPATCH_RULES)
    found = SkillRequirement.objects.filter(
        company_id=company_of(actor), pk=as_id(requirement)
    ).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    delete_with_audit(actor=actor, obj=found, fields=("category", "skill", "level"))


SETTINGS_FIELDS = (
    "slot_minutes",
    "visits_from",
    "visits_until",
    "rest_periods",
    "notice_hours",
    "booking_days",
    "detour_factor",
    "speed_kmh",
    "optimise_seconds",
    "auto_assign",
)
_SETTINGS_RANGES: dict[str, tuple[float, float]] = {
    "slot_minutes": (30, 480),
    "notice_hours": (0, 72),
    "booking_days": (1, 31),
    "detour_factor": (1.0, 3.0),
    "speed_kmh": (5, 120),
    "optimise_seconds": (0.5, 60),
}


def _hhmm(value: Any) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        return None


@transaction.atomic
def dispatch_settings_update(*, actor: User, **changes: Any) -> DispatchSettings:
    """Change the company's dispatch settings (slots, visiting hours, customers' rest periods,
    notice, booking horizon, travel model, optimiser limit, automatic assignment)."""
    require(actor, Perm.DISPATCH_RULES)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Unknown field."))
    DispatchSettings.objects.get_or_create(company_id=actor.company_id)
    row = DispatchSettings.objects.select_for_update().get(company_id=company_of(actor))
    before = snapshot(row, SETTINGS_FIELDS)
    errors = Errors()
    for name, (low, high) in _SETTINGS_RANGES.items():
        if name in changes:
            try:
                value = float(changes[name])
            except (TypeError, ValueError):
                value = math.nan
            if not low <= value <= high:
                errors.add(name, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
            else:
                whole = name in ("slot_minutes", "notice_hours", "booking_days")
                setattr(row, name, int(value) if whole else value)
    for name in ("visits_from", "visits_until"):
        if name in changes:
            parsed = _hhmm(changes[name])
            if parsed is None:
                errors.add(name, _("Give a time as HH:MM."))
            else:
                setattr(row, name, parsed)
    if "rest_periods" in changes:
        periods = []
        for pair in changes["rest_periods"] or []:
            a, b = (_hhmm(x) for x in (list(pair) + [None, None])[:2])
            if a is None or b is None or b <= a:
                errors.add("rest_periods", _("Each rest period is [start, end] with HH:MM."))
                break
            periods.append([a.strftime("%H:%M"), b.strftime("%H:%M")])
        row.rest_periods = sorted(periods)
    if "auto_assign" in changes:
        row.auto_assign = bool(changes["auto_assign"])
    if row.visits_until <= row.visits_from:
        errors.add("visits_until", _("Visits must end after they start."))
    errors.raise_if_any()
    row.save()
    audit_record(
        actor=actor,
        action="dispatch_settings.update",
        obj=row,
        changes=changed(before, snapshot(row, SETTINGS_FIELDS)),
    )
    return row
