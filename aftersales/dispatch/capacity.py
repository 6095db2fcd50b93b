"""The day as the optimiser sees it: who works (shifts, leave, the working calendar), what
they can do (skills, territories), and each order as a job (place, time on site, skills,
windows). Reads the database; returns the optimiser's plain data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from aftersales.accounts.models import Station, TechnicianProfile
from aftersales.calendars.selectors import work_calendar
from aftersales.dispatch.choices import KEEP_TECHNICIAN, PLANNABLE, STARTED
from aftersales.dispatch.models import (
    DispatchSettings,
    Leave,
    ServiceDuration,
    Shift,
    SkillRequirement,
    Territory,
    Visit,
)
from aftersales.dispatch.optimizer.problem import Job, Problem, Worker
from aftersales.dispatch.optimizer.travel import HaversineTravel, Point
from aftersales.dispatch.territory import Area, Place, covers
from aftersales.orders.models import ServiceOrder

# Time on site when nothing more specific is configured (minutes).
DEFAULT_MINUTES = {
    "repair": 90,
    "installation": 120,
    "maintenance": 60,
    "inspection": 45,
    "acceptance": 60,
    "consultation": 30,
}
DEFAULT_BREAK_MINUTES = 60  # for a default day longer than six hours


def dispatch_settings(company_id: int) -> DispatchSettings:
    """The company's settings, or the defaults (unsaved) until someone changes them."""
    found = DispatchSettings.objects.filter(company_id=company_id).first()
    return found or DispatchSettings(company_id=company_id)


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz())


def seconds_of(moment: dt.datetime, day: dt.date) -> int:
    return int((moment - midnight(day)).total_seconds())


def at_seconds(day: dt.date, seconds: int) -> dt.datetime:
    return midnight(day) + dt.timedelta(seconds=seconds)


