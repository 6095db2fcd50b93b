"""Permission-scoped reads of the workshop: a station sees its own jobs, queue, shipments
and loaners; a region its stations'; the company all."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.db.models import Count, Q, QuerySet

from aftersales.accounts.permissions import Perm, has_perm
from aftersales.accounts.selectors import scope, stations_visible_to
from aftersales.core import clock
from aftersales.workshop import rules
from aftersales.workshop.choices import AT_WORKSHOP, JobStatus, TicketStatus
from aftersales.workshop.models import (
    Loaner,
    LoanerLoan,
    QueueTicket,
    Shipment,
    TurnaroundRule,
    WorkshopJob,
    WorkshopSettings,
    WorkshopStation,
)

WORKSHOP_PERMS = (Perm.WORKSHOP_COUNTER, Perm.WORKSHOP_BENCH, Perm.WORKSHOP_RULES)


def may_use_workshop(user: Any) -> bool:
    return any(has_perm(user, p) for p in WORKSHOP_PERMS)


def jobs_visible_to(user: Any) -> QuerySet[WorkshopJob]:
    if not may_use_workshop(user):
        return WorkshopJob.objects.none()
    return scope(user, WorkshopJob.objects.all(), region_field="station__region")


def workshop_stations(user: Any) -> QuerySet[Any]:
    """The stations whose counter or bench the user may work."""
    if not may_use_workshop(user):
        return stations_visible_to(user).none()
    return stations_visible_to(user).filter(is_active=True).order_by("name")


BOARD_COLUMN = 30
# What a card shows: only these columns are read (the order row is wide).
BOARD_FIELDS = (
    "id",
    "status",
    "status_since",
    "ready_due",
    "ready_at",
    "station_id",
    "order__id",
    "order__number",
    "order__customer__id",
    "order__customer__name",
    "order__unit__id",
    "order__unit__serial",
    "technician__id",
    "technician__username",
    "technician__first_name",
    "technician__last_name",
)


def board(user: Any, *, station_id: int | None = None) -> list[dict[str, Any]]:
    """Jobs at the workshop by step: per step how many, and the oldest in it (at most
    BOARD_COLUMN), oldest first. One indexed query per step (station or company, status,
    status_since), so the cost does not grow with the number of open jobs."""
    qs = jobs_visible_to(user)
    if station_id:
        qs = qs.filter(station_id=station_id)
    counts = dict(
        qs.filter(status__in=AT_WORKSHOP)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    columns = []
    for status in JobStatus.values:
        if status not in AT_WORKSHOP:
            continue
        jobs = (
            list(
                qs.filter(status=status)
                .select_related("order", "order__customer", "order__unit", "technician")
                .only(*BOARD_FIELDS)
                .order_by("status_since")[:BOARD_COLUMN]
            )
            if counts.get(status)
            else []
        )
        columns.append({"status": status, "jobs": jobs, "count": counts.get(status, 0)})
    return columns


# Statuses in which the turnaround clock runs (not ready yet, not waiting for parts).
TURNAROUND_RUNNING = AT_WORKSHOP - {JobStatus.READY, JobStatus.WAITING_PARTS}
# The board counts overdue jobs up to this many (then shows "1000+"): the count reads at
# most this many index entries however many jobs are late.
OVERDUE_CAP = 1000


def overdue_count(
    user: Any, *, station_id: int | None = None, now: dt.datetime | None = None
) -> int:
    """Jobs past their promised ready time with the clock running (not ready, not waiting
    for parts), in the user's scope; at most OVERDUE_CAP + 1."""
    qs = jobs_visible_to(user)
    if station_id:
        qs = qs.filter(station_id=station_id)
    late = qs.filter(ready_due__lt=now or clock.now(), status__in=TURNAROUND_RUNNING)
    return late.order_by()[: OVERDUE_CAP + 1].count()


def workshop_settings(company_id: int) -> WorkshopSettings:
    """The company's settings, or the defaults (unsaved) when none were saved."""
    return WorkshopSettings.objects.filter(company_id=company_id).first() or WorkshopSettings(
        company_id=company_id
    )


