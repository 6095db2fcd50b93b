"""Dispatch pages: the board (technicians × the day), the optimiser's proposal with its
reasons, the dispatcher's moves, and the technician's own day."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Region, Skill, TechnicianProfile
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.accounts.selectors import stations_visible_to
from aftersales.catalog.models import ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.dispatch import actions, capacity, tilemap
from aftersales.dispatch import selectors as dispatch_selectors
from aftersales.dispatch.choices import PLANNABLE, REASON_TEXT, PlanStatus
from aftersales.dispatch.models import (
    DispatchPlan,
    Leave,
    ServiceDuration,
    Shift,
    SkillRequirement,
    Territory,
    Visit,
)
from aftersales.orders.choices import Priority, ServiceType
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import day_param, flash_error, page, posted_version

BOARD_FROM, BOARD_TO = 8, 20  # hours shown on the board


def _pct(moment: dt.datetime, day: dt.date) -> float:
    hours = capacity.seconds_of(moment, day) / 3600
    return max(0.0, min(100.0, (hours - BOARD_FROM) / (BOARD_TO - BOARD_FROM) * 100))


@page(Perm.ORDER_ASSIGN)
def board(request: AuthedRequest) -> HttpResponse:
    stations = list(stations_visible_to(request.user).filter(is_active=True).order_by("name"))
    station = next((s for s in stations if str(s.pk) == request.GET.get("station")), None)
    station = station or (stations[0] if stations else None)
    day = day_param(request.GET.get("day"))
    rows: list[dict[str, Any]] = []
    unplanned: list[Any] = []
    planned: list[Any] = []
    if station is not None:
        techs = capacity.technician_days([station.pk], day)
        visits = list(
            Visit.objects.filter(station=station, day=day, ended_at__isnull=True)
            .select_related(
                "order", "order__customer", "order__address", "order__unit__address", "technician"
            )
            .order_by("technician_id", "sequence", "planned_start")
        )
        by_tech: dict[int, list[dict[str, Any]]] = {}
        planned_ids = set()
        for v in visits:
            planned_ids.add(v.order_id)
            owner = v.order.technician_id or v.technician_id
            start = v.planned_start or v.order.appointment_start
            end = v.planned_end or (start + dt.timedelta(minutes=90) if start else None)
            late = bool(v.order.arrive_due and start and start > v.order.arrive_due)
            by_tech.setdefault(owner, []).append(
                {
                    "visit": v,
                    "order": v.order,
                    "left": _pct(start, day) if start else 0,
                    "width": max(2.0, _pct(end, day) - _pct(start, day)) if start and end else 8,
                    "late": late or v.order.service_level_state() == "breached",
                }
            )
        for t in techs:
            rows.append(
                {
                    "tech": t,
                    "visits": by_tech.get(t.user_id, []),
                    "shift": (
                        capacity.at_seconds(day, t.shift_start),
                        capacity.at_seconds(day, t.shift_end),
                    ),
                }
            )
        unplanned = [o for o in capacity.candidate_orders(station, day) if o.pk not in planned_ids]
        planned = [
            v for v in visits if v.order.status in PLANNABLE
        ]  # the ones the dispatcher may still move
    unplanned_rows = []
    if station is not None and unplanned:
        facts = capacity.OrderFacts(station.company_id)
        names = dict(
            Skill.objects.filter(company_id=station.company_id).values_list("code", "name")
        )
        for o in unplanned:
            unplanned_rows.append(
                {
                    "order": o,
                    "address": o.address or (o.unit.address if o.unit_id and o.unit else None),
                    "due": o.arrive_due or o.resolve_due,
                    "minutes": facts.minutes(o),
                    "skills": [(names.get(c, c), lvl) for c, lvl in facts.skills(o).items()],
                }
            )
    ctx = {
        "unplanned_rows": unplanned_rows,
        "stations": stations,
        "station": station,
        "day": day,
        "rows": rows,
        "unplanned": unplanned,
        "planned": planned,
        "route_map": _route_map(rows),
        "perms_rules": has_perm(request.user, Perm.DISPATCH_RULES),
        "hours": list(range(BOARD_FROM, BOARD_TO)),
        "plans": DispatchPlan.objects.filter(station=station, day=day).order_by("-id")[:5]
        if station
        else [],
    }
    return render(request, "web/dispatch/board.html", ctx)


ROUTE_COLOURS = ("#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545")


def _route_map(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Each technician's route (start, visits in order, end) over the configured map tiles;
    None when no tile server is configured or nothing has a place."""
    template = settings.AFTERSALES_MAP_TILES
    if not template or not rows:
        return None
    routes = []
    for k, row in enumerate(rows):
        tech = row["tech"]
        stops = []
        for v in row["visits"]:
            _place, point = capacity.order_place(v["order"])
            if point is not None:
                stops.append((v["visit"].sequence, point))
        routes.append((tech, ROUTE_COLOURS[k % len(ROUTE_COLOURS)], stops))
    points = [(p.x, p.y) for tech, _c, stops in routes for p in (tech.start, tech.end)] + [
        (p.x, p.y) for _t, _c, stops in routes for _n, p in stops
    ]
    frame = tilemap.fit(points, template)
    if frame is None:
        return None
    drawn = []
    for tech, colour, stops in routes:
        path = [tech.start, *(p for _n, p in stops), tech.end]
        drawn.append(
            {
                "name": tech.name,
                "colour": colour,
                "line": " ".join("{},{}".format(*frame.project(p.x, p.y)) for p in path),
                "home": tuple(c - 5 for c in frame.project(tech.start.x, tech.start.y)),
                "stops": [(n, *frame.project(p.x, p.y)) for n, p in stops],
            }
        )
    return {"frame": frame, "routes": drawn, "attribution": settings.AFTERSALES_MAP_ATTRIBUTION}


