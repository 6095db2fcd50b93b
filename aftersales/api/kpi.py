"""KPIs over the API: definitions, figures per group, drill-down lists, training records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.kpi import actions, selectors
from aftersales.kpi.formulas import DEFINITIONS

router = Router(tags=["KPIs"])


class DefinitionOut(Schema):
    code: str
    name: str
    name_en: str
    name_zh: str
    numerator: str
    denominator: str
    start_event: str
    end_event: str
    anchor: str
    unit: str
    target: Decimal
    direction: str
    version: int
    exclusions: list[str]
    reopen_days: int | None
    clock: str | None
    sla_target: str | None


class FigureRow(Schema):
    key: Any
    label: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None
    target: Decimal
    meets: bool | None
    version: int


class FiguresOut(Schema):
    code: str
    name: str
    unit: str
    version: int
    period_from: dt.date
    period_to: dt.date
    group_by: str | None
    rows: list[FigureRow]


class FilterIn(Schema):
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    station: int | None = None
    technician: int | None = None
    region: int | None = None
    model: int | None = None
    fault_code: int | None = None
    category: int | None = None
    service_type: str | None = None

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        end = self.period_to or today
        start = self.period_from or end.replace(day=1)
        return start, end

    def filters(self) -> dict[str, Any]:
        names = ("station", "technician", "region", "model", "fault_code", "category")
        out: dict[str, Any] = {n: getattr(self, n) for n in names}
        out["service_type"] = self.service_type
        return out


class DrillRow(Schema):
    subject: str
    subject_id: int
    order_id: int | None
    order_number: str
    day: dt.date
    num: Decimal
    den: Decimal
    station_id: int | None
    technician_id: int | None


class TrainingIn(Schema):
    technician_id: int
    course: str
    hours: Decimal
    date: dt.date


class TrainingOut(Schema):
    id: int
    technician_id: int
    course: str
    hours: Decimal
    date: dt.date


def _definition(d: Any) -> dict[str, Any]:
    return {**d.as_dict(), "name": selectors.kpi_name(d)}


@router.get("/kpis", response={200: list[DefinitionOut], **ERRORS})
def kpi_list(request: HttpRequest) -> Any:
    """The KPI definitions: formula, events, exclusions, target, direction and version."""
    require(request.user, Perm.KPI_VIEW)
    return [_definition(d) for d in DEFINITIONS]


@router.get("/kpis/{code}", response={200: FiguresOut, **ERRORS})
def kpi_figures(
    request: HttpRequest, code: str, q: Query[FilterIn], group_by: str | None = None
) -> Any:
    """Per group (station, technician, region, model, fault_code, category, service_type or
    month): numerator, denominator, value, target and the definition version. The caller
    sees only their scope (a station its own, a technician their own work)."""
    require(request.user, Perm.KPI_VIEW)
    d = selectors.definition(code)
    start, end = q.period()
    rows = selectors.figures(
        company_id=request.user.company_id,  # type: ignore[union-attr]
        code=code,
        period_from=start,
        period_to=end,
        group_by=group_by,
        filters=q.filters(),
        user=request.user,
    )
    names = selectors.labels(group_by, [r["key"] for r in rows])
    for r in rows:
        r["label"] = names.get(r["key"], "") if r["key"] is not None else ""
    return {
        "code": d.code,
        "name": selectors.kpi_name(d),
        "unit": d.unit,
        "version": d.version,
        "period_from": start,
        "period_to": end,
        "group_by": group_by,
        "rows": rows,
    }


@router.get("/kpis/{code}/orders", response={200: list[DrillRow], **ERRORS})
def kpi_drilldown(
    request: HttpRequest, code: str, q: Query[FilterIn], part: str = "denominator"
) -> Any:
    """The orders (or complaints, returns, training records) behind a figure: `part` is
    numerator, denominator or missed (in the denominator, not in the numerator)."""
    require(request.user, Perm.KPI_VIEW)
    start, end = q.period()
    return selectors.drilldown(
        user=request.user,
        code=code,
        period_from=start,
        period_to=end,
        part=part,
        filters=q.filters(),
    )


@router.get("/training-records", response={200: list[TrainingOut], **ERRORS})
def training_list(request: HttpRequest) -> Any:
    require(request.user, Perm.KPI_VIEW)
    return list(
        selectors.training_visible_to(request.user).values(
            "id", "technician_id", "course", "hours", "date"
        )[:1000]
    )


@router.post("/training-records", response={201: TrainingOut, **ERRORS})
def training_create(request: HttpRequest, payload: TrainingIn) -> Any:
    row = actions.training_record_add(
        actor=request.user,  # type: ignore[arg-type]
        technician=payload.technician_id,
        course=payload.course,
        hours=payload.hours,
        date=payload.date,
    )
    return Status(201, row)
