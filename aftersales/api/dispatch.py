"""/api/v1 dispatch: appointment slots and booking, candidates, the dispatcher's moves, day
plans (propose → commit), visits, and capacity (shifts, leave, territories, durations, skill
requirements). Each endpoint parses, calls one action or selector, answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.accounts.selectors import stations_visible_to
from aftersales.api.customers import ERRORS
from aftersales.api.types import Id, LocalTime, PageParams, page_of
from aftersales.core.selectors import get_visible
from aftersales.dispatch import actions, capacity, selectors
from aftersales.dispatch.models import (
    DispatchPlan,
    Leave,
    ServiceDuration,
    Shift,
    SkillRequirement,
    Territory,
    Visit,
)

router = Router(tags=["dispatch"])


class SlotOut(Schema):
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    technician_id: int
    added_km: float


class SlotParams(Schema):
    first: dt.date | None = None
    days: int = Field(7, ge=1, le=31)


class BookIn(Schema):
    start: dt.datetime
    end: dt.datetime
    version: int | None = None
    by_customer: bool = False
    reason: str = Field("", max_length=500)
    force: bool = False


class AppointmentVisitOut(Schema):
    id: int
    order_id: int
    technician_id: int
    station_id: int
    day: dt.date
    sequence: int
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    travel_minutes: int
    locked: bool
    plan_id: int | None
    reasons: dict[str, Any]


class CandidateOut(Schema):
    technician_id: int
    name: str
    qualified: bool
    refusal: str
    visits: int
    max_visits: int
    added_minutes: int | None
    added_km: float | None


class VisitMoveIn(Schema):
    technician_id: int
    start: dt.datetime


class PlanIn(Schema):
    station_id: int
    day: dt.date
    seconds: float | None = Field(None, gt=0, le=60)
    seed: int = 0


class PlanOut(Schema):
    id: int
    station_id: int
    day: dt.date
    status: str
    seconds: float
    created_at: dt.datetime
    committed_at: dt.datetime | None
    result: dict[str, Any]


class VisitParams(Schema):
    station: Id
    day: dt.date


@router.get("/orders/{order_id}/slots", response={200: list[SlotOut], **ERRORS})
def order_slots(request: AuthedRequest, order_id: int, params: Query[SlotParams]) -> Any:
    """Windows that can be booked for the order: each has a qualified technician in the
    territory with room for the visit (the route is timed with it)."""
    require(request.user, Perm.ORDER_VIEW)
    return selectors.appointment_slots(
        actor=request.user,
        order=order_id,
        days=params.days,
        first=params.first,
    )


@router.post("/orders/{order_id}/appointment", response={200: AppointmentVisitOut, **ERRORS})
def order_book(request: AuthedRequest, order_id: int, payload: BookIn) -> Any:
    """Book or move the appointment into one of the offered windows. 409 `slot_unavailable`
    when the window can no longer be served; 409 `late_notice` when a visit we promised
    moves less than the notice hours before it (a dispatcher may `force` with a `reason`)."""
    return actions.appointment_book(
        actor=request.user,
        order=order_id,
        **payload.dict(),
    )


@router.get("/orders/{order_id}/candidates", response={200: list[CandidateOut], **ERRORS})
def order_candidates(request: AuthedRequest, order_id: int, day: dt.date | None = None) -> Any:
    """The station's technicians for the order on `day`: qualified or why not, load, and the
    travel the visit would add; best first."""
    require(request.user, Perm.ORDER_ASSIGN)
    return selectors.technician_candidates(
        actor=request.user,
        order=order_id,
        day=day,
    )


@router.post("/orders/{order_id}/visit", response={200: AppointmentVisitOut, **ERRORS})
def order_move(request: AuthedRequest, order_id: int, payload: VisitMoveIn) -> Any:
    """Place the visit by hand (technician and start); it is locked for the optimiser."""
    return actions.visit_move(
        actor=request.user,
        order=order_id,
        technician=payload.technician_id,
        start=payload.start,
    )


@router.get("/dispatch/visits", response={200: list[AppointmentVisitOut], **ERRORS})
def visit_list(request: AuthedRequest, params: Query[VisitParams]) -> Any:
    """A station's live visits on a day, by technician and sequence."""
    require(request.user, Perm.ORDER_VIEW)
    station = get_visible(stations_visible_to(request.user), params.station)
    return list(
        Visit.objects.filter(station=station, day=params.day, ended_at__isnull=True).order_by(
            "technician_id", "sequence", "planned_start"
        )
    )


