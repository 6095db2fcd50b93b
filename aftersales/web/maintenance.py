"""Maintenance pages: plans and their rules, a unit's schedule, the generation log, service
contracts, and the checklist on the technician's visit. Views parse, call one action, redirect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.catalog.models import Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import get_visible
from aftersales.customers.choices import MeterKind
from aftersales.customers.selectors import customers_visible_to
from aftersales.fieldwork.rules import money
from aftersales.maintenance import actions, certificate, selectors
from aftersales.maintenance.choices import (
    CONTRACT_MACHINE,
    BlockReason,
    CampaignKind,
    CampaignProgress,
    RuleKind,
    ScheduleState,
    TaskKind,
)
from aftersales.maintenance.models import AcceptanceRecord
from aftersales.orders.choices import Priority
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import (
    EXPORT_LIMIT,
    export_rows,
    flash_error,
    local_time,
    page,
    xlsx_response,
)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
NTH = [(1, _("first")), (2, _("second")), (3, _("third")), (4, _("fourth")), (-1, _("last"))]
RUN_COLUMNS = [
    Column("plan", _("Plan")),
    Column("started", _("Started")),
    Column("finished", _("Finished")),
    Column("units", _("Units")),
    Column("created", _("Orders created")),
    Column("blocked", _("Not ordered")),
]
CONTRACT_COLUMNS = [
    Column("number", _("Contract no.")),
    Column("customer", _("Customer")),
    Column("status", _("Status")),
    Column("from", _("From")),
    Column("until", _("Until")),
    Column("units", _("Units")),
    Column("price", _("Price")),
]
PLAN_COLUMNS = [
    Column("name", _("Name")),
    Column("product_model", _("Product model")),
    Column("category", _("Product category")),
    Column("meter", _("Meter")),
    Column("status", _("Status")),
    Column("priority", _("Priority")),
    Column("ordered", _("Orders open")),
    Column("blocked", _("Not ordered")),
    Column("last_run", _("Last generation")),
]
EVENT_LABELS = {
    "create": _("Created"),
    "renewal_due": _("Renewal due: the customer is told"),
}
DUE_BY = {"days": _("by date"), "meter": _("by meter")}


def _months(post: Any) -> list[int]:
    return [int(m) for m in post.getlist("blackout_months") if m.isdigit()]


# --- plans -----------------------------------------------------------------------------------


@page(Perm.ORDER_VIEW)
def plans(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            plan = actions.plan_create(
                actor=user,
                name=post.get("name", ""),
                product_model=post.get("product_model") or None,
                category=post.get("category") or None,
                meter_kind=post.get("meter_kind", "hours"),
                window_days=post.get("window_days") or 7,
                horizon_days=post.get("horizon_days") or 14,
                working_days_only=post.get("working_days_only") == "1",
                priority=post.get("priority", "low"),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("maint-plans")
        messages.success(request, _("Plan created; add its rules."))
        return redirect("maint-plan", pk=plan.pk)
    return render(
        request,
        "web/maintenance/plans.html",
        {
            "rows": selectors.plans_visible_to(user),
            "may_edit": has_perm(user, Perm.MAINTENANCE_PLANS),
            "models": ProductModel.objects.filter(category__company_id=company_of(user)),
            "categories": ProductCategory.objects.filter(company_id=company_of(user)),
            "meter_kinds": MeterKind.choices,
            "priorities": Priority.choices,
        },
    )


@page(Perm.ORDER_VIEW)
def plan_export(request: AuthedRequest) -> HttpResponse:
    """The maintenance plans list as an Excel file, in the page's order (at most 10,000 rows;
    a last row says when rows were left out)."""
    found: Any = selectors.plans_visible_to(request.user)  # with the schedule counts
    rows = (
        (
            p.name,
            f"{p.product_model.name} {p.product_model.code}" if p.product_model else "",
            p.category.name if p.category else "",
            p.get_meter_kind_display(),
            p.get_status_display(),
            p.get_priority_display(),
            p.ordered_count,
            p.blocked_count,
            local_time(p.last_run_at),
        )
        for p in found[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(PLAN_COLUMNS, export_rows(rows, limit=EXPORT_LIMIT), sheet_title="plans")
    return xlsx_response(content, f"maintenance-plans-{clock.today():%Y%m%d}.xlsx")


def _plan_post(user: Any, plan: Any, post: Any) -> Any:
    op = post.get("op")
    if op == "settings":
        return actions.plan_update(
            actor=user,
            plan=plan,
            name=post.get("name", ""),
            meter_kind=post.get("meter_kind", ""),
            window_days=post.get("window_days"),
            horizon_days=post.get("horizon_days"),
            working_days_only=post.get("working_days_only") == "1",
            needs_contract=post.get("needs_contract") == "1",
            blackout_months=_months(post),
            priority=post.get("priority", ""),
        )
    if op == "rule":
        return actions.rule_save(
            actor=user,
            plan=plan,
            kind=post.get("kind", ""),
            days=post.get("days"),
            months=post.get("months"),
            meter=post.get("meter"),
            nth=post.get("nth"),
            weekday=post.get("weekday"),
        )
    if op == "level":
        return actions.level_save(
            actor=user,
            rule=post.get("rule"),
            name=post.get("name", ""),
            at_meter=post.get("at_meter"),
            every_nth=post.get("every_nth"),
            duration_minutes=post.get("duration_minutes") or 60,
        )
    if op == "task":
        return actions.task_save(
            actor=user,
            level=post.get("level"),
            kind=post.get("kind", ""),
            text=post.get("text", ""),
            unit_label=post.get("unit_label", ""),
            low=post.get("low"),
            high=post.get("high"),
            part=post.get("part"),
            quantity=post.get("quantity") or 1,
        )
    if op == "generate":
        run = actions.plan_generate_now(actor=user, plan=plan)
        return _("Generation finished: %(n)s orders created.") % {"n": run.created}
    return actions.plan_transition(
        actor=user, plan=plan, action=op or "", reason=post.get("reason", "")
    )


@page(Perm.ORDER_VIEW)
def plan(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = get_visible(selectors.plans_visible_to(user), pk)
    if request.method == "POST":
        try:
            result = _plan_post(user, found, request.POST)
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, result if isinstance(result, str) else _("Saved."))
        return redirect("maint-plan", pk=pk)
    return render(
        request,
        "web/maintenance/plan.html",
        {
            **selectors.plan_detail(found),
            "may_edit": has_perm(user, Perm.MAINTENANCE_PLANS),
            "rule_kinds": RuleKind.choices,
            "task_kinds": TaskKind.choices,
            "meter_kinds": MeterKind.choices,
            "priorities": Priority.choices,
            "parts": Part.objects.filter(company_id=company_of(user), is_active=True),
            "weekdays": WEEKDAYS,
            "nths": NTH,
            "months": range(1, 13),
            "state_labels": dict(ScheduleState.choices),
        },
    )


@page(Perm.ORDER_VIEW)
def runs(request: AuthedRequest) -> HttpResponse:
    """The generation log: every run, what it created and why units could not be ordered."""
    labels = dict(BlockReason.choices)
    rows = list(selectors.generation_log(request.user)[:200])
    reasons = [[(labels.get(k, k), n) for k, n in (run.blocked or {}).items()] for run in rows]
    for run, why in zip(rows, reasons, strict=True):
        # Shown by the template; mypy knows no attribute added to a model instance.
        run.reasons = why  # type: ignore[attr-defined]
    if request.GET.get("format") == "xlsx":
        content = write_xlsx(
            RUN_COLUMNS,
            [
                [
                    r.plan.name,
                    timezone.localtime(r.started_at).strftime("%Y-%m-%d %H:%M"),
                    timezone.localtime(r.finished_at).strftime("%Y-%m-%d %H:%M")
                    if r.finished_at
                    else "",
                    r.units,
                    r.created,
                    "; ".join(f"{label}: {n}" for label, n in why),
                ]
                for r, why in zip(rows, reasons, strict=True)
            ],
            sheet_title="runs",
        )
        return xlsx_response(content, f"maintenance-runs-{clock.today():%Y%m%d}.xlsx")
    return render(request, "web/maintenance/runs.html", {"rows": rows})


# --- a unit's schedule -----------------------------------------------------------------------


@page(Perm.UNIT_VIEW)
def unit_schedule(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            actions.unit_plan_override(
                actor=user,
                unit=pk,
                plan=request.POST.get("plan") or None,
                blackout_months=_months(request.POST),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("maint-unit", pk=pk)
    data = selectors.unit_schedule(user, pk)
    for row in data["upcoming"]:
        row["by"] = DUE_BY.get(row["due"].by, "")
    return render(
        request,
        "web/maintenance/unit.html",
        {
            **data,
            "may_edit": has_perm(user, Perm.MAINTENANCE_PLANS),
            "plans": selectors.active_plans(user),
            "months": range(1, 13),
        },
    )


# --- the checklist on the visit --------------------------------------------------------------


@page(Perm.ORDER_WORK)
@require_POST
def checklist_save(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    post = request.POST
    answers: dict[int, dict[str, Any]] = {}
    for name in post:
        if name.startswith("task_") and name[5:].isdigit():
            task = int(name[5:])
            answers[task] = {
                "done": post.get(f"done_{task}") == "1",
                "value": post.get(f"value_{task}") or None,
                "note": post.get(f"note_{task}", ""),
            }
    try:
        actions.checklist_record(
            actor=request.user, order=order, answers=answers, reading=post.get("reading") or None
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Checklist saved."))
    return redirect(f"{reverse('field-visit', kwargs={'pk': pk})}#checklist")


@page(Perm.ORDER_WORK)
@require_POST
def checklist_repair(request: AuthedRequest, pk: int, entry: int) -> HttpResponse:
    get_visible(orders_visible_to(request.user), pk)
    try:
        repair = actions.checklist_open_repair(actor=request.user, entry=entry)
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Repair order %(number)s opened.") % {"number": repair.number})
    return redirect(f"{reverse('field-visit', kwargs={'pk': pk})}#checklist")


# --- contracts -------------------------------------------------------------------------------


@page(Perm.ORDER_VIEW)
def contracts(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            contract = actions.contract_create(
                actor=user,
                customer=post.get("customer"),
                units=[u for u in post.getlist("units") if u],
                number=post.get("number", ""),
                starts_on=post.get("starts_on", ""),
                ends_on=post.get("ends_on", ""),
                respond_minutes=post.get("respond_minutes") or None,
                arrive_minutes=post.get("arrive_minutes") or None,
                resolve_minutes=post.get("resolve_minutes") or None,
                parts_pct=post.get("parts_pct") or 0,
                labour_pct=post.get("labour_pct") or 0,
                travel_pct=post.get("travel_pct") or 0,
                visits_per_year=post.get("visits_per_year") or 0,
                price=post.get("price") or 0,
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("maint-contracts")
        messages.success(request, _("Contract saved as a draft."))
        return redirect("maint-contract", pk=contract.pk)
    rows = selectors.contracts_visible_to(user)
    if request.GET.get("format") == "xlsx":  # the export's former address
        return _contracts_xlsx(rows)
    customer = None
    if request.GET.get("customer"):
        customer = customers_visible_to(user).filter(pk=request.GET["customer"]).first()
    return render(
        request,
        "web/maintenance/contracts.html",
        {
            "rows": rows,
            "may_edit": has_perm(user, Perm.CONTRACT_EDIT),
            "customer": customer,
            "units": customer.units.select_related("product_model") if customer else [],
            "today": clock.today(),
        },
    )


@page(Perm.ORDER_VIEW)
def contract_export(request: AuthedRequest) -> HttpResponse:
    """The service contracts list as an Excel file, in the page's order (at most 10,000 rows;
    a last row says when rows were left out)."""
    return _contracts_xlsx(selectors.contracts_visible_to(request.user))


def _contracts_xlsx(contracts: Any) -> HttpResponse:
    rows = (
        (
            c.number,
            c.customer.name,
            c.get_status_display(),
            c.starts_on,
            c.ends_on,
            c.unit_count,
            money(c.price),
        )
        for c in contracts[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        CONTRACT_COLUMNS, export_rows(rows, limit=EXPORT_LIMIT), sheet_title="contracts"
    )
    return xlsx_response(content, f"contracts-{clock.today():%Y%m%d}.xlsx")


@page(Perm.ORDER_VIEW)
def contract(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = get_visible(selectors.contracts_visible_to(user), pk)
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("op") == "renew":
                new = actions.contract_renew(
                    actor=user,
                    contract=found,
                    number=post.get("number", ""),
                    ends_on=post.get("ends_on", ""),
                    price=post.get("price") or None,
                )
                messages.success(request, _("Renewed."))
                return redirect("maint-contract", pk=new.pk)
            actions.contract_transition(
                actor=user, contract=found, action=post.get("op", ""), reason=post.get("reason", "")
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("maint-contract", pk=pk)
    example = actions.covered_price(
        found, parts=Decimal("100.00"), labour=Decimal("100.00"), travel=Decimal("100.00")
    )
    return render(
        request,
        "web/maintenance/contract.html",
        {
            "contract": found,
            "units": found.units.select_related("product_model"),
            "events": [
                (e, EVENT_LABELS.get(e.action) or CONTRACT_MACHINE.verb_label(e.action))
                for e in found.events.select_related("actor").order_by("-at", "-id")
            ],
            "may_edit": has_perm(user, Perm.CONTRACT_EDIT),
            "actions": [
                (v, CONTRACT_MACHINE.verb_label(v))
                for v in CONTRACT_MACHINE.available(found.status)
                if v in ("activate", "terminate")
            ],
            "may_renew": found.status in ("active", "expired"),
            "example": example,
            "visits": actions.contract_visits(found),
        },
    )


# --- recall and service campaigns ------------------------------------------------------------

CAMPAIGN_COLUMNS = [
    Column("serial", _("Serial number")),
    Column("model", _("Product model")),
    Column("customer", _("Customer")),
    Column("order", _("Order")),
    Column("state", _("Progress")),
    Column("note", _("Note")),
]


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@page(Perm.ORDER_VIEW)
def campaigns(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            campaign = actions.campaign_create(
                actor=user,
                name=post.get("name", ""),
                kind=post.get("kind", ""),
                work=post.get("work", ""),
                product_models=[m for m in post.getlist("product_models") if m],
                serial_from=post.get("serial_from", ""),
                serial_to=post.get("serial_to", ""),
                sold_from=_date(post.get("sold_from")),
                sold_to=_date(post.get("sold_to")),
                serials=post.get("serials", "").split(),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("maint-campaigns")
        messages.success(request, _("Campaign saved as a draft; check the units and launch it."))
        return redirect("maint-campaign", pk=campaign.pk)
    return render(
        request,
        "web/maintenance/campaigns.html",
        {
            "rows": selectors.campaigns_visible_to(user),
            "may_edit": has_perm(user, Perm.MAINTENANCE_PLANS),
            "kinds": CampaignKind.choices,
            "models": ProductModel.objects.filter(category__company_id=company_of(user)),
        },
    )


@page(Perm.ORDER_VIEW)
def campaign(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = get_visible(selectors.campaigns_visible_to(user), pk)
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("op") == "launch":
                actions.campaign_launch(actor=user, campaign=found)
            elif post.get("op") == "close":
                actions.campaign_close(actor=user, campaign=found, reason=post.get("reason", ""))
            else:
                actions.campaign_unit_mark(
                    actor=user,
                    campaign_unit=post.get("row"),
                    unreachable=post.get("op") == "unreachable",
                    note=post.get("note", ""),
                )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("maint-campaign", pk=pk)
    progress = selectors.campaign_progress(found, user=user)
    if request.GET.get("format") == "xlsx":
        content = write_xlsx(
            CAMPAIGN_COLUMNS,
            [
                [
                    r["row"].unit.serial,
                    r["row"].unit.product_model.code,
                    r["row"].unit.customer.name,
                    r["row"].order.number if r["row"].order else "",
                    str(r["label"]),
                    r["row"].note,
                ]
                for r in progress["rows"]
            ],
            sheet_title="campaign",
        )
        return xlsx_response(content, f"campaign-{found.pk}-{clock.today():%Y%m%d}.xlsx")
    preview = None
    if found.status == "draft":
        preview = actions.campaign_units_query(found).count()
    return render(
        request,
        "web/maintenance/campaign.html",
        {
            "campaign": found,
            "progress": progress,
            "counts": [
                (label, progress["counts"][value]) for value, label in CampaignProgress.choices
            ],
            "preview": preview,
            "may_edit": has_perm(user, Perm.MAINTENANCE_PLANS),
            "may_mark": has_perm(user, Perm.ORDER_EDIT),
        },
    )


# --- installation and acceptance -------------------------------------------------------------


def _acceptance_form(post: Any) -> dict[str, Any]:
    checklist = []
    k = 0
    while f"item_{k}" in post:
        checklist.append(
            {"item": post.get(f"item_{k}", ""), "ok": post.get(f"ok_{k}") == "1", "note": ""}
        )
        k += 1
    measurements = []
    k = 0
    while f"m_name_{k}" in post:
        measurements.append(
            {
                "name": post.get(f"m_name_{k}", ""),
                "value": post.get(f"m_value_{k}", ""),
                "unit": post.get(f"m_unit_{k}", ""),
            }
        )
        k += 1
    return {
        "checklist": checklist,
        "measurements": measurements,
        "defects": post.get("defects", "").splitlines(),
        "signature": post.get("signature", ""),
        "signer_name": post.get("signer_name", ""),
    }


@page(Perm.ORDER_VIEW)
@require_POST
def acceptance_save(request: AuthedRequest, pk: int) -> HttpResponse:
    """The acceptance on site (from the visit page) or, once the defects are fixed, the
    customer's acceptance (from the acceptance page)."""
    order = get_visible(orders_visible_to(request.user), pk)
    form = _acceptance_form(request.POST)
    try:
        if request.POST.get("op") == "accept":
            record = actions.acceptance_accept(
                actor=request.user,
                order=order,
                signature=form["signature"],
                signer_name=form["signer_name"],
            )
        else:
            record = actions.acceptance_record(actor=request.user, order=order, **form)
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(
            request,
            _("Accepted; the certificate is issued.")
            if record.status == "accepted"
            else _("Defects recorded; each has a follow-on order."),
        )
    back = request.POST.get("back") or "visit"
    if back == "page":
        return redirect("maint-acceptance", pk=pk)
    return redirect(f"{reverse('field-visit', kwargs={'pk': pk})}#acceptance")


