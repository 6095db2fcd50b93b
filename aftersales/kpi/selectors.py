"""KPI reads: the event rows the pure core takes (plain data), and the figures, trends and
drill-down lists a user may see (a station manager only their station, a technician only
their own work)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aftersales.accounts.choices import STATION_ROLES, Role
from aftersales.accounts.models import Region, Station, User
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.accounts.selectors import scope
from aftersales.catalog.models import FaultCode, ProductCategory, ProductModel
from aftersales.core.errors import NotFound
from aftersales.core.validation import ValidationFailed
from aftersales.customers.models import InstalledUnit
from aftersales.feedback.models import Complaint, ComplaintEvent
from aftersales.kpi import formulas, gbt27922
from aftersales.kpi.formulas import BY_CODE, Dims, Event, KpiDefinition, OrderRow
from aftersales.kpi.models import (
    MONTHLY_ROLLUPS,
    AssessmentResult,
    AssessmentRun,
    KpiDaily,
    KpiFact,
    KpiMonthly,
    KpiSnapshot,
    SelfAssessment,
    TrainingRecord,
)
from aftersales.orders.choices import ServiceType
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts.models import PartsRequest, PartsRequestEvent, ReturnEvent, ReturnObligation

GROUPS = ("station", "technician", "region", "model", "fault_code", "category", "service_type")
FILTERS = GROUPS
CHUNK = 2000


# --- event rows for the pure core ------------------------------------------------------------


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def station_regions(company_id: int) -> dict[int, int]:
    return dict(Station.objects.filter(company_id=company_id).values_list("id", "region_id"))


def order_rows(company_id: int, order_ids: Iterable[int]) -> list[OrderRow]:
    """The orders with their events, as plain rows (station and technician from the events)."""
    regions = station_regions(company_id)
    out: list[OrderRow] = []
    for chunk in _chunks(order_ids):
        events: dict[int, list[Event]] = {}
        for ev in (
            OrderEvent.objects.filter(order_id__in=chunk)
            .order_by("at", "id")
            .values_list("order_id", "at", "kind", "action", "from_status", "to_status", "payload")
        ):
            events.setdefault(ev[0], []).append(Event(*ev[1:]))
        for o in ServiceOrder.objects.filter(company_id=company_id, pk__in=chunk).values(
            "id",
            "service_type",
            "unit_id",
            "unit__product_model_id",
            "unit__product_model__category_id",
            "fault_code_id",
            "station_id",
            "technician_id",
            "region_id",
        ):
            own = events.get(o["id"], [])
            fallback = Dims(
                station=o["station_id"],
                technician=o["technician_id"],
                region=o["region_id"],
                model=o["unit__product_model_id"],
                fault_code=o["fault_code_id"],
                category=o["unit__product_model__category_id"],
                service_type=o["service_type"],
            )
            out.append(
                OrderRow(
                    id=o["id"],
                    events=tuple(own),
                    service_type=o["service_type"],
                    unit=o["unit_id"],
                    dims=formulas.attributed(own, fallback, regions),
                )
            )
    return out


def related_orders(company_id: int, order_ids: Iterable[int]) -> set[int]:
    """The orders, the orders they were reopened from, and the earlier orders of the same
    units whose repeat-repair window they may fall in: a comeback changes the figures of the
    earlier order. An order of the unit completed more than the longest window (90 days)
    before the earliest of these was created cannot be affected and is left out (the order's
    `completed_at` only selects; the figures come from the events)."""
    ids = set(order_ids)
    earliest: dict[int, dt.datetime] = {}
    originals: set[int] = set()
    for chunk in _chunks(ids):
        for unit_id, from_id, created in ServiceOrder.objects.filter(pk__in=chunk).values_list(
            "unit_id", "reopened_from_id", "created_at"
        ):
            if unit_id and (unit_id not in earliest or created < earliest[unit_id]):
                earliest[unit_id] = created
            if from_id:
                originals.add(from_id)
    ids |= originals
    window = dt.timedelta(days=max(d.reopen_days or 0 for d in formulas.DEFINITIONS))
    for chunk in _chunks(earliest):
        for pk, unit_id, completed in ServiceOrder.objects.filter(
            company_id=company_id, unit_id__in=chunk
        ).values_list("pk", "unit_id", "completed_at"):
            if completed is None or completed >= earliest[unit_id] - window:
                ids.add(pk)
    return ids


def _order_dims(company_id: int, order_ids: Iterable[int]) -> dict[int, Dims]:
    return {r.id: r.dims for r in order_rows(company_id, order_ids)}


def complaint_rows(
    company_id: int, ids: Iterable[int] | None = None
) -> list[formulas.ComplaintRow]:
    qs = Complaint.objects.filter(company_id=company_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    found = list(qs.values("id", "order_id", "station_id", "technician_id"))
    received: dict[int, dt.datetime] = {}
    invalid: set[int] = set()
    for cid, action, at in (
        ComplaintEvent.objects.filter(complaint_id__in=[c["id"] for c in found])
        .order_by("at", "id")
        .values_list("complaint_id", "action", "at")
    ):
        if action == "received":
            received.setdefault(cid, at)
        elif action in ("invalidate", "withdraw"):
            invalid.add(cid)
        elif action == "validate":  # judged valid again: the latest judgement counts
            invalid.discard(cid)
    order_dims = _order_dims(company_id, [c["order_id"] for c in found if c["order_id"]])
    regions = station_regions(company_id)
    out = []
    for c in found:
        if c["id"] not in received:
            continue
        base = order_dims.get(c["order_id"], Dims())
        station = c["station_id"] or base.station
        out.append(
            formulas.ComplaintRow(
                id=c["id"],
                received_at=received[c["id"]],
                order=c["order_id"],
                valid=c["id"] not in invalid,
                dims=Dims(
                    station=station,
                    technician=c["technician_id"] or base.technician,
                    region=regions.get(station, base.region) if station else base.region,
                    model=base.model,
                    fault_code=base.fault_code,
                    category=base.category,
                    service_type=base.service_type,
                ),
            )
        )
    return out


def return_rows(company_id: int, ids: Iterable[int] | None = None) -> list[formulas.ReturnRow]:
    qs = ReturnObligation.objects.filter(company_id=company_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    found = list(qs.values("id", "order_id", "due", "station_id"))
    shipped: dict[int, dt.datetime] = {}
    for oid, at in (
        ReturnEvent.objects.filter(obligation_id__in=[r["id"] for r in found], action="ship")
        .order_by("at", "id")
        .values_list("obligation_id", "at")
    ):
        shipped.setdefault(oid, at)
    order_dims = _order_dims(company_id, [r["order_id"] for r in found])
    regions = station_regions(company_id)
    out = []
    for r in found:
        base = order_dims.get(r["order_id"], Dims())
        dims = Dims(
            station=r["station_id"],
            technician=base.technician,
            region=regions.get(r["station_id"]),
            model=base.model,
            fault_code=base.fault_code,
            category=base.category,
            service_type=base.service_type,
        )
        out.append(formulas.ReturnRow(r["id"], r["order_id"], r["due"], shipped.get(r["id"]), dims))
    return out


def parts_request_rows(
    company_id: int, ids: Iterable[int] | None = None
) -> list[formulas.PartsRequestRow]:
    """Parts requests with the moments of their submit and fulfil events."""
    qs = PartsRequest.objects.filter(company_id=company_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    found = list(qs.values("id", "order_id", "station_id"))
    moments: dict[tuple[int, str], dt.datetime] = {}
    for rid, action, at in (
        PartsRequestEvent.objects.filter(
            request_id__in=[r["id"] for r in found], action__in=["submit", "fulfil"]
        )
        .order_by("at", "id")
        .values_list("request_id", "action", "at")
    ):
        moments.setdefault((rid, action), at)
    order_dims = _order_dims(company_id, [r["order_id"] for r in found if r["order_id"]])
    regions = station_regions(company_id)
    out = []
    for r in found:
        base = order_dims.get(r["order_id"], Dims())
        station = r["station_id"] or base.station
        dims = Dims(
            station=station,
            technician=base.technician,
            region=regions.get(station) if station else base.region,
            model=base.model,
            fault_code=base.fault_code,
            category=base.category,
            service_type=base.service_type,
        )
        out.append(
            formulas.PartsRequestRow(
                r["id"],
                r["order_id"],
                moments.get((r["id"], "submit")),
                moments.get((r["id"], "fulfil")),
                dims,
            )
        )
    return out


def training_rows(company_id: int, ids: Iterable[int] | None = None) -> list[formulas.TrainingRow]:
    qs = TrainingRecord.objects.filter(company_id=company_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    regions = station_regions(company_id)
    out = []
    for t in qs.values("id", "technician_id", "hours", "date", "technician__station_id"):
        station = t["technician__station_id"]
        dims = Dims(station=station, technician=t["technician_id"], region=regions.get(station))
        out.append(formulas.TrainingRow(t["id"], t["technician_id"], t["hours"], t["date"], dims))
    return out


def plain(value: Decimal | None) -> Decimal:
    """A stored amount without trailing zeros and never in exponent form (30, not 3E+1)."""
    if not value:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# --- what a user may see ---------------------------------------------------------------------


def may_view_kpis(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.company_id)


def scoped(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Company, region or station scope; a technician sees only their own figures."""
    qs = scope(user, qs)
    if getattr(user, "role", None) == Role.TECHNICIAN:
        qs = qs.filter(technician_id=user.pk)
    return qs


