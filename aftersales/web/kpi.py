"""KPI pages: the company dashboard, a KPI by group, the drill-down to orders, the station and
technician scorecards; each chart with its table and an xlsx export."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.choices import Role
from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Region, User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.accounts.selectors import stations_visible_to
from aftersales.catalog.models import ProductCategory
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound, PermissionDenied
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.validation import ValidationFailed
from aftersales.kpi import actions, dashboards, gbt27922, report, scheme_form, selectors
from aftersales.kpi.assessment import DEFAULT_SCHEME
from aftersales.kpi.choices import RUN_LIFECYCLE
from aftersales.kpi.formulas import BY_CODE, DEFINITIONS
from aftersales.kpi.models import AssessmentScheme, KpiSubscription
from aftersales.orders.choices import ServiceType
from aftersales.web.shortcuts import flash_error, page, xlsx_response

PARTS = {
    "numerator": _("In the numerator"),
    "denominator": _("In the denominator"),
    "missed": _("Counted but not met"),
}
GROUP_LABELS = {
    "station": _("Station"),
    "technician": _("Technician"),
    "region": _("Region"),
    "model": _("Product model"),
    "fault_code": _("Fault code"),
    "category": _("Product category"),
    "service_type": _("Service type"),
    "month": _("Month"),
}
SUBJECT_LABELS = {
    "order": _("Order"),
    "complaint": _("Complaint"),
    "return": _("Old-part return"),
    "training": _("Training record"),
}


def _date(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _params(request: AuthedRequest) -> tuple[tuple[dt.date, dt.date], dict[str, Any]]:
    today = clock.today()
    end = _date(request.GET.get("period_to"), today)
    start = _date(request.GET.get("period_from"), end.replace(day=1))
    if start > end:
        start = end
    filters: dict[str, Any] = {
        name: _int(request.GET.get(name))
        for name in ("station", "region", "technician", "category", "model", "fault_code")
    }
    service_type = request.GET.get("service_type") or None
    filters["service_type"] = service_type if service_type in ServiceType.values else None
    return (start, end), filters


def _query(period: tuple[dt.date, dt.date], filters: dict[str, Any], **extra: Any) -> str:
    values = {"period_from": period[0].isoformat(), "period_to": period[1].isoformat()}
    values.update({k: v for k, v in filters.items() if v not in (None, "")})
    values.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(values)


def _filter_choices(user: Any) -> dict[str, Any]:
    regions = Region.objects.filter(company_id=user.company_id).order_by("name")
    if user.region_id:
        regions = regions.filter(pk=user.region_id)
    if user.station_id:
        regions = regions.none()
    return {
        "regions": regions,
        "stations": stations_visible_to(user).order_by("name"),
        "categories": ProductCategory.objects.filter(company_id=user.company_id).order_by("name"),
        "service_types": ServiceType.choices,
    }


def _context(request: AuthedRequest, **more: Any) -> dict[str, Any]:
    period, filters = _params(request)
    user = request.user
    return {
        "period": period,
        "filters": filters,
        "query": _query(period, filters),
        **_filter_choices(user),
        **more,
    }


@page(Perm.KPI_VIEW)
def dashboard(request: AuthedRequest) -> HttpResponse:
    """The company dashboard (a station manager's shows their station, a technician's their
    own work: the selectors scope every number)."""
    user = request.user
    period, filters = _params(request)
    data = dashboards.company_dashboard(user, period, filters)
    charts = data["charts"]
    return render(
        request,
        "web/kpi/dashboard.html",
        _context(
            request,
            headline=data["headline"],
            charts=charts,
            chart_specs=[c.as_dict() for c in charts],
            subscribed=KpiSubscription.objects.filter(user=user).first(),
        ),
    )


@page(Perm.KPI_VIEW)
@require_POST
def subscription(request: AuthedRequest) -> HttpResponse:
    """Receive the monthly report in-app or by e-mail, or stop it."""
    user = request.user
    channel = request.POST.get("channel") or None
    try:
        actions.kpi_subscribe(actor=user, channel=None if channel == "off" else channel)
        messages.success(request, _("Saved."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("kpi-dashboard")


@page(Perm.KPI_VIEW)
def chart_export(request: AuthedRequest, chart_id: str) -> HttpResponse:
    user = request.user
    period, filters = _params(request)
    chart = dashboards.chart_by_id(user, chart_id, period, filters)
    if chart is None:
        raise NotFound("not_found", _("Not found."))
    columns = [Column(f"c{i}", str(name)) for i, name in enumerate(chart.columns)]
    content = write_xlsx(columns, chart.rows, sheet_title=chart_id)
    return xlsx_response(content, f"{chart_id}-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}.xlsx")


@page(Perm.KPI_VIEW)
def kpi_detail(request: AuthedRequest, code: str) -> HttpResponse:
    user = request.user
    d = selectors.definition(code)
    period, filters = _params(request)
    group_by = request.GET.get("group_by") or "station"
    if group_by not in GROUP_LABELS:
        group_by = "station"
    chart = dashboards.by_group(user, code, period, filters, group_by)
    if request.GET.get("format") == "xlsx":
        columns = [Column(f"c{i}", str(name)) for i, name in enumerate(chart.columns)]
        content = write_xlsx(columns, chart.rows, sheet_title=code)
        return xlsx_response(content, f"{code}-{group_by}-{period[0]:%Y%m%d}.xlsx")
    total = dashboards.headline(user, period, filters, [code])[0]
    return render(
        request,
        "web/kpi/detail.html",
        _context(
            request,
            d=d,
            name=selectors.kpi_name(d),
            total=total,
            chart=chart,
            chart_specs=[chart.as_dict()],
            group_by=group_by,
            groups=GROUP_LABELS,
            rows=list(zip(chart.keys, chart.rows, strict=True)),
        ),
    )


DRILL_COLUMNS = [
    Column("subject", _("Kind")),
    Column("number", _("Order no.")),
    Column("day", _("Day")),
    Column("num", _("Numerator")),
    Column("den", _("Denominator")),
]


@page(Perm.KPI_VIEW)
def kpi_orders(request: AuthedRequest, code: str) -> HttpResponse:
    """The drill-down: the orders (or complaints, returns...) behind a figure."""
    user = request.user
    d = selectors.definition(code)
    period, filters = _params(request)
    part = request.GET.get("part") or "denominator"
    if part not in PARTS:
        part = "denominator"
    rows = selectors.drilldown(
        user=user, code=code, period_from=period[0], period_to=period[1], part=part, filters=filters
    )
    for r in rows:
        r["subject_label"] = str(SUBJECT_LABELS.get(r["subject"], r["subject"]))
    if request.GET.get("format") == "xlsx":
        content = write_xlsx(
            DRILL_COLUMNS,
            ([r["subject_label"], r["order_number"], r["day"], r["num"], r["den"]] for r in rows),
            sheet_title=code,
        )
        return xlsx_response(content, f"{code}-{part}-{period[0]:%Y%m%d}.xlsx")
    return render(
        request,
        "web/kpi/orders.html",
        _context(
            request,
            d=d,
            name=selectors.kpi_name(d),
            rows=rows,
            part=part,
            part_label=PARTS[part],
            parts=PARTS,
        ),
    )


@page(Perm.KPI_VIEW)
def station_scorecard(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    station = stations_visible_to(user).filter(pk=pk).first()
    if station is None or user.role == Role.TECHNICIAN:
        raise NotFound("not_found", _("Not found."))
    period, filters = _params(request)
    filters = {**filters, "station": station.pk}
    figures = dashboards.scorecard(user, period, filters)
    techs = dashboards.by_group(user, "first_time_fix", period, filters, "technician")
    people = [
        (key, name, dashboards.headline(user, period, {**filters, "technician": key}))
        for key, name in zip(techs.keys, techs.categories, strict=True)
        if key is not None
    ]
    return render(
        request,
        "web/kpi/scorecard.html",
        _context(
            request,
            subject=station.name,
            figures=figures,
            people=people,
            headline_names=[selectors.kpi_name(BY_CODE[c]) for c in dashboards.HEADLINE],
            query=_query(period, filters),
        ),
    )


@page(Perm.KPI_VIEW)
def technician_scorecard(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    tech = User.objects.filter(pk=pk, company_id=company_of(user), role=Role.TECHNICIAN).first()
    allowed = tech is not None and (
        (user.role == Role.TECHNICIAN and tech.pk == user.pk)
        or (
            user.role != Role.TECHNICIAN
            and (not user.station_id or tech.station_id == user.station_id)
            and (not user.region_id or tech.region_id in (None, user.region_id))
        )
    )
    if not allowed:
        raise NotFound("not_found", _("Not found."))
    assert tech is not None
    period, filters = _params(request)
    filters = {**filters, "technician": tech.pk}
    return render(
        request,
        "web/kpi/scorecard.html",
        _context(
            request,
            subject=tech.get_full_name() or tech.username,
            figures=dashboards.scorecard(user, period, filters),
            people=[],
            query=_query(period, filters),
        ),
    )


@page(Perm.KPI_VIEW)
def definitions(request: AuthedRequest) -> HttpResponse:
    rows = [{"d": d, "name": selectors.kpi_name(d)} for d in DEFINITIONS]
    return render(request, "web/kpi/definitions.html", {"rows": rows})


# --- assessment (考核) -----------------------------------------------------------------------

RUN_VERBS = {verb: RUN_LIFECYCLE.verb_label(verb) for verb in RUN_LIFECYCLE.table}
LINE_KINDS = {
    "item": _("Item"),
    "rule": _("Bonus or deduction"),
    "adjustment": pgettext_lazy("assessment", "Adjustment"),
    "note": _("No figure for the period: its weight is shared among the other items"),
}


def _last_month() -> tuple[dt.date, dt.date]:
    first = clock.today().replace(day=1)
    end = first - dt.timedelta(days=1)
    return end.replace(day=1), end


@page(Perm.KPI_VIEW)
def assessment_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        require(user, Perm.ASSESSMENT_EDIT)
        try:
            if request.POST.get("op") == "scheme":
                actions.assessment_scheme_save(
                    actor=user,
                    name=request.POST.get("name", ""),
                    period_kind=request.POST.get("period_kind", "month"),
                    definition=json.loads(request.POST.get("definition") or "{}"),
                )
                messages.success(request, _("Scheme saved."))
                return redirect("assessment-list")
            default = _last_month()
            run = actions.assessment_run_create(
                actor=user,
                scheme=_int(request.POST.get("scheme")) or 0,
                period_from=_date(request.POST.get("period_from"), default[0]),
                period_to=_date(request.POST.get("period_to"), default[1]),
            )
            return redirect("assessment-detail", pk=run.pk)
        except json.JSONDecodeError:
            messages.error(request, _("The scheme is not valid JSON."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("assessment-list")
    schemes = AssessmentScheme.objects.filter(company_id=company_of(user), active=True)
    start, end = _last_month()
    return render(
        request,
        "web/kpi/assessments.html",
        {
            "runs": selectors.assessment_runs_visible_to(user)[:100],
            "schemes": schemes,
            "may_edit": has_perm(user, Perm.ASSESSMENT_EDIT),
            "period": (start, end),
            "default_scheme": json.dumps(DEFAULT_SCHEME, ensure_ascii=False, indent=1),
            "period_kinds": AssessmentScheme.PeriodKind.choices,
        },
    )


@page(Perm.KPI_VIEW)
def assessment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    run = selectors.assessment_runs_visible_to(user).filter(pk=pk).first()
    if run is None:
        raise NotFound("not_found", _("Not found."))
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "manual":
                actions.assessment_manual_set(
                    actor=user,
                    result=_int(request.POST.get("result")) or 0,
                    code=request.POST.get("code", ""),
                    value=_decimal(request.POST.get("value")),
                )
                messages.success(request, _("Score saved."))
            elif op == "adjust":
                actions.assessment_adjust(
                    actor=user,
                    result=_int(request.POST.get("result")) or 0,
                    points=_decimal(request.POST.get("points")),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Adjustment saved."))
            elif op in RUN_VERBS:
                actions.assessment_run_move(
                    actor=user, run=run, verb=op, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("assessment-detail", pk=pk)
    results = list(selectors.results_visible_to(user, run))
    if request.GET.get("format") == "xlsx":
        columns = [
            Column("name", _("Assessed")),
            Column("score", _("Score")),
            Column("grade", _("Grade")),
            Column("lines", _("Arithmetic")),
        ]
        content = write_xlsx(
            columns,
            (
                [
                    r.subject_name,
                    r.score,
                    r.grade,
                    "; ".join(f"{ln['name']}: {ln['detail']} = {ln['points']}" for ln in r.lines),
                ]
                for r in results
            ),
            sheet_title="assessment",
        )
        return xlsx_response(content, f"assessment-{run.pk}-{run.period_from:%Y%m}.xlsx")
    scheme = run.scheme_data
    manual = [(i["code"], i.get("name", i["code"])) for i in scheme["items"] if i.get("manual")]
    manual += [
        (r["code"], r.get("name", r["code"])) for r in scheme.get("rules") or [] if r.get("manual")
    ]
    verbs = [(v, RUN_VERBS[v]) for v in RUN_LIFECYCLE.available(run.status)]
    return render(
        request,
        "web/kpi/assessment.html",
        {
            "run": run,
            "results": results,
            "manual": manual,
            "line_kinds": LINE_KINDS,
            "verbs": verbs,
            "may_edit": has_perm(user, Perm.ASSESSMENT_EDIT) and run.status == "draft",
            "may_move": has_perm(user, Perm.ASSESSMENT_EDIT),
            "events": run.events.select_related("actor"),
        },
    )


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").strip() or "0")
    except InvalidOperation:
        raise ValidationFailed({"value": _("Enter a number.")}) from None


@page(Perm.KPI_VIEW)
def training_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        require(user, Perm.TRAINING_EDIT)
        try:
            actions.training_record_add(
                actor=user,
                technician=_int(request.POST.get("technician")) or 0,
                course=request.POST.get("course", ""),
                hours=_decimal(request.POST.get("hours")),
                date=_date(request.POST.get("date"), clock.today()),
            )
            messages.success(request, _("Training recorded."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("training-list")
    year = clock.today().year
    rows = selectors.training_visible_to(user).select_related("technician")
    totals: dict[Any, Decimal] = {}
    for r in rows.filter(date__year=year):
        totals[r.technician] = totals.get(r.technician, Decimal(0)) + r.hours
    techs = User.objects.filter(company_id=company_of(user), role=Role.TECHNICIAN, is_active=True)
    if user.station_id:
        techs = techs.filter(station_id=user.station_id)
    if user.role == Role.TECHNICIAN:
        techs = techs.filter(pk=user.pk)
    people = [
        (t, totals.get(t, Decimal(0))) for t in techs.order_by("last_name", "first_name", "pk")
    ]
    return render(
        request,
        "web/kpi/training.html",
        {
            "rows": rows[:300],
            "people": people,
            "target": BY_CODE["training_hours"].target,
            "year": year,
            "may_edit": has_perm(user, Perm.TRAINING_EDIT),
            "technicians": techs.order_by("last_name", "first_name", "pk"),
            "today": clock.today(),
        },
    )


# --- GB/T 27922 self-assessment --------------------------------------------------------------

ANSWER_LABELS = {
    "yes": pgettext_lazy("conformity", "Yes"),
    "partly": _("Partly"),
    "no": pgettext_lazy("conformity", "No"),
    "na": _("Not applicable"),
}
LEVEL_LABELS = {
    "": _("Not yet compliant (below 70)"),
    "compliant": _("Compliant (70 and above)"),
    "three_stars": _("Three stars (80 and above)"),
    "four_stars": _("Four stars (90 and above)"),
    "five_stars": _("Five stars (95 and above)"),
}


@page(Perm.KPI_VIEW)
def self_assessment(request: AuthedRequest) -> HttpResponse:
    """The company's self-assessment (saved versions, PDF); a station manager sees their
    station's, scored from its own figures and read-only (the same rule as the menu)."""
    user = request.user
    seen = selectors.self_assessment_scope(user)
    if seen is None:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    station = seen == "station"
    latest = None if station else selectors.latest_self_assessment(company_of(user))
    table = latest.table if latest else [dict(i) for i in gbt27922.DEFAULT_TABLE]
    if request.method == "POST":
        if station:  # the saved self-assessment is the company's
            raise PermissionDenied("forbidden", _("You do not have permission to do this."))
        require(user, Perm.ASSESSMENT_EDIT)
        answers = {
            item["code"]: {
                "answer": request.POST.get(f"answer-{item['code']}", "no"),
                "evidence": request.POST.get(f"evidence-{item['code']}", ""),
            }
            for item in table
        }
        try:
            actions.self_assessment_save(actor=user, answers=answers)
            messages.success(request, _("Self-assessment saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("self-assessment")
    evidence = selectors.self_assessment_evidence(
        company_of(user), clock.today(), user=user if station else None
    )
    saved = latest.answers if latest else {}
    zh = (get_language() or "").startswith("zh")
    groups: dict[str, dict[str, Any]] = {}
    chosen: dict[str, str] = {}
    for item in table:
        key = item.get("evidence", "")
        known = evidence.get(key) if key else None
        entry = saved.get(item["code"]) or {}
        answer = entry.get("answer") or (known or {}).get("suggest") or "no"
        chosen[item["code"]] = answer
        group = groups.setdefault(
            item["group"],
            {"name": gbt27922.GROUPS[item["group"]][0 if zh else 1], "items": []},
        )
        group["items"].append(
            {
                "code": item["code"],
                "name": item["zh"] if zh else item["en"],
                "points": item["points"],
                "answer": answer,
                "evidence": entry.get("evidence", ""),
                "key": key,
                "known": known,
                "suggested": not entry and bool(known and known.get("suggest")),
            }
        )
    result = gbt27922.evaluate(table, chosen)
    return render(
        request,
        "web/kpi/self_assessment.html",
        {
            "groups": list(groups.values()),
            "result": result,
            "level": LEVEL_LABELS[result.level],
            "next_level": LEVEL_LABELS[result.next_level] if result.next_level else "",
            "answer_labels": ANSWER_LABELS,
            "latest": latest,
            "may_edit": not station and has_perm(user, Perm.ASSESSMENT_EDIT),
            "station": user.station if station else None,
        },
    )


# --- the scheme editor (rows instead of JSON) ------------------------------------------------


@page(Perm.ASSESSMENT_EDIT)
def scheme_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """A scheme's items, rules and grades as form rows, checked line by line."""
    user = request.user
    scheme = None
    if pk is not None:
        scheme = AssessmentScheme.objects.filter(pk=pk, company_id=company_of(user)).first()
        if scheme is None:
            raise NotFound("not_found", _("Not found."))
    errors: dict[str, str] = {}
    name = scheme.name if scheme else ""
    period_kind = scheme.period_kind if scheme else "month"
    rows = scheme_form.rows_of(scheme.definition if scheme else DEFAULT_SCHEME)
    if request.method == "POST":
        name = request.POST.get("name", "")
        period_kind = request.POST.get("period_kind", "month")
        rows = scheme_form.rows_from_post(request.POST)
        parsed = scheme_form.parse(rows)
        errors = dict(parsed.errors)
        if not name.strip():
            errors["name"] = str(_("Give it a name."))
        if not errors:
            try:
                actions.assessment_scheme_save(
                    actor=user,
                    name=name,
                    period_kind=period_kind,
                    definition=parsed.definition,
                    scheme=scheme,
                )
                messages.success(request, _("Scheme saved."))
                return redirect("assessment-list")
            except ValidationFailed as exc:
                errors.update({k: str(v) for k, v in (exc.details or {}).items()})
            except ApplicationError as exc:
                flash_error(request, exc)
    for section, prefix in (("items", "item"), ("rules", "rule"), ("grades", "grade")):
        for n, row in enumerate(rows[section]):
            row["errs"] = {
                k.rsplit("-", 1)[1]: v for k, v in errors.items() if k.startswith(f"{prefix}-{n}-")
            }
    zh = (get_language() or "").startswith("zh")
    kpis = [(d.code, d.name_zh if zh else d.name_en) for d in DEFINITIONS]
    return render(
        request,
        "web/kpi/scheme_edit.html",
        {
            "scheme": scheme,
            "name": name,
            "period_kind": period_kind,
            "period_kinds": AssessmentScheme.PeriodKind.choices,
            "rows": rows,
            "errors": errors,
            "general_errors": [
                v for k, v in errors.items() if k in ("items", "grades", "definition", "subject")
            ],
            "kpis": kpis,
        },
        status=422 if errors else 200,
    )


# --- region comparison ------------------------------------------------------------------------


def _company_level(user: Any) -> None:
    if user.station_id or user.role == Role.TECHNICIAN:  # a company-level page
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


@page(Perm.KPI_VIEW)
def region_comparison(request: AuthedRequest) -> HttpResponse:
    """Every region side by side: the headline figures per region, a chart, an xlsx."""
    user = request.user
    _company_level(user)
    period, filters = _params(request)
    filters.pop("region", None)
    chart = dashboards.regions(user, period, filters)
    return render(
        request,
        "web/kpi/regions.html",
        _context(
            request,
            chart=chart,
            chart_specs=[chart.as_dict()],
            query=_query(period, filters),
            region_rows=list(zip(chart.keys, chart.rows, strict=True)),
        ),
    )


# --- the self-assessment as a PDF ---------------------------------------------------------------


@page(Perm.KPI_VIEW)
def self_assessment_pdf(request: AuthedRequest) -> HttpResponse:
    """The saved self-assessment (the latest version) as a PDF report."""
    user = request.user
    _company_level(user)
    latest = selectors.latest_self_assessment(company_of(user))
    if latest is None:
        raise NotFound("not_found", _("Save the self-assessment first."))
    zh = (get_language() or "").startswith("zh")
    result = gbt27922.evaluate(latest.table, {c: e["answer"] for c, e in latest.answers.items()})
    data = report.self_assessment_pdf(
        company=user.company.name if user.company else "",
        table=latest.table,
        answers=latest.answers,
        result=result,
        level=str(LEVEL_LABELS[result.level]),
        next_level=str(LEVEL_LABELS[result.next_level]) if result.next_level else "",
        answer_labels={k: str(v) for k, v in ANSWER_LABELS.items()},
        groups={k: v[0 if zh else 1] for k, v in gbt27922.GROUPS.items()},
        zh=zh,
        saved=latest,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="gbt27922-{latest.saved_at:%Y%m%d}.pdf"'
    return response
