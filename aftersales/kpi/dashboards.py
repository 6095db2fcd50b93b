"""What the dashboards and scorecards show, as plain data: headline figures, and charts each
with its table (the same numbers the chart draws, for the table view and the xlsx export).
Every number comes from the scoped selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from aftersales.core import clock
from aftersales.kpi import formulas, selectors
from aftersales.kpi.formulas import BY_CODE, DEFINITIONS
from aftersales.orders.choices import OPEN
from aftersales.orders.selectors import orders_visible_to

HEADLINE = (
    "timely_response",
    "on_time_arrival",
    "first_time_fix",
    "repeat_repair_30",
    "follow_up_rate",
    "satisfaction",
    "complaint_rate",
    "mttr_working",
)
TREND = ("first_time_fix", "timely_response", "satisfaction", "follow_up_rate")
SLA = ("timely_response", "sla_arrive", "sla_resolve", "on_time_arrival")
BUCKET_LABELS = {
    "0-1d": "< 1 d",
    "1-3d": "1–3 d",
    "3-7d": "3–7 d",
    "7-30d": "7–30 d",
    "30d+": "> 30 d",
}


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # line / bar / stacked / pareto
    categories: list[str]
    series: list[dict[str, Any]]
    columns: list[str]
    rows: list[list[Any]]
    # per category: the filter value a click drills into (station id, model id...)
    keys: list[Any] = field(default_factory=list)
    drill_kpi: str = ""
    drill_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "categories": self.categories,
            "series": [
                {**s, "data": [None if v is None else float(v) for v in s["data"]]}
                for s in self.series
            ],
            "keys": self.keys,
            "drill_kpi": self.drill_kpi,
            "drill_by": self.drill_by,
        }


def _months_back(end: dt.date, n: int) -> dt.date:
    year, month = end.year, end.month - (n - 1)
    while month <= 0:
        month += 12
        year -= 1
    return dt.date(year, month, 1)


def headline(
    user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any], codes: Any = HEADLINE
) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        d = BY_CODE[code]
        row = selectors.figures(
            company_id=user.company_id,
            code=code,
            period_from=period[0],
            period_to=period[1],
            filters=filters,
            user=user,
        )[0]
        out.append({**row, "code": code, "name": selectors.kpi_name(d), "unit": d.unit})
    return out


def _value(v: Decimal | None) -> Any:
    return None if v is None else v


def trend(user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]) -> Chart:
    start = _months_back(period[1], 12)
    months: list[dt.date] = []
    cursor = start
    while cursor <= period[1]:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    series: list[dict[str, Any]] = []
    rows: dict[dt.date, list[Any]] = {m: [m.strftime("%Y-%m")] for m in months}
    for code in TREND:
        got = {
            r["key"]: r["value"]
            for r in selectors.figures(
                company_id=user.company_id,
                code=code,
                period_from=start,
                period_to=period[1],
                group_by="month",
                filters=filters,
                user=user,
            )
        }
        data = [got.get(m) for m in months]
        series.append({"name": selectors.kpi_name(BY_CODE[code]), "data": data})
        for m, v in zip(months, data, strict=True):
            rows[m].append(_value(v))
    return Chart(
        id="trend",
        title=_("Trends, last 12 months (%)"),
        kind="line",
        categories=[m.strftime("%Y-%m") for m in months],
        series=series,
        columns=[_("Month"), *(str(s["name"]) for s in series)],
        rows=list(rows.values()),
    )


def sla(user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]) -> Chart:
    figs = headline(user, period, filters, SLA)
    return Chart(
        id="sla",
        title=_("Service-level attainment (%)"),
        kind="bar",
        categories=[f["name"] for f in figs],
        series=[
            {"name": _("Attained"), "data": [f["value"] for f in figs]},
            {"name": _("Target"), "data": [f["target"] for f in figs]},
        ],
        columns=[
            _("Figure"),
            _("Numerator"),
            _("Denominator"),
            pgettext("kpi", "Value"),
            _("Goal"),
        ],
        rows=[[f["name"], f["numerator"], f["denominator"], f["value"], f["target"]] for f in figs],
        keys=[f["code"] for f in figs],
        drill_kpi="*",
    )


# The label of the orders outside every group of a breakdown.
UNGROUPED = {
    "station": gettext_lazy("Not at a station"),
    "technician": gettext_lazy("No technician"),
    "region": gettext_lazy("No region"),
    "model": gettext_lazy("No product model"),
    "fault_code": gettext_lazy("No fault code"),
    "category": gettext_lazy("No product category"),
}


def by_group(
    user: Any,
    code: str,
    period: tuple[dt.date, dt.date],
    filters: dict[str, Any],
    group_by: str = "station",
    *,
    chart_id: str = "",
    title: str = "",
) -> Chart:
    d = BY_CODE[code]
    rows = selectors.figures(
        company_id=user.company_id,
        code=code,
        period_from=period[0],
        period_to=period[1],
        group_by=group_by,
        filters=filters,
        user=user,
    )
    names = selectors.labels(group_by, [r["key"] for r in rows])
    # The orders without a group (not at a station yet, no technician) keep their row, last:
    # the rows add up to the headline.
    rows = sorted(rows, key=lambda r: r["key"] is None)
    cats = [
        names.get(r["key"], "—") if r["key"] is not None else str(UNGROUPED.get(group_by, "—"))
        for r in rows
    ]
    return Chart(
        id=chart_id or f"{code}-{group_by}",
        title=title or selectors.kpi_name(d),
        kind="bar",
        categories=cats,
        series=[
            {"name": selectors.kpi_name(d), "data": [r["value"] for r in rows]},
        ],
        columns=[
            _("Group"),
            _("Numerator"),
            _("Denominator"),
            pgettext("kpi", "Value"),
            _("Target"),
        ],
        rows=[
            [c, r["numerator"], r["denominator"], r["value"], r["target"]]
            for c, r in zip(cats, rows, strict=True)
        ],
        keys=[r["key"] for r in rows],
        drill_kpi=code,
        drill_by=group_by,
    )


def pareto(
    user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any], group_by: str
) -> Chart:
    """Repairs per model (or fault code), most first, with the cumulative share."""
    rows = selectors.figures(
        company_id=user.company_id,
        code="failure_rate",
        period_from=period[0],
        period_to=period[1],
        group_by=group_by,
        filters=filters,
        user=user,
    )
    rows = sorted(
        (r for r in rows if r["key"] is not None and r["numerator"]), key=lambda r: -r["numerator"]
    )[:20]
    total = sum((r["numerator"] for r in rows), Decimal(0)) or Decimal(1)
    names = selectors.labels(group_by, [r["key"] for r in rows])
    running = Decimal(0)
    cumulative = []
    for r in rows:
        running += r["numerator"]
        cumulative.append((running * 100 / total).quantize(Decimal("0.1")))
    cats = [names.get(r["key"], "—") for r in rows]
    title = (
        _("Failure Pareto by model") if group_by == "model" else _("Failure Pareto by fault code")
    )
    per_10k = _("Repairs per 10,000 units")
    return Chart(
        id=f"pareto-{group_by}",
        title=title,
        kind="pareto",
        categories=cats,
        series=[
            {"name": _("Repairs"), "data": [r["numerator"] for r in rows]},
            {"name": _("Cumulative %"), "data": cumulative},
        ],
        columns=[_("Group"), _("Repairs"), _("Cumulative %"), per_10k],
        rows=[
            [c, r["numerator"], cum, r["value"]]
            for c, r, cum in zip(cats, rows, cumulative, strict=True)
        ],
        keys=[r["key"] for r in rows],
        drill_kpi="failure_rate",
        drill_by=group_by,
    )


BACKLOG_ROWS = 10_000_000


def backlog_counts(user: Any, filters: dict[str, Any], now: dt.datetime) -> dict[Any, list[int]]:
    """Open orders per station and age bucket at `now`, counted in the database (one query:
    the dashboard stays fast at a million orders). An order's age runs from its creation."""
    qs = orders_visible_to(user).filter(status__in=OPEN, created_at__lte=now)
    for name in ("station", "region"):
        if filters.get(name):
            qs = qs.filter(**{f"{name}_id": filters[name]})
    if filters.get("service_type"):
        qs = qs.filter(service_type=filters["service_type"])
    if filters.get("category"):
        qs = qs.filter(unit__product_model__category_id=filters["category"])
    counts: dict[str, Count] = {}
    newer: dt.datetime | None = None
    for name, limit in formulas.AGE_BUCKETS:
        older = None if limit is None else now - dt.timedelta(days=limit)
        q = Q()
        if older is not None:
            q &= Q(created_at__gt=older)
        if newer is not None:
            q &= Q(created_at__lte=newer)
        counts[name] = Count("id", filter=q)
        newer = older
    # The open orders are found through the (company | station, status) index, then counted
    # per station. Grouped directly, SQLite (no histogram: it takes the open statuses for most
    # of the table) walks the station index over every order instead — 1 s at 1M orders, 26 ms
    # this way. The ORDER BY makes it read the status index; the slice keeps Django from
    # dropping the ORDER BY of an IN subquery (it is far above any real backlog).
    open_ids = qs.order_by("status").values("pk")[:BACKLOG_ROWS]
    rows = (
        qs.model.objects.filter(pk__in=open_ids).values("station_id").annotate(**counts).order_by()
    )
    return {r["station_id"]: [r[name] for name, _l in formulas.AGE_BUCKETS] for r in rows}


