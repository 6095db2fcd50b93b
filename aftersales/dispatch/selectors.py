"""Dispatch reads: the windows a customer may book and who could take an order. Both time a
technician's day with the optimiser's insertion (no writes); the booking and assignment
actions in `dispatch/actions.py` check their choice against the same reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Station, TechnicianProfile, User
from aftersales.core import clock
from aftersales.core.errors import NotFound
from aftersales.dispatch import capacity
from aftersales.dispatch.choices import KEEP_TECHNICIAN, PLANNABLE, STARTED
from aftersales.dispatch.models import DispatchSettings, Territory, Visit
from aftersales.dispatch.optimizer.problem import Job, Problem, refusal
from aftersales.dispatch.optimizer.schedule import best_insertion, time_route
from aftersales.dispatch.optimizer.travel import HaversineTravel
from aftersales.dispatch.territory import covers
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to

OPEN_FOR_VISITS = PLANNABLE | KEEP_TECHNICIAN | STARTED


def visible_order(actor: User | None, order: ServiceOrder | int) -> ServiceOrder:
    pk = order.pk if isinstance(order, ServiceOrder) else int(order)
    qs = ServiceOrder.objects.all() if actor is None else orders_visible_to(actor)
    found = (
        qs.select_related("address", "unit__product_model", "unit__address").filter(pk=pk).first()
    )
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


# --- capacity of a technician's day ----------------------------------------------------------


def booked_jobs(
    tech_ids: list[int], day: dt.date, conf: Any, facts: capacity.OrderFacts, exclude: int | None
) -> tuple[dict[int, list[Job]], list[Job]]:
    """The visits each technician already has on `day`, as jobs in time order."""
    visits = (
        Visit.objects.filter(day=day, ended_at__isnull=True, order__status__in=OPEN_FOR_VISITS)
        .select_related("order__address", "order__unit__product_model", "order__unit__address")
        .order_by("planned_start", "sequence", "id")
    )
    by_tech: dict[int, list[Job]] = {t: [] for t in tech_ids}
    every: list[Job] = []
    for v in visits:
        order = v.order
        owner = order.technician_id or v.technician_id
        if owner not in by_tech or order.pk == exclude:
            continue
        _place, point = capacity.order_place(order)
        if point is None:
            continue
        windows = capacity.order_windows(order, day, conf)
        if v.locked and v.planned_start:
            s = capacity.seconds_of(v.planned_start, day)
            windows = ((s, s + 60),)
        job = Job(id=order.pk, at=point, service=facts.minutes(order) * 60, windows=windows)
        by_tech[owner].append(job)
        every.append(job)
    return by_tech, every


@dataclass(frozen=True)
class Slot:
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    technician_id: int  # one technician who can serve it (the witness)
    added_km: float


def _slot_starts(conf: Any) -> list[tuple[int, int]]:
    length = conf.slot_minutes * 60
    out = []
    for a, b in capacity.visiting_windows(conf):
        t = a
        while t + length <= b:
            out.append((t, t + length))
            t += length
    return out


def stations_for(order: ServiceOrder) -> list[Station]:
    if order.station_id:
        return [order.station] if order.station else []
    place, _point = capacity.order_place(order)
    stations = list(Station.objects.filter(company_id=order.company_id, is_active=True))
    covering = {
        t.station_id
        for t in Territory.objects.filter(company_id=order.company_id).prefetch_related("regions")
        if covers(capacity.area_of(t), place)
    }
    found = [s for s in stations if s.pk in covering]
    if not found and order.region_id:
        found = [s for s in stations if s.region_id == order.region_id]
    return found


def day_slots(
    order: ServiceOrder,
    day: dt.date,
    now: dt.datetime,
    stations: list[Station],
    conf: DispatchSettings,
    facts: capacity.OrderFacts,
) -> list[Slot]:
    place, point = capacity.order_place(order)
    if point is None:
        return []
    techs = [t for t in capacity.technician_days([s.pk for s in stations], day) if t.covers(place)]
    if not techs:
        return []
    booked, every = booked_jobs([t.user_id for t in techs], day, conf, facts, exclude=order.pk)
    lead = capacity.seconds_of(now, day) + 3600  # not within the next hour
    candidates = [
        Job(
            id=("slot", a),
            at=point,
            service=facts.minutes(order) * 60,
            windows=((a, b),),
            skills=facts.skills(order),
        )
        for a, b in _slot_starts(conf)
        if a >= lead
    ]
    if not candidates:
        return []
    travel = HaversineTravel(detour=conf.detour_factor, speed_kmh=conf.speed_kmh)
    workers = [t.worker() for t in techs]
    problem = Problem(jobs=[*every, *candidates], workers=workers, travel=travel)
    out = []
    for cand in candidates:
        best: tuple[int, Hashable] | None = None
        for w in workers:
            found = best_insertion(problem, w, booked[worker_user_id(w.id)], cand)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], w.id)
        if best is not None:
            a, b = cand.windows[0]
            out.append(
                Slot(
                    day,
                    capacity.at_seconds(day, a),
                    capacity.at_seconds(day, b),
                    worker_user_id(best[1]),
                    round(best[0] / 1000, 1),
                )
            )
    return out


def appointment_slots(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    days: int | None = None,
    first: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Windows the customer may book: each one has a qualified technician in the territory with
    room for the visit in that day's route (checked by timing the route with it). Days from
    `first` (today by default, never before it), `days` of them (the company's booking days)."""
    found = visible_order(actor, order)
    now = now or clock.now()
    conf = capacity.dispatch_settings(found.company_id)
    stations = stations_for(found)
    today = now.astimezone(capacity.tz()).date()
    first = max(first or today, today)
    facts = capacity.OrderFacts(found.company_id)
    out: list[Slot] = []
    for k in range(min(days or conf.booking_days, 31)):
        out += day_slots(found, first + dt.timedelta(days=k), now, stations, conf, facts)
    return out