@router.post("/dispatch/plans", response={201: PlanOut, **ERRORS})
def plan_propose(request: AuthedRequest, payload: PlanIn) -> Any:
    """Optimise a station's day within the time limit; nothing is assigned until commit."""
    plan = actions.plan_propose(
        actor=request.user,
        station=payload.station_id,
        day=payload.day,
        seconds=payload.seconds,
        seed=payload.seed,
    )
    return Status(201, plan)


def _plan(request: AuthedRequest, plan_id: int) -> DispatchPlan:
    require(request.user, Perm.ORDER_ASSIGN)
    qs = DispatchPlan.objects.filter(station__in=stations_visible_to(request.user))
    return get_visible(qs, plan_id)


@router.get("/dispatch/plans/{plan_id}", response={200: PlanOut, **ERRORS})
def plan_get(request: AuthedRequest, plan_id: int) -> Any:
    return _plan(request, plan_id)


@router.post("/dispatch/plans/{plan_id}/commit", response={200: PlanOut, **ERRORS})
def plan_commit(request: AuthedRequest, plan_id: int) -> Any:
    """Assign every planned order through the order actions. 409 `plan_stale` when an order
    changed since the proposal, 409 `plan_not_proposed` when it was already committed."""
    return actions.plan_commit(actor=request.user, plan=plan_id)


@router.post("/dispatch/plans/{plan_id}/discard", response={200: PlanOut, **ERRORS})
def plan_discard(request: AuthedRequest, plan_id: int) -> Any:
    return actions.plan_discard(actor=request.user, plan=plan_id)


# --- capacity --------------------------------------------------------------------------------


class ShiftIn(Schema):
    technician_id: int
    day: dt.date
    start: LocalTime
    end: LocalTime
    break_minutes: int = Field(60, ge=0, le=240)


class ShiftOut(Schema):
    id: int
    technician_id: int
    day: dt.date
    start: LocalTime
    end: LocalTime
    break_minutes: int


class LeaveIn(Schema):
    technician_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str = Field("", max_length=200)


class LeaveOut(Schema):
    id: int
    technician_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str


class LeaveCreated(LeaveOut):
    affected_orders: list[int]


class ShiftPage(Schema):
    items: list[ShiftOut]
    next_after: int | None


class LeavePage(Schema):
    items: list[LeaveOut]
    next_after: int | None


def _by_user(row: Shift | Leave, fields: tuple[str, ...]) -> dict[str, Any]:
    """Technicians are named by their user id in the API (as everywhere else)."""
    out = {f: getattr(row, f) for f in fields}
    out["id"], out["technician_id"] = row.pk, row.technician.user_id
    return out


SHIFT_FIELDS = ("day", "start", "end", "break_minutes")
LEAVE_FIELDS = ("first_day", "last_day", "reason")


class RangeParams(PageParams):
    station: Id
    first: dt.date
    last: dt.date


@router.get("/dispatch/shifts", response={200: ShiftPage, **ERRORS})
def shift_list(request: AuthedRequest, params: Query[RangeParams]) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    station = get_visible(stations_visible_to(request.user), params.station)
    rows = Shift.objects.filter(
        technician__station=station, day__gte=params.first, day__lte=params.last
    ).select_related("technician")
    return page_of(rows, params, lambda r: _by_user(r, SHIFT_FIELDS))