def backlog(user: Any, filters: dict[str, Any]) -> Chart:
    """Open orders by station and age."""
    counts = backlog_counts(user, filters, clock.now())
    names = selectors.labels("station", list(counts))
    stations = sorted(counts, key=lambda k: (k is None, names.get(k, "")))
    buckets = [name for name, _limit in formulas.AGE_BUCKETS]
    cats = [names.get(s, _("Not at a station")) for s in stations]
    return Chart(
        id="backlog",
        title=_("Backlog by station and age"),
        kind="stacked",
        categories=cats,
        series=[
            {"name": BUCKET_LABELS[b], "data": [counts[s][i] for s in stations]}
            for i, b in enumerate(buckets)
        ],
        columns=[_("Station"), *(BUCKET_LABELS[b] for b in buckets), _("Total")],
        rows=[[c, *counts[s], sum(counts[s])] for c, s in zip(cats, stations, strict=True)],
        keys=list(stations),
    )


# The region comparison: the headline figures per region; the chart draws the percentages.
REGION_CHART = ("first_time_fix", "timely_response", "on_time_arrival", "satisfaction")


def regions(user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]) -> Chart:
    """Every region side by side (the table: each headline figure with its numerator and
    denominator per region; the chart: the percentages)."""
    filters = {k: v for k, v in filters.items() if k != "region"}
    per: dict[str, dict[Any, dict[str, Any]]] = {}
    for code in HEADLINE:
        per[code] = {
            r["key"]: r
            for r in selectors.figures(
                company_id=user.company_id,
                code=code,
                period_from=period[0],
                period_to=period[1],
                group_by="region",
                filters=filters,
                user=user,
            )
            if r["key"] is not None
        }
    keys = {k for rows in per.values() for k in rows}
    names = selectors.labels("region", keys)
    ordered = sorted(keys, key=lambda k: names.get(k, ""))
    cats = [names.get(k, "—") for k in ordered]

    def value(code: str, key: Any) -> Any:
        row = per[code].get(key)
        return None if row is None else row["value"]

    return Chart(
        id="regions",
        title=_("Regions compared"),
        kind="bar",
        categories=cats,
        series=[
            {
                "name": selectors.kpi_name(BY_CODE[code]),
                "data": [value(code, k) for k in ordered],
            }
            for code in REGION_CHART
        ],
        columns=[_("Region"), *(selectors.kpi_name(BY_CODE[code]) for code in HEADLINE)],
        rows=[
            [c, *(value(code, k) for code in HEADLINE)] for c, k in zip(cats, ordered, strict=True)
        ],
        keys=ordered,
    )


