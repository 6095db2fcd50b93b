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
from typing import Any, TypeVar, overload

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, Station, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock, transitions
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.feedback.models import ComplaintEvent
from aftersales.kpi import assessment, formulas, gbt27922, selectors
from aftersales.kpi.choices import RUN_LIFECYCLE
from aftersales.kpi.dashboards import HEADLINE
from aftersales.kpi.formulas import Contribution
from aftersales.kpi.models import (
    AMOUNT_PLACES,
    MONTHLY_ROLLUPS,
    AssessmentAdjustment,
    AssessmentEvent,
    AssessmentResult,
    AssessmentRun,
    AssessmentScheme,
    KpiCursor,
    KpiDaily,
    KpiFact,
    KpiMonthly,
    KpiMonthlyProduct,
    KpiSnapshot,
    KpiSubscription,
    KpiWatch,
    SelfAssessment,
    TrainingRecord,
)
from aftersales.notifications.actions import notify
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.choices import OPEN
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts.choices import ReturnStatus
from aftersales.parts.models import PartsRequestEvent, ReturnEvent, ReturnObligation

MonthlyRow = KpiMonthly | KpiMonthlyProduct
# One rollup's row type, the same throughout a call (its rows go back to its own table).
RowT = TypeVar("RowT", KpiMonthly, KpiMonthlyProduct)

DIM_COLUMNS = (
    "station_id",
    "technician_id",
    "region_id",
    "model_id",
    "fault_code_id",
    "category_id",
    "service_type",
)


FACT_COLUMNS = (
    "company_id",
    "kpi",
    "day",
    *DIM_COLUMNS,
    "subject",
    "subject_id",
    "order_id",
    "num",
    "den",
)


def _fact_row(company_id: int, c: Contribution) -> tuple[Any, ...]:
    ops = connection.ops
    return (
        company_id,
        c.kpi,
        ops.adapt_datefield_value(c.day),
        c.dims.station,
        c.dims.technician,
        c.dims.region,
        c.dims.model,
        c.dims.fault_code,
        c.dims.category,
        c.dims.service_type or "",
        c.subject,
        c.subject_id,
        c.order,
        ops.adapt_decimalfield_value(c.num),
        ops.adapt_decimalfield_value(c.den),
    )


def _insert_facts(rows: list[tuple[Any, ...]]) -> None:
    """Plain multi-row INSERTs (the ORM's per-field preparation dominated the rebuild)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(KpiFact._meta.db_table)
    columns = ", ".join(qn(c) for c in FACT_COLUMNS)
    marks = "(" + ", ".join(["%s"] * len(FACT_COLUMNS)) + ")"
    step = 60  # SQLite allows 999 parameters per statement
    with connection.cursor() as cursor:
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            cursor.execute(
                # identifiers from the model's metadata; every value is a parameter
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(chunk))}",  # noqa: S608
                [v for row in chunk for v in row],
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
    new = [c for c in rows if c.subject == subject and c.subject_id in ids]
    touched |= {(c.kpi, c.day) for c in new}
    _insert_facts([_fact_row(company_id, c) for c in new])
    return touched


# every dimension any monthly rollup keeps
ROLLUP_DIMS = tuple(c for c in DIM_COLUMNS if any(c in dims for _m, dims in MONTHLY_ROLLUPS))
MonthKey = tuple[Any, ...]  # (kpi, month, *that rollup's dimensions)
Deltas = list[dict[MonthKey, list[Any]]]  # one per rollup, in MONTHLY_ROLLUPS order


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_sums(company_id: int, kpi: str, days: list[dt.date]) -> Deltas:
    """The daily rows of these days summed per month and each rollup's dimensions."""
    out: Deltas = [{} for _r in MONTHLY_ROLLUPS]
    rows = (
        KpiDaily.objects.filter(company_id=company_id, kpi=kpi, day__in=days)
        .values("day", *ROLLUP_DIMS)
        .annotate(n=Sum("num"), d=Sum("den"), c=Sum("count"))
        .order_by()
    )
    for r in rows:
        month = month_of(r["day"])
        for sums, (_model, dims) in zip(out, MONTHLY_ROLLUPS, strict=True):
            got = sums.setdefault((kpi, month, *(r[c] for c in dims)), [Decimal(0), Decimal(0), 0])
            got[0] += r["n"] or 0
            got[1] += r["d"] or 0
            got[2] += r["c"] or 0
    return out