@router.put("/dispatch/shifts", response={200: ShiftOut, **ERRORS})
def shift_set(request: AuthedRequest, payload: ShiftIn) -> Any:
    """Set a technician's hours on a day (replaces that day's shift)."""
    shift = actions.shift_set(
        actor=request.user,
        technician=payload.technician_id,
        day=payload.day,
        start=payload.start,
        end=payload.end,
        break_minutes=payload.break_minutes,
    )
    return _by_user(shift, SHIFT_FIELDS)


@router.delete("/dispatch/shifts/{shift_id}", response={204: None, **ERRORS})
def shift_delete(request: AuthedRequest, shift_id: int) -> Any:
    actions.shift_delete(actor=request.user, shift=shift_id)
    return Status(204, None)


@router.get("/dispatch/leave", response={200: LeavePage, **ERRORS})
def leave_list(request: AuthedRequest, params: Query[RangeParams]) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    station = get_visible(stations_visible_to(request.user), params.station)
    rows = Leave.objects.filter(
        technician__station=station, last_day__gte=params.first, first_day__lte=params.last
    ).select_related("technician")
    return page_of(rows, params, lambda r: _by_user(r, LEAVE_FIELDS))


@router.post("/dispatch/leave", response={201: LeaveCreated, **ERRORS})
def leave_add(request: AuthedRequest, payload: LeaveIn) -> Any:
    """Record leave; `affected_orders` are orders with visits planned on those days, which the
    dispatcher must move."""
    done = actions.leave_add(
        actor=request.user,
        technician=payload.technician_id,
        first_day=payload.first_day,
        last_day=payload.last_day,
        reason=payload.reason,
    )
    out = _by_user(done.leave, LEAVE_FIELDS)
    out["affected_orders"] = [v.order_id for v in done.affected]
    return Status(201, out)


@router.delete("/dispatch/leave/{leave_id}", response={204: None, **ERRORS})
def leave_delete(request: AuthedRequest, leave_id: int) -> Any:
    actions.leave_delete(actor=request.user, leave=leave_id)
    return Status(204, None)


class TerritoryIn(Schema):
    station_id: int
    name: str = Field(..., max_length=100)
    regions: list[int] = Field(default_factory=list, max_length=200)
    postcode_prefixes: str = Field("", max_length=500)
    polygon: list[list[float]] = Field(default_factory=list, max_length=500)
    technicians: list[int] = Field(default_factory=list, max_length=500)


class TerritoryOut(Schema):
    id: int
    station_id: int
    name: str
    regions: list[int]
    postcode_prefixes: str
    polygon: list[list[float]]
    technicians: list[int]


class TerritoryPage(Schema):
    items: list[TerritoryOut]
    next_after: int | None


def _territory_out(t: Territory) -> dict[str, Any]:
    return {
        "id": t.pk,
        "station_id": t.station_id,
        "name": t.name,
        "regions": sorted(r.pk for r in t.regions.all()),
        "postcode_prefixes": t.postcode_prefixes,
        "polygon": t.polygon or [],
        "technicians": sorted(p.user_id for p in t.technicians.all()),
    }


@router.get("/dispatch/territories", response={200: TerritoryPage, **ERRORS})
def territory_list(
    request: AuthedRequest, params: Query[PageParams], station: Id | None = None
) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    qs = Territory.objects.filter(station__in=stations_visible_to(request.user))
    if station is not None:
        qs = qs.filter(station_id=station)
    return page_of(qs.prefetch_related("regions", "technicians"), params, _territory_out)


@router.post("/dispatch/territories", response={201: TerritoryOut, **ERRORS})
def territory_create(request: AuthedRequest, payload: TerritoryIn) -> Any:
    data = payload.dict()
    row = actions.territory_save(
        actor=request.user,
        station=data.pop("station_id"),
        **data,
    )
    return Status(201, _territory_out(row))


@router.put("/dispatch/territories/{territory_id}", response={200: TerritoryOut, **ERRORS})
def territory_replace(request: AuthedRequest, territory_id: int, payload: TerritoryIn) -> Any:
    data = payload.dict()
    row = actions.territory_save(
        actor=request.user,
        territory=territory_id,
        station=data.pop("station_id"),
        **data,
    )
    return _territory_out(row)