@page(Perm.ORDER_ASSIGN)
@require_POST
def optimise(request: AuthedRequest) -> HttpResponse:
    day = day_param(request.POST.get("day"))
    station = request.POST.get("station", "")
    try:
        plan = actions.plan_propose(
            actor=request.user,
            station=int(station) if station.isdigit() else 0,
            day=day,
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect(f"{reverse('dispatch-board')}?station={station}&day={day}")
    return redirect("dispatch-plan", pk=plan.pk)


@page(Perm.ORDER_ASSIGN)
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_visible(
        DispatchPlan.objects.filter(station__in=stations_visible_to(request.user)).select_related(
            "station"
        ),
        pk,
    )
    priorities = dict(Priority.choices)
    skills = dict(
        Skill.objects.filter(company_id=plan.station.company_id).values_list("code", "name")
    )
    routes = []
    for r in plan.result.get("routes", []):
        stops = [
            {
                **s,
                "start_t": dt.datetime.fromisoformat(s["start"]),
                "end_t": dt.datetime.fromisoformat(s["end"]),
                "priority_label": priorities.get(s.get("priority"), ""),
                "skill_rows": [
                    (skills.get(code, code), level)
                    for code, level in ((s.get("reasons") or {}).get("skills") or {}).items()
                ],
            }
            for s in r["stops"]
        ]
        routes.append({**r, "stops": stops})
    unserved = [
        {**u, "text": REASON_TEXT.get(u["reason"], u["reason"])}
        for u in plan.result.get("unserved", [])
    ]
    return render(
        request,
        "web/dispatch/plan.html",
        {
            "plan": plan,
            "routes": routes,
            "unserved": unserved,
            "metrics": plan.result.get("metrics", {}),
            "proposed": plan.status == PlanStatus.PROPOSED,
        },
    )


@page(Perm.ORDER_ASSIGN)
@require_POST
def plan_commit(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        plan = actions.plan_commit(actor=request.user, plan=pk)
        messages.success(request, _("The plan is committed; the technicians have their visits."))
        return redirect(f"{reverse('dispatch-board')}?station={plan.station_id}&day={plan.day}")
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("dispatch-plan", pk=pk)


@page(Perm.ORDER_ASSIGN)
@require_POST
def plan_discard(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = actions.plan_discard(actor=request.user, plan=pk)
    return redirect(f"{reverse('dispatch-board')}?station={plan.station_id}&day={plan.day}")


@page(Perm.ORDER_ASSIGN)
@require_POST
def move(request: AuthedRequest) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), request.POST.get("order") or 0)
    day = day_param(request.POST.get("day"))
    try:
        hours, minutes = (int(x) for x in (request.POST.get("time") or "").split(":")[:2])
        start = dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=capacity.tz())
        actions.visit_move(
            actor=request.user,
            order=order,
            technician=int(request.POST.get("technician") or 0),
            start=start,
        )
    except ValueError:
        messages.error(request, _("Give a time as HH:MM."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(f"{reverse('dispatch-board')}?station={order.station_id}&day={day}")


@page(Perm.ORDER_EDIT)
def order_appointment(request: AuthedRequest, pk: int) -> HttpResponse:
    """Offer the bookable windows of the coming days and book (or move) the appointment."""
    order = get_visible(orders_visible_to(request.user), pk)
    if request.method == "POST":
        try:
            a, b = request.POST.get("slot", "").split("/")
            start, end = dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)
        except ValueError:
            messages.error(request, _("Choose one of the offered windows."))
            return redirect("order-appointment", pk=pk)
        try:
            actions.appointment_book(
                actor=request.user,
                order=order,
                start=start,
                end=end,
                version=posted_version(request),
                by_customer=request.POST.get("by_customer") == "1",
                reason=request.POST.get("reason", ""),
                force=request.POST.get("force") == "1",
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("order-appointment", pk=pk)
        messages.success(request, _("The appointment is booked; the customer is told."))
        return redirect("order-detail", pk=pk)
    first = day_param(request.GET.get("first"))
    slots = dispatch_selectors.appointment_slots(actor=request.user, order=order, first=first)
    days: dict[dt.date, list[Any]] = {}
    for slot in slots:
        days.setdefault(slot.day, []).append(slot)
    conf = capacity.dispatch_settings(order.company_id)
    return render(
        request,
        "web/dispatch/appointment.html",
        {
            "order": order,
            "days": sorted(days.items()),
            "first": first,
            "later": first + dt.timedelta(days=conf.booking_days),
            "notice_hours": conf.notice_hours,
            "can_force": has_perm(request.user, Perm.ORDER_ASSIGN),
        },
    )


# --- capacity pages --------------------------------------------------------------------------

TEAM_DAYS = 14


def _time(value: str | None) -> dt.time:
    return dt.time.fromisoformat((value or "").strip())


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def polygon_from_text(text: str) -> Any:
    """A territory's boundary as pasted: one "longitude, latitude" point per line (or
    separated by semicolons), or JSON [[longitude, latitude], ...]. What cannot be read is
    passed on as it is, for the action to refuse with its message."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    points = []
    for chunk in text.replace(";", "\n").splitlines():
        if not chunk.strip():
            continue
        parts = chunk.replace("，", ",").replace(",", " ").split()
        try:
            points.append([float(parts[0]), float(parts[1])])
        except (IndexError, ValueError):
            return text
    return points


@page(Perm.CAPACITY_EDIT)
def team(request: AuthedRequest) -> HttpResponse:
    """A station's technicians: hours and skills, shifts of the coming two weeks, leave, and
    the territories they cover. Every change goes through the capacity actions."""
    stations = list(stations_visible_to(request.user).filter(is_active=True).order_by("name"))
    station = next((s for s in stations if str(s.pk) == request.GET.get("station")), None)
    station = station or (stations[0] if stations else None)
    today = clock.today()
    ctx: dict[str, Any] = {
        "stations": stations,
        "station": station,
        "today": today,
        "can_dispatch": has_perm(request.user, Perm.ORDER_ASSIGN),
    }
    if station is not None:
        ctx["technicians"] = (
            TechnicianProfile.objects.filter(station=station, is_active=True)
            .select_related("user")
            .prefetch_related("technicianskill_set__skill")
            .order_by("user__username")
        )
        ctx["shifts"] = (
            Shift.objects.filter(
                technician__station=station,
                day__gte=today,
                day__lt=today + dt.timedelta(days=TEAM_DAYS),
            )
            .select_related("technician__user")
            .order_by("day", "technician__user__username")
        )
        ctx["leave"] = (
            Leave.objects.filter(technician__station=station, last_day__gte=today)
            .select_related("technician__user")
            .order_by("first_day")
        )
        ctx["territories"] = (
            Territory.objects.filter(station=station)
            .prefetch_related("regions", "technicians__user")
            .order_by("name")
        )
        ctx["regions"] = Region.objects.filter(company_id=station.company_id).order_by("name")
        editing = request.GET.get("territory")
        ctx["editing"] = next((t for t in ctx["territories"] if str(t.pk) == editing), None)
        if ctx["editing"] is not None:
            ctx["editing_regions"] = {r.pk for r in ctx["editing"].regions.all()}
            ctx["editing_techs"] = {p.user_id for p in ctx["editing"].technicians.all()}
            ctx["editing_polygon"] = "\n".join(
                f"{lng}, {lat}" for lng, lat in (ctx["editing"].polygon or [])
            )
    return render(request, "web/dispatch/team.html", ctx)


@page(Perm.CAPACITY_EDIT)
@require_POST
def team_change(request: AuthedRequest) -> HttpResponse:
    """One form handler for the team page: `op` names the capacity action."""
    actor = request.user
    post = request.POST
    op = post.get("op", "")
    try:
        if op == "shift":
            actions.shift_set(
                actor=actor,
                technician=post.get("technician"),
                day=dt.date.fromisoformat(post.get("day", "")),
                start=_time(post.get("start")),
                end=_time(post.get("end")),
                break_minutes=_int(post.get("break_minutes"), 60),
            )
            messages.success(request, _("Shift saved."))
        elif op == "shift_delete":
            actions.shift_delete(actor=actor, shift=post.get("id"))
        elif op == "leave":
            done = actions.leave_add(
                actor=actor,
                technician=post.get("technician"),
                first_day=dt.date.fromisoformat(post.get("first_day", "")),
                last_day=dt.date.fromisoformat(post.get("last_day", "")),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Leave recorded."))
            if done.affected:
                messages.warning(
                    request,
                    _("Visits planned on those days must be moved: %(orders)s")
                    % {"orders": ", ".join(v.order.number for v in done.affected)},
                )
        elif op == "leave_delete":
            actions.leave_delete(actor=actor, leave=post.get("id"))
        elif op == "territory":
            polygon = polygon_from_text(post.get("polygon", ""))
            actions.territory_save(
                actor=actor,
                station=post.get("station"),
                territory=post.get("id") or None,
                name=post.get("name", ""),
                regions=[_int(x) for x in post.getlist("regions")],
                postcode_prefixes=post.get("postcode_prefixes", ""),
                polygon=polygon,
                technicians=[_int(x) for x in post.getlist("technicians")],
            )
            messages.success(request, _("Territory saved."))
        elif op == "territory_delete":
            actions.territory_delete(actor=actor, territory=post.get("id"))
        else:
            messages.error(request, _("Unknown operation."))
    except ValueError:
        messages.error(request, _("Some fields are not valid: check the dates, times and polygon."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(f"{reverse('dispatch-team')}?station={post.get('station', '')}")


SETTINGS_FORM_FIELDS = (
    "slot_minutes",
    "visits_from",
    "visits_until",
    "notice_hours",
    "booking_days",
    "detour_factor",
    "speed_kmh",
    "optimise_seconds",
)


@page(Perm.DISPATCH_RULES)
def rules(request: AuthedRequest) -> HttpResponse:
    """Company-wide: time on site by service type / category / model, and the skills a
    category of product needs."""
    actor = request.user
    if request.method == "POST":
        post = request.POST
        op = post.get("op", "")
        try:
            if op == "duration":
                actions.service_duration_set(
                    actor=actor,
                    service_type=post.get("service_type", ""),
                    minutes=_int(post.get("minutes")),
                    category=post.get("category") or None,
                    product_model=post.get("product_model") or None,
                )
            elif op == "duration_delete":
                actions.service_duration_delete(actor=actor, duration=post.get("id"))
            elif op == "requirement":
                actions.skill_requirement_set(
                    actor=actor,
                    category=post.get("category"),
                    skill=post.get("skill"),
                    level=_int(post.get("level"), 1),
                )
            elif op == "requirement_delete":
                actions.skill_requirement_delete(actor=actor, requirement=post.get("id"))
            elif op == "settings":
                rest = [
                    part.strip().split("-", 1)
                    for part in post.get("rest_periods", "").replace("，", ",").split(",")
                    if part.strip()
                ]
                actions.dispatch_settings_update(
                    actor=actor,
                    **{f: post.get(f, "") for f in SETTINGS_FORM_FIELDS},
                    rest_periods=rest,
                    auto_assign=post.get("auto_assign") == "1",
                )
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("dispatch-rules")
    company = company_of(actor)
    conf = capacity.dispatch_settings(company)
    return render(
        request,
        "web/dispatch/rules.html",
        {
            "can_dispatch": has_perm(actor, Perm.ORDER_ASSIGN),
            "conf": conf,
            "rest_text": ", ".join(f"{a}-{b}" for a, b in conf.rest_periods or []),
            "durations": ServiceDuration.objects.filter(company_id=company)
            .select_related("category", "product_model")
            .order_by("service_type", "category__name", "product_model__code"),
            "requirements": SkillRequirement.objects.filter(company_id=company)
            .select_related("category", "skill")
            .order_by("category__name", "skill__name"),
            "service_types": ServiceType.choices,
            "categories": ProductCategory.objects.filter(company_id=company).order_by("name"),
            "models": ProductModel.objects.filter(category__company_id=company).order_by("code")[
                :500
            ],
            "skills": Skill.objects.filter(company_id=company).order_by("name"),
        },
    )