def _add_into(total: Deltas, part: Deltas, sign: int) -> None:
    for into, sums in zip(total, part, strict=True):
        for key, (n, d, c) in sums.items():
            got = into.setdefault(key, [Decimal(0), Decimal(0), 0])
            got[0] += sign * n
            got[1] += sign * d
            got[2] += sign * c


# One overload per rollup, so that a loop over MONTHLY_ROLLUPS (a model of either) type-checks.
@overload
def _apply_monthly(
    company_id: int,
    model: type[KpiMonthly],
    dims: tuple[str, ...],
    delta: dict[MonthKey, list[Any]],
) -> None: ...
@overload
def _apply_monthly(
    company_id: int,
    model: type[KpiMonthlyProduct],
    dims: tuple[str, ...],
    delta: dict[MonthKey, list[Any]],
) -> None: ...
def _apply_monthly(
    company_id: int,
    model: type[RowT],
    dims: tuple[str, ...],
    delta: dict[MonthKey, list[Any]],
) -> None:
    """Add the differences to one rollup's rows (a row whose count falls to 0 goes)."""
    delta = {k: v for k, v in delta.items() if v[0] or v[1] or v[2]}
    by_kpi: dict[str, set[dt.date]] = {}
    for key in delta:
        by_kpi.setdefault(key[0], set()).add(key[1])
    existing: dict[MonthKey, RowT] = {}
    kept: RowT  # declared: mypy infers no type for the loop over a constrained type's rows
    for kpi, months in by_kpi.items():
        for kept in model.objects.filter(company_id=company_id, kpi=kpi, month__in=sorted(months)):
            existing[(kept.kpi, kept.month, *(getattr(kept, c) for c in dims))] = kept
    create: list[RowT] = []
    update: list[RowT] = []
    gone: list[int] = []
    for key, (num, den, count) in delta.items():
        row = existing.get(key)
        if row is None:
            row = model(
                company_id=company_id,
                kpi=key[0],
                month=key[1],
                num=Decimal(0),
                den=Decimal(0),
                count=0,
                **dict(zip(dims, key[2:], strict=True)),
            )
            create.append(row)
        elif row.count + count <= 0:
            gone.append(row.pk)
            continue
        else:
            update.append(row)
        row.num += num
        row.den += den
        row.count += count
    model.objects.bulk_create(create, batch_size=500)
    model.objects.bulk_update(update, ["num", "den", "count"], batch_size=500)
    if gone:
        model.objects.filter(pk__in=gone).delete()


def _rebuild_daily(
    company_id: int, touched: Iterable[tuple[str, dt.date]], *, monthly: bool = True
) -> int:
    """Recompute the daily sums of these (kpi, day) pairs from the facts, in the database
    (one INSERT ... SELECT ... GROUP BY per KPI and chunk of days), and move the monthly rows
    by the difference (`monthly=False`: the caller rebuilds them whole)."""
    by_kpi: dict[str, set[dt.date]] = {}
    for kpi, day in touched:
        by_kpi.setdefault(kpi, set()).add(day)
    qn = connection.ops.quote_name
    facts, daily = qn(KpiFact._meta.db_table), qn(KpiDaily._meta.db_table)
    group = ", ".join(qn(c) for c in ("company_id", "kpi", "day", *DIM_COLUMNS))
    written = 0
    delta: Deltas = [{} for _r in MONTHLY_ROLLUPS]
    with connection.cursor() as cursor:
        for kpi, days in sorted(by_kpi.items()):
            day_list = sorted(days)
            for i in range(0, len(day_list), 500):
                some = day_list[i : i + 500]
                if monthly:
                    _add_into(delta, _month_sums(company_id, kpi, some), -1)
                chunk = [connection.ops.adapt_datefield_value(d) for d in some]
                marks = ", ".join(["%s"] * len(chunk))
                where = f"company_id = %s AND kpi = %s AND day IN ({marks})"
                params = [company_id, kpi, *chunk]
                # identifiers from the model's metadata; every value is a parameter
                cursor.execute(f"DELETE FROM {daily} WHERE {where}", params)  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {daily} ({group}, num, den, {qn('count')}) "  # noqa: S608
                    f"SELECT {group}, SUM(num), SUM(den), COUNT(*) FROM {facts} "
                    f"WHERE {where} GROUP BY {group}",
                    params,
                )
                written += max(cursor.rowcount, 0)
                if monthly:
                    _add_into(delta, _month_sums(company_id, kpi, some), 1)
    for (model, dims), sums in zip(MONTHLY_ROLLUPS, delta, strict=True):
        _apply_monthly(company_id, model, dims, sums)
    return written