def definition(code: str) -> KpiDefinition:
    found = BY_CODE.get(code)
    if found is None:
        raise NotFound("kpi_not_found", _("Unknown KPI."))
    return found


def _filters(filters: dict[str, Any] | None) -> Q:
    q = Q()
    for name, value in (filters or {}).items():
        if value in (None, "", []):
            continue
        if name not in FILTERS:
            raise ValidationFailed({name: _("Unknown filter.")})
        column = name if name == "service_type" else f"{name}_id"
        q &= Q(**{column: value})
    return q


def _check_period(period_from: dt.date, period_to: dt.date) -> None:
    if period_to < period_from:
        raise ValidationFailed({"period_to": _("The period ends before it starts.")})


def units_in_service(
    company_id: int,
    at: dt.date,
    group_by: str | None,
    filters: dict[str, Any] | None = None,
    base: Q | None = None,
) -> dict[Any, int]:
    """Units installed (or bought) on or before `at`, per group (None: one total)."""
    qs = InstalledUnit.objects.filter(company_id=company_id).filter(
        Q(installation_date__lte=at)
        | Q(installation_date__isnull=True, purchase_date__lte=at)
        | Q(installation_date__isnull=True, purchase_date__isnull=True)
    )
    if base is not None:
        qs = qs.filter(base)
    columns = {
        "station": "station_id",
        "region": "region_id",
        "model": "product_model_id",
        "category": "product_model__category_id",
    }
    for name, value in (filters or {}).items():
        if value not in (None, "") and name in columns:
            qs = qs.filter(**{columns[name]: value})
    if group_by in columns:
        col = columns[group_by]
        return dict(qs.values_list(col).annotate(n=Count("id")).values_list(col, "n"))
    return {None: qs.count()}