def worker_user_id(worker_id: Hashable) -> int:
    """Workers of a real day are technicians' user ids."""
    assert isinstance(worker_id, int)
    return worker_id


# --- manual and automatic assignment ---------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    technician_id: int
    name: str
    qualified: bool
    refusal: str  # "" / skill / territory / not_working / no_profile
    visits: int  # load on the day
    max_visits: int
    added_minutes: int | None  # travel the visit adds to the best feasible position
    added_km: float | None


def technician_candidates(
    *, actor: User | None, order: ServiceOrder | int, day: dt.date | None = None
) -> list[Candidate]:
    """Who could take the order on `day`: qualification, load, and the travel it would add;
    best first (qualified, fits, least added travel, least load)."""
    found = visible_order(actor, order)
    if found.station_id is None:
        return []
    when = found.appointment_start or found.preferred_start or clock.now()
    day = day or when.astimezone(capacity.tz()).date()
    return candidates_for(found, found.station_id, day)


def candidates_for(found: ServiceOrder, station_id: int, day: dt.date) -> list[Candidate]:
    conf = capacity.dispatch_settings(found.company_id)
    facts = capacity.OrderFacts(found.company_id)
    place, point = capacity.order_place(found)
    techs = capacity.technician_days([station_id], day)
    booked, every = booked_jobs([t.user_id for t in techs], day, conf, facts, exclude=found.pk)
    out: list[Candidate] = []
    working = {t.user_id for t in techs}
    for p in TechnicianProfile.objects.filter(
        station_id=station_id, is_active=True, user__is_active=True
    ).select_related("user"):
        if p.user_id not in working:
            out.append(
                Candidate(
                    p.user_id, str(p), False, "not_working", 0, p.max_visits_per_day, None, None
                )
            )
    profiled = TechnicianProfile.objects.filter(station_id=station_id).values("user_id")
    for u in User.objects.filter(
        station_id=station_id, role=Role.TECHNICIAN, is_active=True
    ).exclude(pk__in=profiled):
        out.append(
            Candidate(u.pk, u.get_full_name() or u.username, False, "no_profile", 0, 0, None, None)
        )
    if point is not None and techs:
        job = Job(
            id=found.pk,
            at=point,
            service=facts.minutes(found) * 60,
            windows=capacity.order_windows(found, day, conf),
            skills=facts.skills(found),
            territory_workers=frozenset(t.user_id for t in techs if t.covers(place)),
        )
        travel = HaversineTravel(detour=conf.detour_factor, speed_kmh=conf.speed_kmh)
        problem = Problem(jobs=[*every, job], workers=[t.worker() for t in techs], travel=travel)
        for t in techs:
            w = problem.workers_by_id[t.user_id]
            why = refusal(w, job) or ""
            ins = None if why else best_insertion(problem, w, booked[t.user_id], job)
            added = None
            if ins is not None:
                before = time_route(problem, w, booked[t.user_id]).travel
                added = (ins[1].travel - before) // 60
            out.append(
                Candidate(
                    t.user_id,
                    t.name,
                    not why,
                    why,
                    len(booked[t.user_id]),
                    t.max_visits,
                    added,
                    round(ins[0] / 1000, 1) if ins else None,
                )
            )
    out.sort(
        key=lambda c: (not c.qualified, c.added_minutes is None, c.added_minutes or 0, c.visits)
    )
    return out