def monthly_from_daily(
    company_id: int, model: type[MonthlyRow] = KpiMonthly
) -> list[KpiMonthly | KpiMonthlyProduct]:
    """One rollup's rows as a from-scratch sum of the daily ones (what the deltas must keep)."""
    dims = dict(MONTHLY_ROLLUPS)[model]
    rows = (
        KpiDaily.objects.filter(company_id=company_id)
        .annotate(m=TruncMonth("day"))
        .values("kpi", "m", *dims)
        .annotate(n=Sum("num"), d=Sum("den"), c=Sum("count"))
        .order_by()
    )
    # Every daily figure has four places, so their sum has too; SQLite sums decimals as
    # floats (45809.0246999999 for 45809.0247), so the sum is rounded back to the places the
    # column keeps — what a rebuild stores and what the job's differences kept.
    places = Decimal(1).scaleb(-AMOUNT_PLACES)
    out = []
    for r in rows:
        month = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
        out.append(
            model(
                company_id=company_id,
                kpi=r["kpi"],
                month=month,
                num=Decimal(r["n"] or 0).quantize(places),
                den=Decimal(r["d"] or 0).quantize(places),
                count=r["c"] or 0,
                **{c: r[c] for c in dims},
            )
        )
    return out


@transaction.atomic
def kpi_monthly_rebuild(*, company_id: int) -> int:
    """Rewrite the monthly rollups from the daily rows (the same rows the deltas keep);
    returns the number of rows written."""
    written = 0
    for model, _dims in MONTHLY_ROLLUPS:
        model.objects.filter(company_id=company_id).delete()
        rows = monthly_from_daily(company_id, model)
        model.objects.bulk_create(rows, batch_size=2000)  # type: ignore[arg-type]
        written += len(rows)
    return written


def _replace_watches(company_id: int, ids: set[int], due: dict[int, dt.datetime]) -> None:
    """Replace the watch rows of these orders (when the clock alone changes them next)."""
    id_list = sorted(ids)
    for i in range(0, len(id_list), selectors.CHUNK):
        KpiWatch.objects.filter(order_id__in=id_list[i : i + selectors.CHUNK]).delete()
    KpiWatch.objects.bulk_create(
        [KpiWatch(company_id=company_id, order_id=pk, at=at) for pk, at in sorted(due.items())],
        batch_size=1000,
    )