def _secs(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def parse_time(text: str) -> dt.time:
    hours, minutes = str(text).split(":")[:2]
    return dt.time(int(hours), int(minutes))


def visiting_windows(conf: DispatchSettings) -> tuple[tuple[int, int], ...]:
    """Visiting hours minus the customers' rest periods, as [start, end] seconds."""
    windows = [(_secs(_as_time(conf.visits_from)), _secs(_as_time(conf.visits_until)))]
    for rest in conf.rest_periods or []:
        a, b = _secs(parse_time(rest[0])), _secs(parse_time(rest[1]))
        cut: list[tuple[int, int]] = []
        for start, end in windows:
            if b <= start or a >= end:
                cut.append((start, end))
                continue
            if start < a:
                cut.append((start, a))
            if b < end:
                cut.append((b, end))
        windows = cut
    return tuple(w for w in windows if w[1] > w[0])


def _as_time(value: dt.time | str) -> dt.time:
    return value if isinstance(value, dt.time) else parse_time(value)


@dataclass
class TechDay:
    """One technician's working day."""

    user_id: int
    name: str
    station_id: int
    start: Point
    end: Point
    shift_start: int
    shift_end: int
    break_seconds: int
    skills: dict[str, int]
    max_visits: int
    areas: list[Area] = field(default_factory=list)

    def covers(self, place: Place) -> bool:
        """No territory: the whole station's area."""
        return not self.areas or any(covers(a, place) for a in self.areas)

    def worker(self) -> Worker:
        return Worker(
            id=self.user_id,
            start=self.start,
            end=self.end,
            shift_start=self.shift_start,
            shift_end=self.shift_end,
            skills=self.skills,
            max_visits=self.max_visits,
            break_seconds=self.break_seconds,
        )


def station_point(station: Station) -> Point | None:
    if station.latitude is None or station.longitude is None:
        return None
    return Point(station.longitude, station.latitude)


def technician_days(station_ids: Iterable[int], day: dt.date) -> list[TechDay]:
    """The technicians of these stations who work on `day`, with their hours and abilities."""
    profiles = list(
        TechnicianProfile.objects.filter(
            station_id__in=list(station_ids), is_active=True, user__is_active=True
        )
        .select_related("user", "station")
        .prefetch_related("technicianskill_set__skill", "territories__regions")
        .order_by("user_id")
    )
    if not profiles:
        return []
    ids = [p.pk for p in profiles]
    on_leave = set(
        Leave.objects.filter(
            technician_id__in=ids, first_day__lte=day, last_day__gte=day
        ).values_list("technician_id", flat=True)
    )
    shifts = {s.technician_id: s for s in Shift.objects.filter(technician_id__in=ids, day=day)}
    company_id = profiles[0].station.company_id
    working_day = work_calendar(company_id).is_working_day(day)
    out = []
    for p in profiles:
        if p.pk in on_leave:
            continue
        shift = shifts.get(p.pk)
        if shift is not None:
            start, end, brk = _secs(shift.start), _secs(shift.end), shift.break_minutes * 60
        elif working_day:
            start, end = _secs(_as_time(p.work_start)), _secs(_as_time(p.work_end))
            brk = DEFAULT_BREAK_MINUTES * 60 if end - start > 6 * 3600 else 0
        else:
            continue
        home = (
            Point(p.home_longitude, p.home_latitude)
            if p.home_latitude is not None and p.home_longitude is not None
            else None
        )
        base = station_point(p.station) or home
        if base is None:
            continue  # nowhere to start from: cannot be planned (shown on the board)
        out.append(
            TechDay(
                user_id=p.user_id,
                name=p.user.get_full_name() or p.user.username,
                station_id=p.station_id,
                start=home or base,
                end=home or base,
                shift_start=start,
                shift_end=end,
                break_seconds=brk,
                skills={ts.skill.code: ts.level for ts in p.technicianskill_set.all()},
                max_visits=p.max_visits_per_day,
                areas=[area_of(t) for t in p.territories.all()],
            )
        )
    return out


def area_of(territory: Territory) -> Area:
    """A territory row as the pure module's area (its regions prefetched, ideally)."""
    return Area(
        regions=frozenset(r.pk for r in territory.regions.all()),
        postcode_prefixes=tuple(
            x.strip() for x in territory.postcode_prefixes.split(",") if x.strip()
        ),
        polygon=tuple((float(a), float(b)) for a, b in (territory.polygon or [])),
    )


class OrderFacts:
    """Durations and skill requirements of a company, read once for many orders."""

    def __init__(self, company_id: int) -> None:
        self.durations = {
            (d.service_type, d.category_id, d.product_model_id): d.minutes
            for d in ServiceDuration.objects.filter(company_id=company_id)
        }
        self.requirements: dict[int, dict[str, int]] = {}
        for r in SkillRequirement.objects.filter(company_id=company_id).select_related("skill"):
            self.requirements.setdefault(r.category_id, {})[r.skill.code] = r.level

    def minutes(self, order: ServiceOrder) -> int:
        if order.duration_minutes:
            return order.duration_minutes
        model = order.unit.product_model if order.unit_id and order.unit else None
        for key in (
            (order.service_type, model.category_id if model else None, model.pk if model else None),
            (order.service_type, model.category_id if model else None, None),
            (order.service_type, None, None),
        ):
            if key in self.durations:
                return self.durations[key]
        return DEFAULT_MINUTES.get(order.service_type, 60)

    def skills(self, order: ServiceOrder) -> dict[str, int]:
        if order.required_skills:
            return {str(k): int(v) for k, v in order.required_skills.items()}
        model = order.unit.product_model if order.unit_id and order.unit else None
        return dict(self.requirements.get(model.category_id, {})) if model else {}


def order_place(order: ServiceOrder) -> tuple[Place, Point | None]:
    address = order.address or (order.unit.address if order.unit_id and order.unit else None)
    if address is None:
        return Place(region=order.region_id), None
    point = (
        Point(address.longitude, address.latitude)
        if address.latitude is not None and address.longitude is not None
        else None
    )
    return (
        Place(
            region=address.region_id or order.region_id,
            postcode=address.postcode,
            lon=address.longitude,
            lat=address.latitude,
        ),
        point,
    )


def order_windows(
    order: ServiceOrder, day: dt.date, conf: DispatchSettings
) -> tuple[tuple[int, int], ...]:
    """The appointment if there is one on this day; else the preferred time on this day within
    visiting hours; else the visiting hours minus rest periods."""
    visiting = visiting_windows(conf)
    if order.appointment_start and order.appointment_end:
        return ((seconds_of(order.appointment_start, day), seconds_of(order.appointment_end, day)),)
    if order.preferred_start and order.preferred_end:
        a, b = seconds_of(order.preferred_start, day), seconds_of(order.preferred_end, day)
        cut = tuple((max(a, s), min(b, e)) for s, e in visiting if min(b, e) > max(a, s))
        if cut:
            return cut
    return visiting


def candidate_orders(station: Station, day: dt.date) -> list[ServiceOrder]:
    """The station's open orders to be visited on `day`: appointments that day, and orders
    without an appointment and without a visit planned on another day."""
    start, end = midnight(day), midnight(day + dt.timedelta(days=1))
    other_day = Visit.objects.filter(ended_at__isnull=True).exclude(day=day).values("order_id")
    return list(
        ServiceOrder.objects.filter(
            station=station,
            status__in=PLANNABLE | KEEP_TECHNICIAN | STARTED,
        )
        .filter(
            Q(appointment_start__gte=start, appointment_start__lt=end)
            | Q(appointment_start__isnull=True) & ~Q(pk__in=other_day)
        )
        .exclude(preferred_start__gte=end)
        .select_related("address", "unit__product_model", "unit__address", "customer", "technician")
        .order_by("id")
    )


@dataclass
class DayInput:
    problem: Problem
    techs: dict[int, TechDay]
    orders: dict[int, ServiceOrder]
    started: dict[int, list[int]]  # technician -> orders already under way (kept, not planned)
    no_location: list[int]


def build_day(station: Station, day: dt.date, now: dt.datetime) -> DayInput:
    """The optimiser's problem for a station's day. On the current day the remaining day is
    planned: shifts start now, and a technician on the way or on site starts from there once
    that visit is done."""
    conf = dispatch_settings(station.company_id)
    facts = OrderFacts(station.company_id)
    techs = {t.user_id: t for t in technician_days([station.pk], day)}
    orders = candidate_orders(station, day)
    locked = {
        v.order_id: v
        for v in Visit.objects.filter(order__in=orders, ended_at__isnull=True, locked=True)
    }
    today = now.astimezone(tz()).date() == day
    now_s = seconds_of(now, day)
    started: dict[int, list[int]] = {}
    jobs: list[Job] = []
    no_location: list[int] = []
    for order in orders:
        place, point = order_place(order)
        if order.status in STARTED:
            tech = techs.get(order.technician_id or 0)
            if tech is not None and point is not None:
                started.setdefault(tech.user_id, []).append(order.pk)
                done = now_s + facts.minutes(order) * 60
                if order.arrived_at:
                    done = max(now_s, seconds_of(order.arrived_at, day) + facts.minutes(order) * 60)
                tech.start = point
                tech.shift_start = max(tech.shift_start, done)
            continue
        if point is None:
            no_location.append(order.pk)
            continue
        windows = order_windows(order, day, conf)
        lock_to = None
        visit = locked.get(order.pk)
        if visit is not None and visit.planned_start is not None:
            s = seconds_of(visit.planned_start, day)
            windows, lock_to = ((s, s + 60),), visit.technician_id
        elif order.status in KEEP_TECHNICIAN:
            lock_to = order.technician_id
        if today:
            windows = tuple((max(a, now_s), b) for a, b in windows if b >= now_s)
        if not windows:
            continue  # its time has passed today; the dispatcher sees it unplanned
        covering = frozenset(t.user_id for t in techs.values() if t.covers(place))
        jobs.append(
            Job(
                id=order.pk,
                at=point,
                service=facts.minutes(order) * 60,
                windows=windows,
                skills=facts.skills(order),
                priority=order.priority,
                due=seconds_of(order.arrive_due, day) if order.arrive_due else None,
                territory_workers=covering if len(covering) < len(techs) else None,
                locked_to=lock_to,
            )
        )
    if today:
        for tech in techs.values():
            tech.shift_start = max(tech.shift_start, min(now_s, tech.shift_end))
    travel = HaversineTravel(detour=conf.detour_factor, speed_kmh=conf.speed_kmh)
    problem = Problem(jobs=jobs, workers=[t.worker() for t in techs.values()], travel=travel)
    return DayInput(problem, techs, {o.pk: o for o in orders}, started, no_location)