def technicians_in(
    company_id: int, group_by: str | None, filters: dict[str, Any] | None = None
) -> dict[Any, int]:
    qs = User.objects.filter(company_id=company_id, role=Role.TECHNICIAN, is_active=True)
    for name in ("station", "region"):
        value = (filters or {}).get(name)
        if value not in (None, ""):
            qs = qs.filter(**{f"{name}_id": value})
    if group_by == "technician":
        return dict.fromkeys(qs.values_list("pk", flat=True), 1)
    if group_by in ("station", "region"):
        col = f"{group_by}_id"
        return dict(qs.values_list(col).annotate(n=Count("id")).values_list(col, "n"))
    return {None: qs.count()}


def _stock(
    company_id: int,
    d: KpiDefinition,
    period_to: dt.date,
    group_by: str | None,
    filters: dict[str, Any] | None,
    user: Any = None,
) -> dict[Any, int] | None:
    if d.stock_denominator == "units":
        base = None
        if user is not None and getattr(user, "station_id", None):
            base = Q(station_id=user.station_id)
        elif user is not None and getattr(user, "region_id", None):
            base = Q(region_id=user.region_id)
        return units_in_service(company_id, period_to, group_by, filters, base)
    if d.stock_denominator == "technicians":
        if user is not None and getattr(user, "role", None) == Role.TECHNICIAN:
            return {user.pk if group_by == "technician" else None: 1}
        scoped_filters = dict(filters or {})
        if user is not None and getattr(user, "station_id", None):
            scoped_filters["station"] = user.station_id
        elif user is not None and getattr(user, "region_id", None):
            scoped_filters["region"] = user.region_id
        return technicians_in(company_id, group_by, scoped_filters)
    return None


def _row(
    d: KpiDefinition, key: Any, num: Decimal, den: Decimal, stock: dict[Any, int] | None
) -> dict[str, Any]:
    if stock is not None:
        den = Decimal(stock.get(key, stock.get(None, 0)) if len(stock) == 1 else stock.get(key, 0))
    value = formulas.value_of(d, num, den)
    return {
        "key": key,
        "numerator": plain(num),
        "denominator": plain(den),
        "value": value,
        "target": d.target,
        "meets": d.meets(value),
        "version": d.version,
    }