def _recompute(
    company_id: int,
    *,
    orders: set[int],
    complaints: set[int] | None,
    returns: set[int] | None,
    trainings: set[int] | None,
    as_of: dt.datetime,
    requests: set[int] | None = None,
) -> set[tuple[str, dt.date]]:
    touched: set[tuple[str, dt.date]] = set()
    if requests is None or requests:
        found_p = selectors.parts_request_rows(company_id, requests)
        ids = set(requests) if requests is not None else {r.id for r in found_p}
        touched |= _replace_facts(company_id, "parts", ids, formulas.parts_contributions(found_p))
    if orders:
        ids = selectors.related_orders(company_id, orders)
        rows = selectors.order_rows(company_id, ids)
        contributions = formulas.order_contributions(
            rows, as_of=as_of, calendar=work_calendar(company_id)
        )
        touched |= _replace_facts(company_id, "order", ids, contributions)
        _replace_watches(company_id, ids, formulas.decides_at(rows, as_of=as_of))
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
    (the event-id watermark in `KpiCursor`) and with the clock: the open orders whose watch
    time (a due time or a booked window's end, `KpiWatch`) passed since the last run and the
    unreturned parts whose return date did. Runs once at a time per company (the cursor row
    is locked) and moves the watermark in the same transaction. Returns the number of daily
    rows rewritten."""
    now = as_of or clock.now()
    cursor, _created = KpiCursor.objects.select_for_update().get_or_create(company_id=company_id)
    new_order_events = OrderEvent.objects.filter(
        order__company_id=company_id, pk__gt=cursor.order_event_id
    )
    top_order_event = cursor.order_event_id
    orders: set[int] = set()
    for pk, order_id in new_order_events.values_list("pk", "order_id").iterator():
        orders.add(order_id)
        top_order_event = max(top_order_event, pk)
    # the orders the clock alone changed since the last run: their watch time has passed.
    # The first run, or a run as of a moment before the last one (a backfill after live
    # runs), looks at every open order instead, as a rebuild would.
    prev = cursor.ran_at
    incremental = prev is not None and now >= prev
    if incremental:
        orders |= set(
            KpiWatch.objects.filter(company_id=company_id, at__lt=now).values_list(
                "order_id", flat=True
            )
        )
    else:
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
    # an unreturned part is missed once its return date has passed: those whose date passed
    # since the last run (all open ones on the first run or when the clock went back)
    open_returns = ReturnObligation.objects.filter(company_id=company_id, status=ReturnStatus.OPEN)
    if incremental and prev is not None:
        open_returns = open_returns.filter(
            due__gte=formulas.local_day(prev), due__lt=formulas.local_day(now)
        )
    returns |= set(open_returns.values_list("pk", flat=True))
    request_events = list(
        PartsRequestEvent.objects.filter(
            request__company_id=company_id, pk__gt=cursor.parts_request_event_id
        ).values_list("pk", "request_id")
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
        requests={r for _pk, r in request_events},
    )
    written = _rebuild_daily(company_id, touched)
    cursor.order_event_id = top_order_event
    cursor.complaint_event_id = max([cursor.complaint_event_id, *(p for p, _c in complaint_events)])
    cursor.return_event_id = max([cursor.return_event_id, *(p for p, _r in return_events)])
    cursor.training_id = max([cursor.training_id, *trainings])
    cursor.parts_request_event_id = max(
        [cursor.parts_request_event_id, *(p for p, _r in request_events)]
    )
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
    now = as_of or clock.now()
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
        # everything: the daily rows anew, then the monthly ones from them in one pass
        KpiDaily.objects.filter(company_id=company_id).delete()
        written = _rebuild_daily(company_id, days, monthly=False)
        kpi_monthly_rebuild(company_id=company_id)
        return written
    return _rebuild_daily(company_id, days)


def kpi_refresh_all() -> int:
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
    if period_to >= clock.today():
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
        pk=tech_id, company_id=company_of(actor), role=Role.TECHNICIAN
    ).first()
    if tech is None:
        errors.add("technician", _("Choose a technician."))
    elif actor.station_id and tech.station_id != actor.station_id:
        errors.add("technician", _("Choose a technician of your station."))
    if not course.strip():
        errors.add("course", _("Name the course."))
    if hours is None or hours <= 0 or hours > 1000:
        errors.add("hours", _("Enter the hours (more than 0)."))
    if date > clock.today():
        errors.add("date", _("The date is in the future."))
    errors.raise_if_any()
    assert tech is not None  # no technician is an error above
    row = TrainingRecord.objects.create(
        company_id=company_of(actor),
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


# --- assessment (考核) -----------------------------------------------------------------------


def _scheme_errors(definition: Any) -> None:
    if not isinstance(definition, dict):
        raise ValidationFailed(
            {"definition": _("The scheme is not complete: %(what)s") % {"what": "{}"}}
        )
    problems = assessment.check_scheme(definition)
    if problems:
        raise ValidationFailed(
            {
                "definition": _("The scheme is not complete: %(what)s")
                % {"what": ", ".join(problems)}
            }
        )


@transaction.atomic
def assessment_scheme_save(
    *,
    actor: User,
    name: str,
    period_kind: str,
    definition: dict[str, Any],
    scheme: AssessmentScheme | int | None = None,
) -> AssessmentScheme:
    """Create or change a scheme (runs already made keep the data they were made with)."""
    require(actor, Perm.ASSESSMENT_EDIT)
    errors = Errors()
    if not name.strip():
        errors.add("name", _("Give it a name."))
    if period_kind not in AssessmentScheme.PeriodKind.values:
        errors.add("period_kind", _("Choose a period."))
    errors.raise_if_any()
    _scheme_errors(definition)
    if scheme is None:
        row = AssessmentScheme(company_id=company_of(actor), created_by=actor)
        before: dict[str, Any] = {}
    else:
        pk = scheme.pk if isinstance(scheme, AssessmentScheme) else scheme
        found = AssessmentScheme.objects.filter(pk=pk, company_id=company_of(actor)).first()
        if found is None:
            raise NotFound("not_found", _("Not found."))
        row = found
        before = {"definition": row.definition, "name": row.name}
    row.name = name.strip()[:100]
    row.period_kind = period_kind
    row.subject = definition["subject"]
    row.definition = definition
    row.save()
    audit_record(
        actor=actor,
        action="assessment_scheme.save",
        obj=row,
        changes={
            "name": [before.get("name"), row.name],
            "definition": [before.get("definition"), definition],
        },
    )
    return row


def _kpis_of(definition: dict[str, Any]) -> list[str]:
    codes = [i["kpi"] for i in definition["items"] if not i.get("manual")]
    codes += [r["kpi"] for r in definition.get("rules") or [] if not r.get("manual")]
    return sorted(set(codes))


def _subjects(company_id: int, subject: str) -> list[tuple[int, str]]:
    if subject == "station":
        return list(
            Station.objects.filter(company_id=company_id, is_active=True)
            .order_by("pk")
            .values_list("pk", "name")
        )
    return [
        (u.pk, u.get_full_name() or u.username)
        for u in User.objects.filter(company_id=company_id, role=Role.TECHNICIAN).order_by("pk")
    ]


def _figures_of(run: AssessmentRun, subject_id: int) -> dict[str, assessment.Figure | None]:
    out: dict[str, assessment.Figure | None] = {}
    for code, snap_id in run.snapshots.items():
        snap = KpiSnapshot.objects.get(pk=snap_id)
        row = next((r for r in snap.rows if r["key"] == subject_id), None)
        out[code] = (
            None
            if row is None
            else assessment.Figure(
                Decimal(row["numerator"]),
                Decimal(row["denominator"]),
                Decimal(row["value"]) if row["value"] is not None else None,
            )
        )
    return out


def _rescore(result: AssessmentResult) -> None:
    run = result.run
    figures = _figures_of(run, result.subject_id)
    adjustments = [(a.points, a.reason) for a in result.adjustments.order_by("at", "id")]
    got = assessment.score(run.scheme_data, figures, result.manual, adjustments)
    result.figures = {
        k: None
        if v is None
        else {
            "numerator": str(v.numerator),
            "denominator": str(v.denominator),
            "value": None if v.value is None else str(v.value),
        }
        for k, v in figures.items()
    }
    result.score = got.total
    result.grade = got.grade
    result.lines = got.as_dict()["lines"]
    result.save(update_fields=["figures", "score", "grade", "lines"])


def _run_event(
    run: AssessmentRun,
    actor: User | None,
    action: str,
    *,
    reason: str = "",
    **payload: Any,
) -> None:
    """A step that changes no status (created, manual score, adjustment): the kernel's
    event writer."""
    transitions.record(
        AssessmentEvent,
        subject_field="run",
        subject=run,
        actor=actor,
        action=action,
        to_status=run.status,
        reason=reason[:500],
        payload=payload,
    )


@transaction.atomic
def assessment_run_create(
    *, actor: User, scheme: AssessmentScheme | int, period_from: dt.date, period_to: dt.date
) -> AssessmentRun:
    """Score every station (or technician) for a closed period from frozen KPI snapshots.
    Asked again for the same scheme and period, it returns the run already made."""
    require(actor, Perm.ASSESSMENT_EDIT)
    pk = scheme.pk if isinstance(scheme, AssessmentScheme) else scheme
    row = AssessmentScheme.objects.filter(pk=pk, company_id=company_of(actor)).first()
    if row is None:
        raise NotFound("not_found", _("Not found."))
    if period_to < period_from:
        raise ValidationFailed({"period_to": _("The period ends before it starts.")})
    found = AssessmentRun.objects.filter(
        scheme=row, period_from=period_from, period_to=period_to
    ).first()
    if found is not None:
        return found
    definition = row.definition
    _scheme_errors(definition)
    snapshots = {
        code: kpi_snapshot_take(
            actor=actor,
            company_id=row.company_id,
            code=code,
            period_from=period_from,
            period_to=period_to,
            group_by=definition["subject"],
        ).pk
        for code in _kpis_of(definition)
    }
    run = AssessmentRun.objects.create(
        company_id=row.company_id,
        scheme=row,
        scheme_data=definition,
        subject=definition["subject"],
        period_from=period_from,
        period_to=period_to,
        snapshots=snapshots,
        created_by=actor,
    )
    for subject_id, name in _subjects(row.company_id, definition["subject"]):
        result = AssessmentResult(
            run=run, subject_id=subject_id, subject_name=name, score=Decimal(0), grade=""
        )
        result.save()
        _rescore(result)
    _run_event(run, actor, "create", snapshots=snapshots)
    audit_record(
        actor=actor, action="assessment_run.create", obj=run, changes={"status": [None, run.status]}
    )
    return run


def _draft_result(actor: User, result: AssessmentResult | int) -> AssessmentResult:
    require(actor, Perm.ASSESSMENT_EDIT)
    pk = result.pk if isinstance(result, AssessmentResult) else result
    found = (
        AssessmentResult.objects.select_for_update()
        .select_related("run")
        .filter(pk=pk, run__company_id=company_of(actor))
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Not found."))
    if found.run.status != AssessmentRun.Status.DRAFT:
        raise Conflict("run_not_draft", _("Only a draft run can be changed."))
    return found


@transaction.atomic
def assessment_manual_set(
    *, actor: User, result: AssessmentResult | int, code: str, value: Decimal
) -> AssessmentResult:
    """Enter a manual item's points (e.g. service attitude) or a manual rule's count."""
    row = _draft_result(actor, result)
    scheme = row.run.scheme_data
    manual_codes = {i["code"] for i in scheme["items"] if i.get("manual")}
    manual_codes |= {r["code"] for r in scheme.get("rules") or [] if r.get("manual")}
    if code not in manual_codes:
        raise ValidationFailed({"code": _("This line is not scored by hand.")})
    if value < 0 or value > 1000:
        raise ValidationFailed({"value": _("Enter a number between 0 and 1000.")})
    before = row.manual.get(code)
    row.manual = {**row.manual, code: str(value)}
    row.save(update_fields=["manual"])
    _rescore(row)
    _run_event(row.run, actor, "manual", result=row.pk, code=code, value=str(value))
    audit_record(
        actor=actor,
        action="assessment_result.manual",
        obj=row,
        changes={code: [before, str(value)]},
    )
    return row


@transaction.atomic
def assessment_adjust(
    *, actor: User, result: AssessmentResult | int, points: Decimal, reason: str
) -> AssessmentResult:
    """A manual adjustment with a reason (kept; a correction is another adjustment)."""
    row = _draft_result(actor, result)
    if not reason.strip():
        raise ValidationFailed({"reason": _("Give a reason.")})
    if points == 0 or abs(points) > 100:
        raise ValidationFailed({"points": _("Enter points between -100 and 100 (not 0).")})
    AssessmentAdjustment.objects.create(
        result=row, points=points, reason=reason.strip(), actor=actor
    )
    before = str(row.score)
    _rescore(row)
    _run_event(row.run, actor, "adjust", reason=reason, result=row.pk, points=str(points))
    audit_record(
        actor=actor,
        action="assessment_result.adjust",
        obj=row,
        changes={"score": [before, str(row.score)]},
        reason=reason,
    )
    return row


@transaction.atomic
def assessment_run_move(
    *, actor: User, run: AssessmentRun | int, verb: str, reason: str = ""
) -> AssessmentRun:
    """review / send_back (with a reason) / approve (the department head): one move on the
    transition kernel (`kpi.choices.RUN_LIFECYCLE`)."""
    require(actor, Perm.ASSESSMENT_APPROVE if verb == "approve" else Perm.ASSESSMENT_EDIT)
    pk = run.pk if isinstance(run, AssessmentRun) else run
    row = (
        AssessmentRun.objects.select_for_update()
        .filter(pk=pk, company_id=company_of(actor))
        .first()
    )
    if row is None:
        raise NotFound("not_found", _("Not found."))
    before = row.status
    event = transitions.apply(
        RUN_LIFECYCLE,
        row,
        verb,
        event_model=AssessmentEvent,
        subject_field="run",
        actor=actor,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=f"assessment_run.{verb}",
        obj=row,
        changes={"status": [before, row.status]},
        reason=event.reason,
    )
    return row


# --- GB/T 27922 self-assessment ----------------------------------------------------------------


@transaction.atomic
def self_assessment_save(
    *,
    actor: User,
    answers: dict[str, dict[str, str]],
    table: list[dict[str, Any]] | None = None,
) -> SelfAssessment:
    """Save the answers (yes / partly / no / na, with evidence) as a new version."""
    require(actor, Perm.ASSESSMENT_EDIT)
    latest = SelfAssessment.objects.filter(company_id=company_of(actor)).first()
    used = table or (latest.table if latest else [dict(i) for i in gbt27922.DEFAULT_TABLE])
    codes = {i["code"] for i in used}
    errors = Errors()
    clean: dict[str, dict[str, str]] = {}
    for code, entry in answers.items():
        if code not in codes:
            errors.add(code, _("Unknown item."))
            continue
        answer = entry.get("answer", "")
        if answer not in gbt27922.ANSWERS:
            errors.add(code, _("Choose yes, partly, no or not applicable."))
            continue
        clean[code] = {"answer": answer, "evidence": (entry.get("evidence") or "").strip()[:2000]}
    errors.raise_if_any()
    result = gbt27922.evaluate(used, {c: e["answer"] for c, e in clean.items()})
    row = SelfAssessment.objects.create(
        company_id=company_of(actor),
        table=used,
        answers=clean,
        score=result.score,
        level=result.level,
        saved_by=actor,
    )
    audit_record(
        actor=actor,
        action="self_assessment.save",
        obj=row,
        changes={"score": [str(latest.score) if latest else None, str(result.score)]},
    )
    return row


# --- the monthly report ----------------------------------------------------------------------


@transaction.atomic
def kpi_subscribe(*, actor: User, channel: str | None) -> KpiSubscription | None:
    """Receive the monthly report (in_app / email), or stop it (None)."""
    require(actor, Perm.KPI_VIEW)
    if channel is None:
        KpiSubscription.objects.filter(user=actor).delete()
        audit_record(actor=actor, action="kpi.unsubscribe", obj=actor)
        return None
    if channel not in KpiSubscription.Channel.values:
        raise ValidationFailed({"channel": _("Choose in-app or e-mail.")})
    row, _created = KpiSubscription.objects.update_or_create(
        user=actor, defaults={"channel": channel}
    )
    audit_record(
        actor=actor, action="kpi.subscribe", obj=actor, changes={"channel": [None, channel]}
    )
    return row


def monthly_report_text(user: User, month_start: dt.date, month_end: dt.date) -> str:
    lines = []
    for code in (*HEADLINE, "training_hours"):
        d = selectors.definition(code)
        row = selectors.figures(
            company_id=user.company_id,  # type: ignore[arg-type]
            code=code,
            period_from=month_start,
            period_to=month_end,
            user=user,
        )[0]
        value = "—" if row["value"] is None else str(row["value"])
        lines.append(
            f"{selectors.kpi_name(d)}: {value} ({row['numerator']}/{row['denominator']}; "
            f"{_('target')} {d.target})"
        )
    return "\n".join(lines)


def kpi_monthly_reports(*, today: dt.date | None = None) -> int:
    """Send last month's figures to every subscriber, once per month (the outbox's dedupe
    key makes a rerun send nothing twice). Returns the number queued."""

    today = today or clock.today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    sent = 0

    for sub in KpiSubscription.objects.select_related("user").filter(user__is_active=True):
        user = sub.user
        key = f"kpi-month-{user.pk}-{start:%Y-%m}"
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            continue
        with translation.override(user.reads()):
            subject = _("Service figures for %(month)s") % {"month": start.strftime("%Y-%m")}
            body = monthly_report_text(user, start, end)
        _msg, created = notify(
            company_id=user.company_id,  # type: ignore[arg-type]
            recipient=user,
            subject=subject,
            body=body,
            dedupe_key=key,
            channel=sub.channel,
            event="kpi_monthly",
        )
        sent += int(created)
    return sent
