"""Settlement pages: statements (generate, send, reconcile, answer, approve, pay), their
exports, the fee rules with a pricing preview, the station account; customer balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Station
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.billing import actions, customers, exports, selectors
from aftersales.billing.choices import (
    CLAIM_MACHINE,
    MANUAL_KINDS,
    STATEMENT_MACHINE,
    ClaimDecision,
    ClaimReason,
    ClaimStatus,
    DisputeAnswer,
    FeeKind,
    LineKind,
    LineStatus,
    PayoutMode,
    RefundStatus,
    TravelPer,
)
from aftersales.billing.models import FeeRule
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import customers_visible_to
from aftersales.fieldwork.models import Receipt
from aftersales.fieldwork.rules import money
from aftersales.orders.choices import ServiceType
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import (
    EXPORT_LIMIT,
    export_rows,
    flash_error,
    local_time,
    page,
    xlsx_response,
)

EVENT_LABELS = {
    "generate": _("Generated"),
    "line_add": _("Line added"),
    "answer_line": _("Line answered"),
    "answer_overdue": _("Dispute accepted: not answered in time"),
}


def _period(value: str | None) -> dt.date:
    """`?period=YYYY-MM`, or last month."""
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@page(Perm.SETTLEMENT_VIEW)
def statement_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    period = _period(request.GET.get("period"))
    if request.method == "POST":
        try:
            period = _period(request.POST.get("period"))
            made = actions.statements_generate(actor=user, period=period)
            messages.success(request, _("%(n)d statements generated.") % {"n": len(made)})
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect(f"{request.path}?period={period:%Y-%m}")
    rows = list(
        selectors.statements_visible_to(user).filter(period=period).order_by("station__code")
    )
    return render(
        request,
        "web/billing/statements.html",
        {
            "rows": rows,
            "period": period,
            "can_manage": has_perm(user, Perm.SETTLEMENT_MANAGE),
        },
    )


@page(Perm.SETTLEMENT_VIEW)
def statement_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    st = selectors.statement_for(user, pk)
    lines = list(st.lines.select_related("order").order_by("position"))
    events = list(st.events.select_related("actor"))
    for e in events:
        e.label = EVENT_LABELS.get(e.action) or STATEMENT_MACHINE.verb_label(e.action)
    steps = [
        (verb, STATEMENT_MACHINE.verb_label(verb))
        for verb in STATEMENT_MACHINE.available(st.status)
        if (verb in ("send", "approve", "pay", "credit") and has_perm(user, Perm.SETTLEMENT_MANAGE))
        or (verb == "confirm" and has_perm(user, Perm.SETTLEMENT_RECONCILE))
    ]
    # "pay" and "credit" are one button: the station's terms decide.
    steps = [(v, label) for v, label in steps if v != "credit"]
    return render(
        request,
        "web/billing/statement.html",
        {
            "st": st,
            "lines": lines,
            "events": events,
            "steps": steps,
            "can_dispute": st.status == "sent" and has_perm(user, Perm.SETTLEMENT_RECONCILE),
            "can_answer": st.status == "disputed" and has_perm(user, Perm.SETTLEMENT_ANSWER),
            "can_add": st.status == "generated" and has_perm(user, Perm.SETTLEMENT_MANAGE),
            "manual_kinds": [(k, LineKind(k).label) for k in LineKind.values if k in MANUAL_KINDS],
            "answers": DisputeAnswer.choices,
            "disputed": LineStatus.DISPUTED,
        },
    )


@require_POST
@page(Perm.SETTLEMENT_VIEW)
def statement_act(request: AuthedRequest, pk: int, step: str) -> HttpResponse:
    user = request.user
    selectors.statement_for(user, pk)
    post = request.POST
    try:
        if step == "send":
            actions.statement_send(actor=user, statement_id=pk)
        elif step == "confirm":
            actions.statement_confirm(actor=user, statement_id=pk)
        elif step == "approve":
            actions.statement_approve(actor=user, statement_id=pk)
        elif step == "pay":
            actions.statement_pay(actor=user, statement_id=pk, reference=post.get("reference", ""))
        elif step == "dispute":
            disputes = [
                actions.LineDispute(
                    int(line_id),
                    post.get(f"reason-{line_id}", ""),
                    post.get(f"claimed-{line_id}") or None,
                )
                for line_id in post.getlist("line")
            ]
            actions.statement_dispute(actor=user, statement_id=pk, disputes=disputes)
        elif step == "answer":
            actions.statement_dispute_answer(
                actor=user,
                line_id=int(post.get("line", "0")),
                answer=post.get("answer", ""),
                amount=post.get("amount") or None,
                reason=post.get("reason", ""),
            )
        elif step == "line":
            actions.statement_line_add(
                actor=user,
                statement_id=pk,
                kind=post.get("kind", ""),
                amount=post.get("amount", ""),
                reason=post.get("reason", ""),
            )
        elif step == "regenerate":
            st = selectors.statement_for(user, pk)
            actions.statement_generate(actor=user, station=st.station, period=st.period)
        else:
            messages.error(request, _("Unknown action."))
    except (ApplicationError, ValueError) as exc:
        if isinstance(exc, ApplicationError):
            flash_error(request, exc)
        else:
            messages.error(request, _("Please check the form."))
    return redirect("statement-detail", pk=pk)


@page(Perm.SETTLEMENT_VIEW)
def statement_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    st = selectors.statement_for(request.user, pk)
    response = HttpResponse(exports.statement_pdf(st), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{st.number}.pdf"'
    return response


@page(Perm.SETTLEMENT_VIEW)
def statement_xlsx(request: AuthedRequest, pk: int) -> HttpResponse:
    st = selectors.statement_for(request.user, pk)
    return xlsx_response(exports.statement_xlsx(st), f"{st.number}.xlsx")


@page(Perm.SETTLEMENT_MANAGE)
def voucher_xlsx(request: AuthedRequest) -> HttpResponse:
    period = _period(request.GET.get("period"))
    following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    lines = selectors.voucher_lines(request.user, period, following - dt.timedelta(days=1))
    return xlsx_response(exports.voucher_xlsx(lines), f"vouchers-{period:%Y-%m}.xlsx")


CRITERIA = [
    ("service_type", _("service type")),
    ("category", _("product category")),
    ("product_model", _("product model")),
    ("fault_code", _("fault code")),
    ("repair_level", _("repair level")),
    ("station_grade", _("station grade")),
    ("region", _("region")),
]
PARAMS = [
    ("amount", _("amount (yuan)")),
    ("hours", _("standard hours")),
    ("rate", _("rate per hour")),
    ("free_km", _("free distance (km)")),
    ("per_km", _("per km")),
    ("min_km", _("from distance (km)")),
    ("percent", _("percent")),
]


def _criterion(name: str, value: str) -> str:
    """A criterion's value as people read it (the service type's label, not its code)."""
    if name == "service_type":
        return str(dict(ServiceType.choices).get(value, value))
    return value


@page(Perm.SETTLEMENT_VIEW)
def fee_rules(request: AuthedRequest) -> HttpResponse:
    """The fee rules (结算标准) and a preview of how an order is priced."""
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            bands = [
                [a.strip(), b.strip()]
                for a, b in (
                    pair.split(":", 1) for pair in post.get("bands", "").split(",") if ":" in pair
                )
            ]
            actions.fee_rule_create(
                actor=user,
                code=post.get("code", "").strip(),
                name=post.get("name", "").strip(),
                kind=post.get("kind", ""),
                valid_from=dt.date.fromisoformat(post.get("valid_from", "")),
                criteria={c: post.get(c, "") for c, _label in CRITERIA},
                params={
                    **{p: post.get(p, "") for p, _label in PARAMS},
                    "per": post.get("per", ""),
                    "bands": bands,
                },
            )
            messages.success(request, _("Fee rule saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        except ValueError:
            messages.error(request, _("Please check the form."))
        return redirect("fee-rules")
    preview = None
    order_no = request.GET.get("order", "").strip()
    if order_no:
        order = orders_visible_to(user).filter(number=order_no).first() or (
            orders_visible_to(user).filter(pk=order_no).first() if order_no.isdigit() else None
        )
        if order is None:
            messages.error(request, _("Order not found."))
        else:
            try:
                preview = selectors.preview(user, order.pk)
            except ApplicationError as exc:
                flash_error(request, exc)
    rows = []
    for r in FeeRule.objects.filter(company_id=company_of(user)).order_by(
        "kind", "code", "version"
    ):
        r.criteria_text = " · ".join(  # type: ignore[attr-defined]
            f"{label}={_criterion(c, getattr(r, c))}" for c, label in CRITERIA if getattr(r, c)
        )
        r.params_text = " · ".join(  # type: ignore[attr-defined]
            f"{label} {getattr(r, p)}" for p, label in PARAMS if getattr(r, p)
        )
        rows.append(r)
    if preview is not None:
        kind_labels = dict(FeeKind.choices)
        preview["rows"] = [
            {
                "kind": kind_labels.get(line.kind, line.kind),
                "formula": line.formula,
                "rule": preview["rules"][line.rule_id].name,
                "version": line.rule_version,
            }
            for line in preview["lines"]
        ]
        preview["why"] = [
            {
                "kind": kind_labels.get(item["kind"], item["kind"]),
                "chain": " › ".join(f"{c['name']} v{c['version']}" for c in item["candidates"]),
            }
            for item in preview["explain"]
            if len(item["candidates"]) > 1
        ]
    return render(
        request,
        "web/billing/fee_rules.html",
        {
            "rows": rows,
            "kinds": FeeKind.choices,
            "pers": TravelPer.choices,
            "criteria": CRITERIA,
            "params": PARAMS,
            "preview": preview,
            "order_no": order_no,
            "can_edit": has_perm(user, Perm.FEE_RULES),
            "kind_labels": dict(FeeKind.choices),
        },
    )


@page(Perm.SETTLEMENT_VIEW)
def station_account(request: AuthedRequest, station_id: int) -> HttpResponse:
    user = request.user
    station = get_visible(Station.objects.filter(company_id=company_of(user)), station_id)
    entries = list(selectors.account_entries(user, station.pk).select_related("statement"))
    if user.is_station_user and user.station_id != station.pk:
        raise NotFound("not_found", _("Not found."))
    return render(
        request,
        "web/billing/account.html",
        {"station": station, "entries": entries, "balance": sum(e.amount for e in entries)},
    )


OUTSTANDING_EXPORT_COLUMNS = [
    Column("order", _("Order")),
    Column("customer", _("Customer")),
    Column("amount", _("Amount (yuan)")),
    Column("since", _("Quote accepted at")),
]
CLAIM_EXPORT_COLUMNS = [
    Column("number", _("Claim no.")),
    Column("station", _("Station")),
    Column("order", _("Order")),
    Column("status", _("Status")),
    Column("claimed", _("Claimed (yuan)")),
    Column("approved", _("Approved (yuan)")),
    Column("submitted", _("Submitted on")),
]
REFUND_EXPORT_COLUMNS = [
    Column("requested", _("Requested")),
    Column("order", _("Order")),
    Column("customer", _("Customer")),
    Column("receipt", _("Receipt no.")),
    Column("amount", _("Amount (yuan)")),
    Column("reason", _("Reason")),
    Column("status", _("Status")),
]
INVOICE_EXPORT_COLUMNS = [
    Column("number", _("Invoice no.")),
    Column("issued_on", _("Issued on")),
    Column("title", _("Invoice title")),
    Column("tax_number", _("Tax number")),
    Column("amount", _("Amount (yuan)")),
    Column("order", _("Order")),
    Column("customer", _("Customer")),
]


def _money(value: Decimal | None) -> Decimal | None:
    return money(value) if value is not None else None


def _export(columns: list[Column], rows: Any, name: str) -> HttpResponse:
    """`rows` (give it EXPORT_LIMIT + 1) as the list's Excel file, at most EXPORT_LIMIT rows
    and a last row that says when rows were left out."""
    content = write_xlsx(columns, export_rows(rows, limit=EXPORT_LIMIT), sheet_title=name)
    return xlsx_response(content, f"{name}-{clock.today():%Y%m%d}.xlsx")


def _outstanding_xlsx(rows: list[dict[str, Any]]) -> HttpResponse:
    return _export(
        OUTSTANDING_EXPORT_COLUMNS,
        (
            (r["order"].number, r["customer"].name, _money(r["amount"]), local_time(r["since"]))
            for r in rows[: EXPORT_LIMIT + 1]
        ),
        "outstanding",
    )


@page(Perm.ORDER_VIEW)
def outstanding(request: AuthedRequest) -> HttpResponse:
    rows = customers.outstanding(orders_visible_to(request.user))
    if request.GET.get("format") == "xlsx":  # the export's former address
        return _outstanding_xlsx(rows)
    return render(
        request,
        "web/billing/outstanding.html",
        {"rows": rows, "total": sum(r["amount"] for r in rows)},
    )


@page(Perm.ORDER_VIEW)
def outstanding_export(request: AuthedRequest) -> HttpResponse:
    """The customer balances (accepted quotes not paid yet) as an Excel file, oldest first as
    on the page (at most 10,000 rows; a last row says when rows were left out)."""
    return _outstanding_xlsx(customers.outstanding(orders_visible_to(request.user)))


@page(Perm.ORDER_VIEW)
def customer_account(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = get_visible(customers_visible_to(user), pk)
    account = customers.customer_account(customer, orders_visible_to(user))
    return render(
        request,
        "web/billing/customer_account.html",
        {"customer": customer, "account": account},
    )


# -- warranty claims, refunds, invoices, station grades, settings -----------------------------


def _money_text(value: Any) -> str:
    return f"{value:.2f}" if value is not None else ""


def _xlsx(columns: list[tuple[str, Any]], rows: Any, name: str) -> HttpResponse:
    content = write_xlsx([Column(k, label) for k, label in columns], rows, sheet_title=name)
    return xlsx_response(content, f"{name}.xlsx")


def _can_claim(user: Any) -> bool:
    return has_perm(user, Perm.SETTLEMENT_MANAGE) or has_perm(user, Perm.SETTLEMENT_ANSWER)


def _claims(request: AuthedRequest) -> tuple[Any, str]:
    """The claims the list shows (the status filter), newest first, and the status asked for."""
    status = request.GET.get("status", "")
    rows = selectors.claims_visible_to(request.user).order_by("-created_at", "-id")
    if status in ClaimStatus.values:
        rows = rows.filter(status=status)
    return rows, status


def _claims_xlsx(claims: Any) -> HttpResponse:
    return _export(
        CLAIM_EXPORT_COLUMNS,
        (
            (
                c.number,
                c.station.name,
                c.order.number,
                c.get_status_display(),
                _money(c.claimed),
                _money(c.approved),
                local_time(c.submitted_at),
            )
            for c in claims[: EXPORT_LIMIT + 1]
        ),
        "claims",
    )


@page(Perm.SETTLEMENT_VIEW)
def claim_export(request: AuthedRequest) -> HttpResponse:
    """The warranty claims list as an Excel file: the same status filter and order as on the
    page (at most 10,000 rows; a last row says when rows were left out)."""
    return _claims_xlsx(_claims(request)[0])


@page(Perm.SETTLEMENT_VIEW)
def claim_list(request: AuthedRequest) -> HttpResponse:
    """Warranty claims to the manufacturer or supplier (三包索赔): draft one from a completed
    三包 order, filter by status, export."""
    user = request.user
    if request.method == "POST":
        number = request.POST.get("order", "").strip()
        order = orders_visible_to(user).filter(number=number).first() if number else None
        if order is None:
            messages.error(request, _("Order not found."))
            return redirect("claim-list")
        try:
            claim = actions.claim_create(actor=user, order_id=order.pk)
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("claim-list")
        messages.success(request, _("Claim %(number)s drafted.") % {"number": claim.number})
        return redirect("claim-detail", pk=claim.pk)
    rows, status = _claims(request)
    if request.GET.get("format") == "xlsx":  # the export's former address
        return _claims_xlsx(rows)
    return render(
        request,
        "web/billing/claims.html",
        {
            "rows": rows[:300],
            "status": status,
            "statuses": ClaimStatus.choices,
            "can_create": _can_claim(user),
        },
    )


@page(Perm.SETTLEMENT_VIEW)
def claim_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    claim = get_visible(selectors.claims_visible_to(user), pk)
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("step") == "submit":
                actions.claim_submit(actor=user, claim_id=claim.pk)
                messages.success(request, _("Claim submitted."))
            elif post.get("step") == "decide":
                actions.claim_line_decide(
                    actor=user,
                    line_id=int(post.get("line", "0")),
                    decision=post.get("decision", ""),
                    amount=post.get("amount") or None,
                    reason_code=post.get("reason_code", ""),
                    note=post.get("note", ""),
                )
                messages.success(request, _("Decision recorded."))
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            flash_error(request, exc)
        except ValueError:
            messages.error(request, _("Please check the form."))
        return redirect("claim-detail", pk=claim.pk)
    lines = list(claim.lines.select_related("obligation").order_by("id"))
    events = list(claim.events.select_related("actor"))
    labels = {"create": _("Drafted"), "decide_line": _("Line decided")}
    for e in events:
        e.label = labels.get(e.action) or CLAIM_MACHINE.verb_label(e.action)
    return render(
        request,
        "web/billing/claim.html",
        {
            "claim": claim,
            "lines": lines,
            "events": events,
            "recovery": selectors.supplier_recovery(claim),
            "can_act": _can_claim(user),
            "decisions": [(v, label) for v, label in ClaimDecision.choices if v != "pending"],
            "reasons": ClaimReason.choices,
        },
    )


def _refunds(request: AuthedRequest) -> tuple[Any, str]:
    """The refunds the list shows (the status filter), newest first, and the status asked for."""
    status = request.GET.get("status", "")
    rows = selectors.refunds_visible_to(request.user).order_by("-requested_at", "-id")
    if status in RefundStatus.values:
        rows = rows.filter(status=status)
    return rows, status


def _refunds_xlsx(refunds: Any) -> HttpResponse:
    return _export(
        REFUND_EXPORT_COLUMNS,
        (
            (
                local_time(r.requested_at),
                r.order.number,
                r.customer.name,
                r.receipt.number,
                _money(r.amount),
                r.reason,
                r.get_status_display(),
            )
            for r in refunds[: EXPORT_LIMIT + 1]
        ),
        "refunds",
    )


@page(Perm.ORDER_VIEW)
def refund_export(request: AuthedRequest) -> HttpResponse:
    """The refunds list as an Excel file: the same status filter and order as on the page (at
    most 10,000 rows; a last row says when rows were left out)."""
    return _refunds_xlsx(_refunds(request)[0])


@page(Perm.ORDER_VIEW)
def refund_list(request: AuthedRequest) -> HttpResponse:
    """Customer refunds: ask for one against a receipt; finance approves or rejects."""
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("step") == "request":
                number = post.get("receipt", "").strip()
                receipt = (
                    Receipt.objects.filter(
                        company_id=company_of(user),
                        number=number,
                        order__in=orders_visible_to(user),
                    ).first()
                    if number
                    else None
                )
                if receipt is None:
                    messages.error(request, _("Receipt not found."))
                    return redirect("refund-list")
                actions.refund_request(
                    actor=user,
                    receipt_id=receipt.pk,
                    amount=post.get("amount", ""),
                    reason=post.get("reason", ""),
                )
                messages.success(request, _("Refund requested."))
            elif post.get("step") in ("approve", "reject"):
                refund = get_visible(
                    selectors.refunds_visible_to(user), int(post.get("refund", "0"))
                )
                actions.refund_decide(
                    actor=user,
                    refund_id=refund.pk,
                    approve=post.get("step") == "approve",
                    reason=post.get("reason", ""),
                )
                messages.success(request, _("Decision recorded."))
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            flash_error(request, exc)
        except ValueError:
            messages.error(request, _("Please check the form."))
        return redirect("refund-list")
    rows, status = _refunds(request)
    if request.GET.get("format") == "xlsx":  # the export's former address
        return _refunds_xlsx(rows)
    return render(
        request,
        "web/billing/refunds.html",
        {
            "rows": rows[:300],
            "status": status,
            "statuses": RefundStatus.choices,
            "can_decide": has_perm(user, Perm.SETTLEMENT_MANAGE),
        },
    )


def _invoices(request: AuthedRequest) -> tuple[Any, str]:
    """The invoices the list shows (the search by number, title or order), newest first, and
    the search."""
    rows = selectors.invoices_visible_to(request.user).order_by("-issued_on", "-id")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(
            Q(number__icontains=q) | Q(title__icontains=q) | Q(order__number__icontains=q)
        )
    return rows, q


def _invoices_xlsx(invoices: Any) -> HttpResponse:
    return _export(
        INVOICE_EXPORT_COLUMNS,
        (
            (
                i.number,
                i.issued_on.isoformat(),
                i.title,
                i.tax_number,
                _money(i.amount),
                i.order.number,
                i.customer.name,
            )
            for i in invoices[: EXPORT_LIMIT + 1]
        ),
        "invoices",
    )


@page(Perm.SETTLEMENT_VIEW)
def invoice_export(request: AuthedRequest) -> HttpResponse:
    """The invoices list as an Excel file: the same search and order as on the page (at most
    10,000 rows; a last row says when rows were left out)."""
    return _invoices_xlsx(_invoices(request)[0])


@page(Perm.SETTLEMENT_VIEW)
def invoice_list(request: AuthedRequest) -> HttpResponse:
    """Invoices (发票) as the company's invoicing system issued them: record, list, export."""
    user = request.user
    if request.method == "POST":
        post = request.POST
        number = post.get("order", "").strip()
        order = orders_visible_to(user).filter(number=number).first() if number else None
        try:
            if order is None:
                messages.error(request, _("Order not found."))
                return redirect("invoice-list")
            actions.invoice_record(
                actor=user,
                order_id=order.pk,
                title=post.get("title", ""),
                tax_number=post.get("tax_number", ""),
                amount=post.get("amount", ""),
                number=post.get("number", ""),
                issued_on=dt.date.fromisoformat(post.get("issued_on", "")),
            )
            messages.success(request, _("Invoice recorded."))
        except ApplicationError as exc:
            flash_error(request, exc)
        except ValueError:
            messages.error(request, _("Please check the form."))
        return redirect("invoice-list")
    rows, q = _invoices(request)
    if request.GET.get("format") == "xlsx":  # the export's former address
        return _invoices_xlsx(rows)
    return render(
        request,
        "web/billing/invoices.html",
        {
            "rows": rows[:300],
            "q": q,
            "can_record": has_perm(user, Perm.SETTLEMENT_MANAGE),
            "today": clock.today(),
        },
    )