@router.delete("/dispatch/territories/{territory_id}", response={204: None, **ERRORS})
def territory_delete(request: AuthedRequest, territory_id: int) -> Any:
    actions.territory_delete(actor=request.user, territory=territory_id)
    return Status(204, None)


class DurationIn(Schema):
    service_type: str
    minutes: int = Field(..., ge=5, le=1440)
    category_id: int | None = None
    product_model_id: int | None = None


class DurationOut(Schema):
    id: int
    service_type: str
    minutes: int
    category_id: int | None
    product_model_id: int | None


class RequirementIn(Schema):
    category_id: int
    skill_id: int
    level: int = Field(1, ge=1, le=5)


class RequirementOut(Schema):
    id: int
    category_id: int
    skill_id: int
    level: int


@router.get("/dispatch/durations", response={200: list[DurationOut], **ERRORS})
def duration_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return list(ServiceDuration.objects.filter(company_id=company_of(request.user)).order_by("id"))


@router.put("/dispatch/durations", response={200: DurationOut, **ERRORS})
def duration_set(request: AuthedRequest, payload: DurationIn) -> Any:
    """Time on site by service type, optionally for a category or a model (most specific
    wins); setting an existing rule replaces its minutes."""
    return actions.service_duration_set(
        actor=request.user,
        service_type=payload.service_type,
        minutes=payload.minutes,
        category=payload.category_id,
        product_model=payload.product_model_id,
    )


@router.delete("/dispatch/durations/{duration_id}", response={204: None, **ERRORS})
def duration_delete(request: AuthedRequest, duration_id: int) -> Any:
    actions.service_duration_delete(actor=request.user, duration=duration_id)
    return Status(204, None)


@router.get("/dispatch/skill-requirements", response={200: list[RequirementOut], **ERRORS})
def requirement_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return list(SkillRequirement.objects.filter(company_id=company_of(request.user)).order_by("id"))


@router.put("/dispatch/skill-requirements", response={200: RequirementOut, **ERRORS})
def requirement_set(request: AuthedRequest, payload: RequirementIn) -> Any:
    return actions.skill_requirement_set(
        actor=request.user,
        category=payload.category_id,
        skill=payload.skill_id,
        level=payload.level,
    )


@router.delete("/dispatch/skill-requirements/{requirement_id}", response={204: None, **ERRORS})
def requirement_delete(request: AuthedRequest, requirement_id: int) -> Any:
    actions.skill_requirement_delete(actor=request.user, requirement=requirement_id)
    return Status(204, None)


class SettingsOut(Schema):
    slot_minutes: int
    visits_from: LocalTime
    visits_until: LocalTime
    rest_periods: list[list[str]]
    notice_hours: int
    booking_days: int
    detour_factor: float
    speed_kmh: float
    optimise_seconds: float
    auto_assign: bool


class SettingsPatch(Schema):
    slot_minutes: int | None = None
    visits_from: str | None = None
    visits_until: str | None = None
    rest_periods: list[list[str]] | None = Field(None, max_length=10)
    notice_hours: int | None = None
    booking_days: int | None = None
    detour_factor: float | None = None
    speed_kmh: float | None = None
    optimise_seconds: float | None = None
    auto_assign: bool | None = None


def _settings_out(row: Any) -> dict[str, Any]:
    return {f: getattr(row, f) for f in actions.SETTINGS_FIELDS}


@router.get("/dispatch/settings", response={200: SettingsOut, **ERRORS})
def settings_get(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return _settings_out(capacity.dispatch_settings(company_of(request.user)))


@router.patch("/dispatch/settings", response={200: SettingsOut, **ERRORS})
def settings_update(request: AuthedRequest, payload: SettingsPatch) -> Any:
    """Change some of the company's dispatch settings (service manager, administrator)."""
    row = actions.dispatch_settings_update(
        actor=request.user,
        **payload.dict(exclude_unset=True),
    )
    return _settings_out(row)
