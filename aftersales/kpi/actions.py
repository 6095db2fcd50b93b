"""KPI writes: the incremental refresh and the rebuild of the derived tables, snapshots of a
closed period, training records.

The derived tables are sums of the pure core's contributions: `KpiFact` holds one row per
subject and KPI, `KpiDaily` their sums per day and dimensions. Both are replaced, never
patched, so running a refresh twice, or a rebuild of any range, gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, require
from aftersales.calendars.selectors import work_calendar
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict
from aftersales.core.validation import Errors
from aftersales.feedback.models import ComplaintEvent
from aftersales.kpi import formulas, selectors
from aftersales.kpi.formulas import Contribution
from aftersales.kpi.models import KpiCursor, KpiDaily, KpiFact, KpiSnapshot, TrainingRecord
from aftersales.orders.choices import OPEN
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts.choices import ReturnStatus
from aftersales.parts.models import ReturnEvent, ReturnObligation

DIM_COLUMNS = (
    "station_id",
    "technician_id",
    "region_id",
    "model_id",
    "fault_code_id",
    "category_id",
    "service_type",
)


def _fact(company_id: int, c: Contribution) -> KpiFact:
    return KpiFact(
        company_id=company_id,
        kpi=c.kpi,
        day=c.day,
        station_id=c.dims.station,
        technician_id=c.dims.technician,
        region_id=c.dims.region,
        model_id=c.dims.model,
        fault_code_id=c.dims.fault_code,
        category_id=c.dims.category,
        service_type=c.dims.service_type or "",
        subject=c.subject,
        subject_id=c.subject_id,
        order_id=c.order,
        num=c.num,
        den=c.den,
    )


def _replace_facts(
    company_id: int, subject: str, ids: set[int], rows: list[Contribution]
) -> set[tuple[str, dt.date]]:
    """Replace the facts of these subjects; returns the (kpi, day) pairs touched."""
    touched: set[tuple[str, dt.date]] = set()
    id_list = sorted(ids)
    for i in range(0, len(id_list), selectors.CHUNK):
        chunk = id_list[i : i + selectors.CHUNK]
        old = KpiFact.objects.filter(company_id=company_id, subject=subject, subject_id__in=chunk)
        touched |= set(old.values_list("kpi", "day").distinct())
        old.delete()
    new = [_fact(company_id, c) for c in rows if c.subject == subject and c.subject_id in ids]
    touched |= {(f.kpi, f.day) for f in new}
    KpiFact.objects.bulk_create(new, batch_size=2000)
    return touched


def _rebuild_daily(company_id: int, touched: Iterable[tuple[str, dt.date]]) -> int:
    """Recompute the daily sums of these (kpi, day) pairs from the facts."""
    by_kpi: dict[str, set[dt.date]] = {}
    for kpi, day in touched:
        by_kpi.setdefault(kpi, set()).add(day)
    written = 0
    for kpi, days in by_kpi.items():
        day_list = sorted(days)
        for i in range(0, len(day_list), 500):
            chunk = day_list[i : i + 500]
            KpiDaily.objects.filter(company_id=company_id, kpi=kpi, day__in=chunk).delete()
            sums = (
                KpiFact.objects.filter(company_id=company_id, kpi=kpi, day__in=chunk)
                .values("day", *DIM_COLUMNS)
                .annotate(n=Sum("num"), d=Sum("den"), c=Count("id"))
                .order_by()
            )
            rows = [
                KpiDaily(
                    company_id=company_id,
                    kpi=kpi,
                    day=s["day"],
                    num=s["n"],
                    den=s["d"],
                    count=s["c"],
                    **{col: s[col] for col in DIM_COLUMNS},
                )
                for s in sums
            ]
            KpiDaily.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


def _recompute(
    company_id: int,
    *,
    orders: set[int],
    complaints: set[int] | None,
    returns: set[int] | None,
    trainings: set[int] | None,
    as_of: dt.datetime,
) -> set[tuple[str, dt.date]]:
    touched: set[tuple[str, dt.date]] = set()
    if orders:
        ids = selectors.related_orders(company_id, orders)
        rows = selectors.order_rows(company_id, ids)
        contributions = formulas.order_contributions(
            rows, as_of=as_of, calendar=work_calendar(company_id)
        )
        touched |= _replace_facts(company_id, "order", ids, contributions)
    if complaints is None or complaints:
        found = selectors.complaint_rows(company_id, complaints)
        ids = set(complaints) if complaints is not None else {c.id for c in found}
        if complaints is None:
            ids |= set(
                KpiFact.objects.filter(company_id=company_id, subject="complaint").values_list(
                    "subject_id", flat=True
                )
            )
        touched |= _replace_facts(
            company_id, "complaint", ids, formulas.complaint_contributions(found)
        )
    if returns is None or returns:
        found_r = selectors.return_rows(company_id, returns)
        ids = set(returns) if returns is not None else {r.id for r in found_r}
        touched |= _replace_facts(
            company_id, "return", ids, formulas.return_contributions(found_r, as_of=as_of)
        )
    if trainings is None or trainings:
        found_t = selectors.training_rows(company_id, trainings)
        ids = set(trainings) if trainings is not None else {t.id for t in found_t}
        if trainings is None:
            ids |= set(
                KpiFact.objects.filter(company_id=company_id, subject="training").values_list(
                    "subject_id", flat=True
                )
            )
        touched |= _replace_facts(
            company_id, "training", ids, formulas.training_contributions(found_t)
        )
    return touched


@transaction.atomic
def kpi_refresh(*, company_id: int, as_of: dt.datetime | None = None) -> int:
    """Bring the facts and daily sums up to date with the events written since the last run
    (and with the clock: open orders and unreturned parts are looked at every run, since a due
    time passing decides them). Returns the number of daily rows rewritten."""
    now = as_of or timezone.now()
    cursor, _created = KpiCursor.objects.select_for_update().get_or_create(company_id=company_id)
    new_order_events = OrderEvent.objects.filter(
        order__company_id=company_id, pk__gt=cursor.order_event_id
    )
    top_order_event = cursor.order_event_id
    orders: set[int] = set()
    for pk, order_id in new_order_events.values_list("pk", "order_id").iterator():
        orders.add(order_id)
        top_order_event = max(top_order_event, pk)
    orders |= set(
        ServiceOrder.objects.filter(company_id=company_id, status__in=OPEN).values_list(
            "pk", flat=True
        )
    )
    complaint_events = list(
        ComplaintEvent.objects.filter(
            complaint__company_id=company_id, pk__gt=cursor.complaint_event_id
        ).values_list("pk", "complaint_id")
    )
    complaints = {c for _pk, c in complaint_events}
    return_events = list(
        ReturnEvent.objects.filter(
            obligation__company_id=company_id, pk__gt=cursor.return_event_id
        ).values_list("pk", "obligation_id")
    )
    returns = {r for _pk, r in return_events}
    returns |= set(
        ReturnObligation.objects.filter(
            company_id=company_id, status=ReturnStatus.OPEN
        ).values_list("pk", flat=True)
    )
    trainings = set(
        TrainingRecord.objects.filter(company_id=company_id, pk__gt=cursor.training_id).values_list(
            "pk", flat=True
        )
    )
    touched = _recompute(
        company_id,
        orders=orders,
        complaints=complaints,
        returns=returns,
        trainings=trainings,
        as_of=now,
    )
    written = _rebuild_daily(company_id, touched)
    cursor.order_event_id = top_order_event
    cursor.complaint_event_id = max([cursor.complaint_event_id, *(p for p, _c in complaint_events)])
    cursor.return_event_id = max([cursor.return_event_id, *(p for p, _r in return_events)])
    cursor.training_id = max([cursor.training_id, *trainings])
    cursor.ran_at = now
    cursor.save()
    return written


@transaction.atomic
def kpi_rebuild(
    *,
    company_id: int,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> int:
    """Recompute every fact from the events and rewrite the daily sums of [day_from, day_to]
    (everything when not given). The result equals what the incremental job keeps."""
    now = as_of or timezone.now()
    orders = set(ServiceOrder.objects.filter(company_id=company_id).values_list("pk", flat=True))
    stale = set(
        KpiFact.objects.filter(company_id=company_id, subject="order").values_list(
            "subject_id", flat=True
        )
    )
    touched = _recompute(
        company_id,
        orders=orders | stale,
        complaints=None,
        returns=None,
        trainings=None,
        as_of=now,
    )
    days = {
        (k, d)
        for k, d in touched
        if (day_from is None or d >= day_from) and (day_to is None or d <= day_to)
    }
    if day_from is None and day_to is None:
        KpiDaily.objects.filter(company_id=company_id).delete()
    return _rebuild_daily(company_id, days)


def kpi_refresh_all() -> int:
    from aftersales.accounts.models import Company

    return sum(kpi_refresh(company_id=pk) for pk in Company.objects.values_list("pk", flat=True))


# --- snapshots -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def kpi_snapshot_take(
    *,
    actor: User | None,
    company_id: int,
    code: str,
    period_from: dt.date,
    period_to: dt.date,
    group_by: str,
) -> KpiSnapshot:
    """Freeze one KPI's figures for a closed period (or return the one already frozen)."""
    found = selectors.snapshot(company_id, code, period_from, period_to, group_by)
    if found is not None:
        return found
    if period_to >= timezone.localdate():
        raise Conflict("period_open", _("Only a closed period can be frozen."))
    d = selectors.definition(code)
    rows = selectors.figures(
        company_id=company_id,
        code=code,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
    )
    snap = KpiSnapshot.objects.create(
        company_id=company_id,
        kpi=code,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        definition=d.as_dict(),
        definition_version=d.version,
        rows=[{k: _plain(v) for k, v in r.items()} for r in rows],
        taken_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="kpi.snapshot",
        obj=snap,
        changes={"kpi": [None, code], "period": [None, f"{period_from}..{period_to}"]},
    )
    return snap


