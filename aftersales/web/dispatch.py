"""Dispatch pages: the board (technicians × the day), the optimiser's proposal with its
reasons, the dispatcher's moves, and the technician's own day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.permissions import Perm
from aftersales.accounts.selectors import stations_visible_to
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.dispatch import actions, capacity
from aftersales.dispatch.choices import REASON_TEXT, PlanStatus
from aftersales.dispatch.models import DispatchPlan, Visit
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import flash_error, page

BOARD_FROM, BOARD_TO = 8, 20  # hours shown on the board


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()


def _pct(moment: dt.datetime, day: dt.date) -> float:
    hours = capacity.seconds_of(moment, day) / 3600
    return max(0.0, min(100.0, (hours - BOARD_FROM) / (BOARD_TO - BOARD_FROM) * 100))


@page(Perm.ORDER_ASSIGN)
def board(request: HttpRequest) -> HttpResponse:
    stations = list(stations_visible_to(request.user).filter(is_active=True).order_by("name"))
    station = next((s for s in stations if str(s.pk) == request.GET.get("station")), None)
    station = station or (stations[0] if stations else None)
    day = _day(request.GET.get("day"))
    rows: list[dict[str, Any]] = []
    unplanned: list[Any] = []
    if station is not None:
        techs = capacity.technician_days([station.pk], day)
        visits = (
            Visit.objects.filter(station=station, day=day, ended_at__isnull=True)
            .select_related("order", "order__customer", "technician")
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
    ctx = {
        "stations": stations,
        "station": station,
        "day": day,
        "rows": rows,
        "unplanned": unplanned,
        "hours": list(range(BOARD_FROM, BOARD_TO)),
        "plans": DispatchPlan.objects.filter(station=station, day=day).order_by("-id")[:5]
        if station
        else [],
    }
    return render(request, "web/dispatch/board.html", ctx)


@page(Perm.ORDER_ASSIGN)
@require_POST
def optimise(request: HttpRequest) -> HttpResponse:
    day = _day(request.POST.get("day"))
    station = request.POST.get("station", "")
    try:
        plan = actions.plan_propose(
            actor=request.user,  # type: ignore[arg-type]
            station=int(station) if station.isdigit() else 0,
            day=day,
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect(f"{reverse('dispatch-board')}?station={station}&day={day}")
    return redirect("dispatch-plan", pk=plan.pk)


@page(Perm.ORDER_ASSIGN)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible(
        DispatchPlan.objects.filter(station__in=stations_visible_to(request.user)).select_related(
            "station"
        ),
        pk,
    )
    routes = []
    for r in plan.result.get("routes", []):
        stops = [
            {
                **s,
                "start_t": dt.datetime.fromisoformat(s["start"]),
                "end_t": dt.datetime.fromisoformat(s["end"]),
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
def plan_commit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        plan = actions.plan_commit(actor=request.user, plan=pk)  # type: ignore[arg-type]
        messages.success(request, _("The plan is committed; the technicians have their visits."))
        return redirect(f"{reverse('dispatch-board')}?station={plan.station_id}&day={plan.day}")
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("dispatch-plan", pk=pk)


@page(Perm.ORDER_ASSIGN)
@require_POST
def plan_discard(request: HttpRequest, pk: int) -> HttpResponse:
    plan = actions.plan_discard(actor=request.user, plan=pk)  # type: ignore[arg-type]
    return redirect(f"{reverse('dispatch-board')}?station={plan.station_id}&day={plan.day}")


@page(Perm.ORDER_ASSIGN)
@require_POST
def move(request: HttpRequest) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), request.POST.get("order") or 0)
    day = _day(request.POST.get("day"))
    try:
        hours, minutes = (int(x) for x in (request.POST.get("time") or "").split(":")[:2])
        start = dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=capacity.tz())
        actions.visit_move(
            actor=request.user,  # type: ignore[arg-type]
            order=order,
            technician=int(request.POST.get("technician") or 0),
            start=start,
        )
    except ValueError:
        messages.error(request, _("Give a time as HH:MM."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(f"{reverse('dispatch-board')}?station={order.station_id}&day={day}")


@page(Perm.ORDER_VIEW)
def my_day(request: HttpRequest) -> HttpResponse:
    day = _day(request.GET.get("day"))
    visits = (
        Visit.objects.filter(technician=request.user, day=day, ended_at__isnull=True)
        .filter(order__in=orders_visible_to(request.user).filter(technician=request.user))
        .select_related("order__customer", "order__address", "order__unit__product_model")
        .order_by("sequence", "planned_start")
    )
    return render(
        request,
        "web/dispatch/my_day.html",
        {
            "visits": visits,
            "day": day,
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
        },
    )