@page(Perm.SETTLEMENT_VIEW)
def station_grades(request: AuthedRequest) -> HttpResponse:
    """Each station's grade (fee rules may depend on it), payout mode and account balance."""
    user = request.user
    if request.method == "POST":
        station = get_visible(
            Station.objects.filter(company_id=company_of(user)),
            int(request.POST.get("station", "0")),
        )
        try:
            actions.station_terms_set(
                actor=user,
                station=station,
                grade=request.POST.get("grade", ""),
                payout_mode=request.POST.get("payout_mode", ""),
            )
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("station-grades")
    rows = selectors.station_terms_rows(user)
    modes = dict(PayoutMode.choices)
    for r in rows:
        r["mode_label"] = modes.get(r["payout_mode"], r["payout_mode"])
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            [
                ("code", _("Station code")),
                ("station", _("Station")),
                ("region", _("Region")),
                ("grade", _("Station grade")),
                ("payout", _("Payout")),
                ("balance", _("Account balance (yuan)")),
            ],
            (
                [
                    r["station"].code,
                    r["station"].name,
                    r["station"].region.name,
                    r["grade"],
                    str(r["mode_label"]),
                    _money_text(r["balance"]),
                ]
                for r in rows
            ),
            "station-grades",
        )
    return render(
        request,
        "web/billing/grades.html",
        {"rows": rows, "modes": PayoutMode.choices, "can_edit": has_perm(user, Perm.FEE_RULES)},
    )