def _charts(user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]) -> dict[str, Any]:
    """Chart id -> how to build it (so an export builds only the chart it exports)."""
    return {
        "trend": lambda: trend(user, period, filters),
        "sla": lambda: sla(user, period, filters),
        "backlog": lambda: backlog(user, filters),
        "satisfaction": lambda: by_group(
            user,
            "satisfaction",
            period,
            filters,
            chart_id="satisfaction",
            title=_("Satisfaction by station (%)"),
        ),
        "complaints": lambda: by_group(
            user,
            "complaint_rate",
            period,
            filters,
            chart_id="complaints",
            title=_("Complaint rate by station (%)"),
        ),
        "pareto-model": lambda: pareto(user, period, filters, "model"),
        "pareto-fault_code": lambda: pareto(user, period, filters, "fault_code"),
        "regions": lambda: regions(user, period, filters),
    }


ON_OWN_PAGE = frozenset({"regions"})  # exported from its own page, not drawn on the dashboard


def company_dashboard(
    user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]
) -> dict[str, Any]:
    charts = [
        build() for key, build in _charts(user, period, filters).items() if key not in ON_OWN_PAGE
    ]
    return {"headline": headline(user, period, filters), "charts": charts}


def scorecard(
    user: Any, period: tuple[dt.date, dt.date], filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every KPI for the filtered station or technician."""
    return headline(user, period, filters, [d.code for d in DEFINITIONS])


def chart_by_id(
    user: Any, chart_id: str, period: tuple[dt.date, dt.date], filters: dict[str, Any]
) -> Chart | None:
    build = _charts(user, period, filters).get(chart_id)
    return build() if build is not None else None