def turnaround_days_for(company_id: int, station_id: int | None, service_type: str) -> int:
    """The working days a job at this station for this service type is promised ready in:
    the most specific turnaround rule, else the company's setting (`rules.turnaround_days`)."""
    found = TurnaroundRule.objects.filter(company_id=company_id).filter(
        Q(station__isnull=True) | Q(station_id=station_id)
    )
    return rules.turnaround_days(
        found.values_list("station_id", "service_type", "days"),
        station_id=station_id,
        service_type=service_type,
        default=workshop_settings(company_id).turnaround_days,
    )


def turnaround_rules(user: Any) -> QuerySet[TurnaroundRule]:
    """The rules a user sees on the settings page: the company-wide ones (by service type)
    and those of the stations whose workshop the user may run."""
    if not has_perm(user, Perm.WORKSHOP_RULES):
        return TurnaroundRule.objects.none()
    stations = workshop_stations(user).values("pk")
    return (
        TurnaroundRule.objects.filter(company_id=user.company_id)
        .filter(Q(station__isnull=True) | Q(station_id__in=stations))
        .select_related("station")
        .order_by("station__name", "service_type", "id")
    )


def station_workshop(station_id: int) -> WorkshopStation:
    """The station's workshop settings, or the defaults (unsaved)."""
    return WorkshopStation.objects.filter(station_id=station_id).first() or WorkshopStation(
        station_id=station_id
    )


def tickets_visible_to(user: Any) -> QuerySet[QueueTicket]:
    if not may_use_workshop(user):
        return QueueTicket.objects.none()
    return scope(
        user,
        QueueTicket.objects.all(),
        company_field="station__company",
        region_field="station__region",
    )


def hall_display(station_id: int, *, day: dt.date | None = None) -> dict[str, Any]:
    """What the hall's screen shows: the numbers called last (with their desk) and how many
    wait. Public within the station's hall (no personal data)."""
    day = day or clock.today()
    qs = QueueTicket.objects.filter(station_id=station_id, day=day)
    called = list(
        qs.filter(status=TicketStatus.CALLED)
        .order_by("-called_at", "-id")
        .values("label", "desk")[:6]
    )
    waiting = qs.filter(status=TicketStatus.WAITING).count()
    return {"called": called, "waiting": waiting}


def shipments_visible_to(user: Any) -> QuerySet[Shipment]:
    return Shipment.objects.filter(job__in=jobs_visible_to(user).values("pk"))


def loaners_visible_to(user: Any) -> QuerySet[Loaner]:
    if not may_use_workshop(user):
        return Loaner.objects.none()
    return scope(
        user, Loaner.objects.all(), company_field="station__company", region_field="station__region"
    )


def overdue_loans(user: Any, *, now: dt.datetime | None = None) -> QuerySet[LoanerLoan]:
    now = now or clock.now()
    return (
        LoanerLoan.objects.filter(
            loaner__in=loaners_visible_to(user).values("pk"),
            returned_at__isnull=True,
            due_at__lt=now,
        )
        .select_related("loaner", "job", "job__order", "job__order__customer")
        .order_by("due_at", "id")
    )


def loaners_owed(user: Any) -> QuerySet[WorkshopJob]:
    """Jobs at the workshop whose car rule's loaner is due (repair over 5 days) and that have
    no loaner out, oldest first."""
    return (
        jobs_visible_to(user)
        .filter(loaner_due_at__isnull=False, status__in=AT_WORKSHOP)
        .exclude(pk__in=LoanerLoan.objects.filter(returned_at__isnull=True).values("job_id"))
        .select_related("order", "order__customer", "station")
        .order_by("loaner_due_at", "id")
    )


def awaiting_units(user: Any) -> QuerySet[WorkshopJob]:
    """Mail-in requests whose unit has not arrived, oldest first."""
    return (
        jobs_visible_to(user)
        .filter(status=JobStatus.AWAITING_UNIT)
        .select_related("order", "order__customer", "station")
        .order_by("status_since", "id")
    )


def portal_jobs(customer_ids: list[int]) -> QuerySet[WorkshopJob]:
    """A portal customer's own workshop jobs."""
    return (
        WorkshopJob.objects.filter(order__customer_id__in=customer_ids)
        .select_related("order", "order__unit__product_model", "station")
        .order_by("-id")
    )


def tracking_url(tracking_no: str) -> str:
    """Where a tracking number is looked up (no courier integration: the number links out)."""
    return f"https://www.kuaidi100.com/chaxun?nu={quote(tracking_no)}"