SETTINGS_FORM = [
    ("dispute_days", _("Days to dispute a statement")),
    ("answer_days", _("Working days to answer a dispute")),
    ("claim_days", _("Days to submit a warranty claim")),
    ("rollover_threshold", _("Carry over amounts under (yuan)")),
    ("rollover_max_periods", _("Carry over for at most (periods)")),
    ("penalty_high", _("Penalty for a serious complaint (yuan)")),
    ("penalty_medium", _("Penalty for a medium complaint (yuan)")),
    ("penalty_low", _("Penalty for a minor complaint (yuan)")),
    ("night_start", _("Night starts at (hour)")),
    ("night_end", _("Night ends at (hour)")),
    ("voucher_type", _("Voucher type")),
    ("account_expense", _("Service fee expense account")),
    ("account_payable", _("Station payable account")),
    ("account_bank", _("Bank account")),
]
GRADE_ROWS = 6


@page(Perm.SETTLEMENT_MANAGE)
def billing_settings(request: AuthedRequest) -> HttpResponse:
    """The company's settlement settings, and the bonus or deduction per assessment grade."""
    user = request.user
    cfg = selectors.billing_settings(company_of(user))
    if request.method == "POST":
        post = request.POST
        grades = {
            post.get(f"grade-{i}", "").strip(): post.get(f"amount-{i}", "").strip()
            for i in range(GRADE_ROWS)
            if post.get(f"grade-{i}", "").strip()
        }
        try:
            actions.billing_settings_save(
                actor=user,
                changes={
                    **{name: post.get(name, "") for name, _label in SETTINGS_FORM},
                    "assessment_amounts": grades,
                },
            )
            messages.success(request, _("Saved."))
            return redirect("billing-settings")
        except ApplicationError as exc:
            flash_error(request, exc)
            values = {name: post.get(name, "") for name, _label in SETTINGS_FORM}
            pairs = list(grades.items())
    else:
        values = {name: getattr(cfg, name) for name, _label in SETTINGS_FORM}
        pairs = list((cfg.assessment_amounts or {}).items())
    pairs += [("", "")] * max(0, GRADE_ROWS - len(pairs))
    return render(
        request,
        "web/billing/settings.html",
        {
            "fields": [(name, label, values[name]) for name, label in SETTINGS_FORM],
            "grade_rows": [(i, g, a) for i, (g, a) in enumerate(pairs[:GRADE_ROWS])],
        },
    )