def _column(name: str) -> str:
    return name if name == "service_type" else f"{name}_id"


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_period(
    period_from: dt.date, period_to: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """The whole months inside the period (first and last month's first day, or None) and
    the days around them (ranges read from the daily rows)."""
    first = period_from if period_from.day == 1 else _next_month(period_from)
    last_end = (
        period_to
        if _next_month(period_to) - dt.timedelta(days=1) == period_to
        else period_to.replace(day=1) - dt.timedelta(days=1)
    )
    if first > last_end:
        return None, [(period_from, period_to)]
    edges = []
    if period_from < first:
        edges.append((period_from, first - dt.timedelta(days=1)))
    if last_end < period_to:
        edges.append((last_end + dt.timedelta(days=1), period_to))
    return (first, last_end.replace(day=1)), edges


def _company_wide(user: Any) -> bool:
    return user is None or not (
        getattr(user, "station_id", None)
        or getattr(user, "region_id", None)
        or getattr(user, "role", None) in STATION_ROLES
    )


def _uses_monthly(group_by: str | None, filters: dict[str, Any] | None, user: Any) -> Any:
    """The monthly rollup that can answer this figure (None: the daily rows): the first that
    keeps the grouping and every filter; the product one only for a company-wide view."""
    if getattr(user, "role", None) == Role.TECHNICIAN:
        return None
    if group_by not in (None, "", "month", *GROUPS):
        return None
    used = {_column(k) for k, v in (filters or {}).items() if v not in (None, "", [])}
    if group_by and group_by != "month":
        used.add(_column(group_by))
    for model, dims in MONTHLY_ROLLUPS:
        if used <= set(dims) and (model is KpiMonthly or _company_wide(user)):
            return model
    return None


def _sums(
    qs: QuerySet[Any], column: str | None, month_column: str | None = None
) -> dict[Any, tuple[Decimal, Decimal]]:
    if column is None:
        total = qs.aggregate(n=Sum("num"), d=Sum("den"))
        if total["n"] is None and total["d"] is None:
            return {}
        return {None: (total["n"] or Decimal(0), total["d"] or Decimal(0))}
    if column == "month" and month_column:
        qs = qs.annotate(month_key=TruncMonth(month_column))
        column = "month_key"
    out: dict[Any, tuple[Decimal, Decimal]] = {}
    for r in qs.values(column).annotate(n=Sum("num"), d=Sum("den")).order_by():
        key = r[column]
        if isinstance(key, dt.datetime):
            key = key.date()
        n, d = out.get(key, (Decimal(0), Decimal(0)))
        out[key] = (n + (r["n"] or 0), d + (r["d"] or 0))
    return out


def rollup_sums(
    *,
    company_id: int,
    code: str,
    period_from: dt.date,
    period_to: dt.date,
    group_by: str | None = None,
    filters: dict[str, Any] | None = None,
    user: Any = None,
) -> dict[Any, tuple[Decimal, Decimal]]:
    """Numerator and denominator per group key over the period: whole months from the
    monthly rollup when it can answer, the other days (or everything) from the daily rows."""
    column = (
        None
        if not group_by
        else (
            "month"
            if group_by == "month"
            else (group_by if group_by == "service_type" else f"{group_by}_id")
        )
    )
    where = _filters(filters)
    months, edges = (None, [(period_from, period_to)])
    rollup = _uses_monthly(group_by, filters, user)
    if rollup:
        months, edges = split_period(period_from, period_to)
    parts: list[dict[Any, tuple[Decimal, Decimal]]] = []
    if months is not None:
        qs = rollup.objects.filter(
            company_id=company_id, kpi=code, month__gte=months[0], month__lte=months[1]
        ).filter(where)
        if user is not None:
            qs = scoped(user, qs)
        parts.append(_sums(qs, column))
    if edges:
        days = Q()
        for a, b in edges:
            days |= Q(day__gte=a, day__lte=b)
        qs = KpiDaily.objects.filter(company_id=company_id, kpi=code).filter(days).filter(where)
        if user is not None:
            qs = scoped(user, qs)
        parts.append(_sums(qs, column, "day"))
    out: dict[Any, tuple[Decimal, Decimal]] = {}
    for part in parts:
        for key, (n, d) in part.items():
            num, den = out.get(key, (Decimal(0), Decimal(0)))
            out[key] = (num + n, den + d)
    return out


def _ordered(keys: Iterable[Any]) -> list[Any]:
    return sorted(keys, key=lambda k: (k is not None, k if k is not None else 0))


def figures(
    *,
    company_id: int,
    code: str,
    period_from: dt.date,
    period_to: dt.date,
    group_by: str | None = None,
    filters: dict[str, Any] | None = None,
    user: Any = None,
) -> list[dict[str, Any]]:
    """Per group: numerator, denominator, value, target, whether it meets it, the version.
    With `user`, only what that user may see."""
    d = definition(code)
    _check_period(period_from, period_to)
    if group_by not in (None, "", *GROUPS, "month"):
        raise ValidationFailed({"group_by": _("Unknown grouping.")})
    sums = rollup_sums(
        company_id=company_id,
        code=code,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        filters=filters,
        user=user,
    )
    zero = (Decimal(0), Decimal(0))
    stock = None
    if group_by == "month":
        out = []
        for month in sorted(sums):
            end = _month_end(month)
            stock = _stock(company_id, d, min(end, period_to), None, filters, user)
            out.append(_row(d, month, *sums[month], stock))
        return out
    stock = _stock(company_id, d, period_to, group_by or None, filters, user)
    if not group_by:
        return [_row(d, None, *sums.get(None, zero), stock)]
    out = [_row(d, k, *sums[k], stock) for k in _ordered(sums)]
    if stock is not None:
        seen = {r["key"] for r in out}
        out += [_row(d, k, Decimal(0), Decimal(0), stock) for k in stock if k not in seen and k]
    return out


def _month_end(month: dt.date) -> dt.date:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def drilldown(
    *,
    user: Any,
    code: str,
    period_from: dt.date,
    period_to: dt.date,
    part: str = "denominator",
    filters: dict[str, Any] | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The subjects behind a figure: each order (or complaint, return, training record) with
    what it adds to the numerator and the denominator."""
    definition(code)
    _check_period(period_from, period_to)
    qs = scoped(
        user,
        KpiFact.objects.filter(
            company_id=user.company_id, kpi=code, day__gte=period_from, day__lte=period_to
        ).filter(_filters(filters)),
    )
    if part == "numerator":
        qs = qs.exclude(num=0)
    elif part == "denominator":
        qs = qs.exclude(den=0)
    elif part == "missed":
        qs = qs.exclude(den=0).filter(num=0)
    else:
        raise ValidationFailed({"part": _("Unknown part.")})
    facts = list(
        qs.order_by("day", "subject_id").values(
            "subject", "subject_id", "order_id", "day", "num", "den", "station_id", "technician_id"
        )[:limit]
    )
    numbers = dict(
        ServiceOrder.objects.filter(
            pk__in=[f["order_id"] for f in facts if f["order_id"]]
        ).values_list("pk", "number")
    )
    for f in facts:
        f["order_number"] = numbers.get(f["order_id"], "")
        f["num"] = plain(f["num"])
        f["den"] = plain(f["den"])
    return facts


def labels(group_by: str | None, keys: Iterable[Any]) -> dict[Any, str]:
    """Names people read for group keys (station names, technicians' names, ...)."""
    keys = [k for k in keys if k is not None]
    if group_by == "station":
        return dict(Station.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "region":
        return dict(Region.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "technician":
        return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=keys)}
    if group_by == "model":
        return {
            pk: f"{code} {name}"
            for pk, code, name in ProductModel.objects.filter(pk__in=keys).values_list(
                "pk", "code", "name"
            )
        }
    if group_by == "fault_code":
        return {
            pk: f"{code} {symptom}"
            for pk, code, symptom in FaultCode.objects.filter(pk__in=keys).values_list(
                "pk", "code", "symptom"
            )
        }
    if group_by == "category":
        return dict(ProductCategory.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "service_type":
        return {k: str(ServiceType(k).label) for k in keys if k in ServiceType.values}
    if group_by == "month":
        return {k: k.strftime("%Y-%m") for k in keys}
    return {}


def kpi_name(d: KpiDefinition) -> str:
    return d.name_zh if (get_language() or "").startswith("zh") else d.name_en


def snapshot(
    company_id: int, code: str, period_from: dt.date, period_to: dt.date, group_by: str
) -> KpiSnapshot | None:
    return KpiSnapshot.objects.filter(
        company_id=company_id,
        kpi=code,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
    ).first()


def training_visible_to(user: Any) -> QuerySet[TrainingRecord]:
    qs = TrainingRecord.objects.filter(company_id=user.company_id)
    if getattr(user, "role", None) == Role.TECHNICIAN:
        return qs.filter(technician_id=user.pk)
    if user.station_id:
        return qs.filter(technician__station_id=user.station_id)
    if user.region_id:
        return qs.filter(technician__region_id=user.region_id)
    return qs


# --- assessment ------------------------------------------------------------------------------


def assessment_runs_visible_to(user: Any) -> QuerySet[Any]:
    """Runs of the user's company (the results inside are scoped by `results_visible_to`)."""
    return AssessmentRun.objects.filter(company_id=user.company_id).select_related("scheme")


def results_visible_to(user: Any, run: Any) -> QuerySet[Any]:
    """A station manager sees their station's result (station runs) or their technicians'; a
    technician their own; company and region people all of them."""
    qs = run.results.all()
    if getattr(user, "role", None) == Role.TECHNICIAN:
        return qs.filter(subject_id=user.pk) if run.subject == "technician" else qs.none()
    if user.station_id:
        if run.subject == "station":
            return qs.filter(subject_id=user.station_id)
        techs = User.objects.filter(station_id=user.station_id).values_list("pk", flat=True)
        return qs.filter(subject_id__in=list(techs))
    return qs


def approved_results(
    company_id: int, period_from: dt.date, period_to: dt.date, subject: str = "station"
) -> list[dict[str, Any]]:
    """What settlement reads: the results of the approved runs of exactly this period for
    `subject` ("station" or "technician"), ordered by run and subject id. Each is
    `{"run", "subject_id", "subject_name", "score" (Decimal, 2 places), "grade", "lines"}`
    (`lines`: the arithmetic, `[{"code", "name", "kind", "detail", "points"}]`). Draft and
    reviewed runs are left out; an approved run never changes (frozen snapshots), so reading
    it twice gives the same numbers. See docs/kpi.md, "What settlement reads"."""
    rows = AssessmentResult.objects.filter(
        run__company_id=company_id,
        run__status="approved",
        run__subject=subject,
        run__period_from=period_from,
        run__period_to=period_to,
    ).order_by("run_id", "subject_id")
    return [
        {
            "run": r.run_id,
            "subject_id": r.subject_id,
            "subject_name": r.subject_name,
            "score": r.score,
            "grade": r.grade,
            "lines": r.lines,
        }
        for r in rows
    ]


# --- GB/T 27922 self-assessment --------------------------------------------------------------


def self_assessment_scope(user: Any) -> str | None:
    """Whose GB/T 27922 self-assessment `user` sees: "company" (people above the stations:
    the company's saved one), "station" (a station manager: their station's, scored from its
    own figures, read-only) or None (technicians and other station staff: not offered)."""
    if not has_perm(user, Perm.KPI_VIEW) or getattr(user, "role", None) == Role.TECHNICIAN:
        return None
    if getattr(user, "station_id", None):
        return "station" if user.role == Role.STATION_MANAGER else None
    return "company"


def self_assessment_evidence(
    company_id: int, today: dt.date, *, user: Any = None
) -> dict[str, dict[str, Any]]:
    """What the system knows for the items it has evidence for, over the last 12 months:
    {evidence key: {"value", "numerator", "denominator", "count", "suggest"}}. With `user`,
    only what that user may see (a station manager: their station)."""
    start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    out: dict[str, dict[str, Any]] = {}
    for key in ("training_hours", "first_time_fix", "old_part_return_on_time", "follow_up_rate"):
        row = figures(
            company_id=company_id, code=key, period_from=start, period_to=today, user=user
        )[0]
        out[key] = {**row, "suggest": gbt27922.suggest(key, row["value"])}
    complaints = Complaint.objects.filter(company_id=company_id, created_at__date__gte=start)
    if user is not None and getattr(user, "station_id", None):
        complaints = complaints.filter(station_id=user.station_id)
    count = complaints.count()
    closed = complaints.filter(status="closed").count()
    out["complaints"] = {
        "count": count,
        "closed": closed,
        "value": None,
        "suggest": gbt27922.suggest("complaints", None, count),
    }
    return out


def latest_self_assessment(company_id: int) -> Any:
    return SelfAssessment.objects.filter(company_id=company_id).first()