@page(Perm.ORDER_VIEW)
@require_POST
def installation_unit_save(request: AuthedRequest, pk: int) -> HttpResponse:
    """The installed-unit form on an installation order's page: create (model and serial) or
    activate the order's unit, its installation date and the meter read at installation."""
    order = get_visible(orders_visible_to(request.user), pk)
    post = request.POST
    try:
        actions.installation_unit(
            actor=request.user,
            order=order,
            serial=post.get("serial", "").strip(),
            product_model=post.get("product_model") or None,
            installed_on=_date(post.get("installed_on")),
            meter_kind=post.get("meter_kind", ""),
            meter_value=post.get("meter_value", "").strip() or None,
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The installed unit is recorded."))
    return redirect("order-detail", pk=pk)


@page(Perm.ORDER_VIEW)
def acceptance_page(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_visible(
        orders_visible_to(request.user).select_related("customer", "unit__product_model"), pk
    )
    data = selectors.acceptance_for(order)
    if data is None:
        raise NotFound("not_found", _("Only installation and acceptance orders are accepted."))
    return render(request, "web/maintenance/acceptance.html", {"order": order, "acceptance": data})


@page(Perm.ORDER_VIEW)
def acceptance_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    record = AcceptanceRecord.objects.filter(order=order, status="accepted").first()
    if record is None:
        raise NotFound("not_found", _("Not accepted yet."))
    response = HttpResponse(certificate.render(record), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="acceptance-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