# --- training records ------------------------------------------------------------------------


@transaction.atomic
def training_record_add(
    *,
    actor: User,
    technician: User | int,
    course: str,
    hours: Decimal,
    date: dt.date,
) -> TrainingRecord:
    require(actor, Perm.TRAINING_EDIT)
    errors = Errors()
    tech_id = technician.pk if isinstance(technician, User) else technician
    tech = User.objects.filter(
        pk=tech_id, company_id=actor.company_id, role=Role.TECHNICIAN
    ).first()
    if tech is None:
        errors.add("technician", _("Choose a technician."))
    elif actor.station_id and tech.station_id != actor.station_id:
        errors.add("technician", _("Choose a technician of your station."))
    if not course.strip():
        errors.add("course", _("Name the course."))
    if hours is None or hours <= 0 or hours > 1000:
        errors.add("hours", _("Enter the hours (more than 0)."))
    if date > timezone.localdate():
        errors.add("date", _("The date is in the future."))
    errors.raise_if_any()
    row = TrainingRecord.objects.create(
        company_id=actor.company_id,
        technician=tech,
        course=course.strip()[:200],
        hours=hours,
        date=date,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="training.create",
        obj=row,
        changes={"course": [None, row.course], "hours": [None, str(hours)]},
    )
    return row
