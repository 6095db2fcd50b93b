"""KPIs over the API: definitions, figures per group, drill-down lists, training records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.core import clock
from aftersales.core.errors import NotFound
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
        today = clock.today()
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
def kpi_list(request: AuthedRequest) -> Any:
    """The KPI definitions: formula, events, exclusions, target, direction and version."""
    require(request.user, Perm.KPI_VIEW)
    return [_definition(d) for d in DEFINITIONS]


@router.get("/kpis/{code}", response={200: FiguresOut, **ERRORS})
def kpi_figures(
    request: AuthedRequest, code: str, q: Query[FilterIn], group_by: str | None = None
) -> Any:
    """Per group (station, technician, region, model, fault_code, category, service_type or
    month): numerator, denominator, value, target and the definition version. The caller
    sees only their scope (a station its own, a technician their own work)."""
    require(request.user, Perm.KPI_VIEW)
    d = selectors.definition(code)
    start, end = q.period()
    rows = selectors.figures(
        company_id=company_of(request.user),
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
    request: AuthedRequest, code: str, q: Query[FilterIn], part: str = "denominator"
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
def training_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.KPI_VIEW)
    return list(
        selectors.training_visible_to(request.user).values(
            "id", "technician_id", "course", "hours", "date"
        )[:1000]
    )


@router.post("/training-records", response={201: TrainingOut, **ERRORS})
def training_create(request: AuthedRequest, payload: TrainingIn) -> Any:
    row = actions.training_record_add(
        actor=request.user,
        technician=payload.technician_id,
        course=payload.course,
        hours=payload.hours,
        date=payload.date,
    )
    return Status(201, row)


class RunIn(Schema):
    scheme_id: int
    period_from: dt.date
    period_to: dt.date


class KpiRunOut(Schema):
    id: int
    scheme_id: int
    scheme_name: str
    subject: str
    period_from: dt.date
    period_to: dt.date
    status: str
    version: int


class KpiResultOut(Schema):
    id: int
    subject_id: int
    subject_name: str
    score: Decimal
    grade: str
    figures: dict[str, Any]
    manual: dict[str, Any]
    lines: list[dict[str, Any]]


class ManualIn(Schema):
    code: str
    value: Decimal


class AdjustIn(Schema):
    points: Decimal
    reason: str


class MoveIn(Schema):
    verb: str
    reason: str = ""


def _run(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "scheme_id": run.scheme_id,
        "scheme_name": run.scheme.name,
        "subject": run.subject,
        "period_from": run.period_from,
        "period_to": run.period_to,
        "status": run.status,
        "version": run.version,
    }


def _visible_run(request: AuthedRequest, run_id: int) -> Any:
    run = selectors.assessment_runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("not_found", _("Not found."))
    return run


@router.get("/assessment-runs", response={200: list[KpiRunOut], **ERRORS})
def run_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.KPI_VIEW)
    return [_run(r) for r in selectors.assessment_runs_visible_to(request.user)[:200]]


@router.post("/assessment-runs", response={201: KpiRunOut, **ERRORS})
def run_create(request: AuthedRequest, payload: RunIn) -> Any:
    """Score a closed period with a scheme (from frozen KPI snapshots); the same scheme and
    period again answers the run already made."""
    run = actions.assessment_run_create(
        actor=request.user,
        scheme=payload.scheme_id,
        period_from=payload.period_from,
        period_to=payload.period_to,
    )
    return Status(201, _run(run))


@router.get("/assessment-runs/{run_id}/results", response={200: list[KpiResultOut], **ERRORS})
def run_results(request: AuthedRequest, run_id: int) -> Any:
    """Each station's or technician's score, grade and the arithmetic per line."""
    require(request.user, Perm.KPI_VIEW)
    run = _visible_run(request, run_id)
    return list(selectors.results_visible_to(request.user, run))


@router.post("/assessment-results/{result_id}/manual", response={200: KpiResultOut, **ERRORS})
def result_manual(request: AuthedRequest, result_id: int, payload: ManualIn) -> Any:
    return actions.assessment_manual_set(
        actor=request.user,
        result=result_id,
        code=payload.code,
        value=payload.value,
    )


@router.post("/assessment-results/{result_id}/adjustments", response={200: KpiResultOut, **ERRORS})
def result_adjust(request: AuthedRequest, result_id: int, payload: AdjustIn) -> Any:
    return actions.assessment_adjust(
        actor=request.user,
        result=result_id,
        points=payload.points,
        reason=payload.reason,
    )


@router.post("/assessment-runs/{run_id}/moves", response={200: KpiRunOut, **ERRORS})
def run_move(request: AuthedRequest, run_id: int, payload: MoveIn) -> Any:
    """review, send_back (with a reason) or approve (the department head)."""
    run = actions.assessment_run_move(
        actor=request.user,
        run=run_id,
        verb=payload.verb,
        reason=payload.reason,
    )
    return _run(run)
