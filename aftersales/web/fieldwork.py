"""The technician's phone pages: the day, the visit (moves and the service record), and the
service report (page, PDF, the customer's copy). Views parse, call one action, redirect."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.choices import Role
from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.selectors import get_visible
from aftersales.fieldwork import actions, report, selectors, steps
from aftersales.fieldwork.choices import Cause, ChargeKind, PaymentMethod, PhotoKind, Result
from aftersales.fieldwork.models import FeeItem
from aftersales.maintenance.selectors import acceptance_for, checklist_for
from aftersales.orders.choices import Status
from aftersales.orders.selectors import order_timeline, orders_visible_to
from aftersales.warranty.engine import FREE_TO_CUSTOMER
from aftersales.web.orders import WARRANTY_LABELS
from aftersales.web.shortcuts import day_param, error_page, flash_error, page, stored_image

DONE_TEXT = {
    "accept": _("Accepted."),
    "decline": _("Declined; the order is back with dispatch."),
    "depart": _("On the way; the customer is told your arrival time."),
    "arrive": _("Checked in."),
    "call": _("Call recorded."),
    "no_show": _("Recorded as a customer no-show; the order is back with dispatch."),
    "cannot_keep": _("The customer is told; the order is back with dispatch."),
    "pause": _("Paused."),
    "resume": _("Resumed."),
    "condition": _("Condition check saved."),
    "diagnosis": _("Diagnosis saved."),
    "acknowledge": _("Acknowledgement saved."),
    "photos": _("Photos saved."),
    "part": _("Part recorded."),
    "quote": _("Quote ready for the customer."),
    "quote_accept": _("Quote accepted."),
    "payment": _("Payment recorded; the receipt is ready."),
    "finish": _("Visit finished."),
}


@page(Perm.ORDER_WORK)
def my_day(request: AuthedRequest) -> HttpResponse:
    """Today's visits in route order, for a phone."""
    day = day_param(request.GET.get("day"))
    visits = list(selectors.my_visits(request.user, day))
    reserved = selectors.reserved_parts([v.order_id for v in visits])
    rows = [
        {
            "visit": v,
            "order": v.order,
            "warranty": WARRANTY_LABELS.get(v.order.warranty_decision, "—"),
            "reserved": reserved.get(v.order_id, []),
        }
        for v in visits
    ]
    return render(
        request,
        "web/fieldwork/day.html",
        {
            "rows": rows,
            "day": day,
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "van": selectors.van_stock(request.user),
        },
    )


@page(Perm.ORDER_WORK)
def visit(request: AuthedRequest, pk: int) -> HttpResponse:
    """The visit on the phone: the next move and the service record."""
    user = request.user
    order = get_visible(
        orders_visible_to(user).select_related(
            "customer", "address", "unit__product_model__category", "fault_code", "company"
        ),
        pk,
    )
    record = actions.open_record(order)
    quote = record.live_quote() if record else None
    missing = (
        [str(actions.MISSING_TEXT[m]) for m in actions.still_missing(record)] if record else []
    )
    return render(
        request,
        "web/fieldwork/visit.html",
        {
            "order": order,
            "record": record,
            "quote": quote,
            "receipt": getattr(quote, "receipt", None) if quote else None,
            "warranty": WARRANTY_LABELS.get(order.warranty_decision, "—"),
            "free_repair": order.warranty_decision in FREE_TO_CUSTOMER,
            "fault_codes": selectors.fault_codes_for(order),
            "chosen_codes": {c.pk for c in record.fault_codes.all()} if record else set(),
            "van": selectors.van_stock(order.technician) if order.technician else [],
            "fees": selectors.fee_schedule(order.company_id),
            "photos": record.photos.all() if record else [],
            "causes": Cause.choices,
            "results": Result.choices,
            "photo_kinds": PhotoKind.choices,
            "methods": PaymentMethod.choices,
            "missing": missing,
            "key": uuid.uuid4().hex,
            "saved": request.GET.get("saved", ""),
            # The assigned technician works the visit; their station manager may record it for
            # them (a phone that died on site).
            "own": order.technician_id == user.pk
            or (user.role == Role.STATION_MANAGER and order.technician_id is not None),
            "S": Status,
            "can_report": order.status in (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED)
            or order.records.exists(),
            "checklist": checklist_for(order),
            "acceptance": acceptance_for(order),
        },
    )


@page(Perm.ORDER_WORK)
@require_POST
def visit_step(request: AuthedRequest, pk: int, step: str) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    if step not in steps.STEPS:
        raise NotFound("not_found", _("Not found."))
    try:
        steps.run(
            step,
            actor=request.user,
            order=order,
            form=request.POST,
            files=request.FILES.getlist("photos"),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect(f"{reverse('field-visit', kwargs={'pk': pk})}#{step}")
    messages.success(request, DONE_TEXT[step])
    if step in ("decline", "no_show", "cannot_keep"):
        return redirect("my-day")
    return redirect(f"{reverse('field-visit', kwargs={'pk': pk})}?saved={step}#{step}")


@page(Perm.FIELD_RULES)
def field_rules(request: AuthedRequest) -> HttpResponse:
    """The fee schedule (收费标准) and the field-work settings."""
    user = request.user
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("op") == "settings":
                actions.field_settings_update(
                    actor=user,
                    absent_minutes=post.get("absent_minutes"),
                    photo_limit=post.get("photo_limit"),
                    customer_link_days=post.get("customer_link_days"),
                    report_header=post.get("report_header", ""),
                )
            else:
                actions.fee_item_save(
                    actor=user,
                    fee_item=post.get("fee_item") or None,
                    code=post.get("code", ""),
                    name=post.get("name", ""),
                    kind=post.get("kind", ""),
                    price=post.get("price", ""),
                    is_active=post.get("is_active") == "1",
                )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("field-rules")
    return render(
        request,
        "web/fieldwork/rules.html",
        {
            "fees": FeeItem.objects.filter(company_id=company_of(user)),
            "kinds": [(v, label) for v, label in ChargeKind.choices if v != ChargeKind.PART],
            "conf": actions.field_settings(company_of(user)),
        },
    )


@page(Perm.ORDER_VIEW)
def photo(request: AuthedRequest, pk: int, photo_pk: int) -> HttpResponse:
    return stored_image(selectors.photo_of(request.user, pk, photo_pk))


@page(Perm.ORDER_VIEW)
def signature(request: AuthedRequest, pk: int, signature_pk: int) -> HttpResponse:
    return stored_image(selectors.signature_of(request.user, pk, signature_pk))


def _report_page(
    request: HttpRequest, order: Any, customer_copy: bool, pdf_url: str
) -> HttpResponse:
    data = selectors.report(order)
    for record in data["records"]:
        record.condition_text = report.condition_text(record)
    labels = report.report_labels(order)
    return render(
        request,
        "web/fieldwork/report.html",
        {
            **data,
            "customer_copy": customer_copy,
            "pdf_url": pdf_url,
            "warranty": labels["warranty"],
            "warranty_explained": labels["warranty_explained"],
            "header_lines": labels["header"].splitlines(),
            "events": [] if customer_copy else order_timeline(order),
            "customer_link": None if customer_copy else actions.customer_report_path(order),
            "checklist": checklist_for(order),
        },
    )


def _visible(request: AuthedRequest, pk: int) -> Any:
    return get_visible(
        orders_visible_to(request.user).select_related(
            "customer", "address", "unit__product_model", "company"
        ),
        pk,
    )


@page(Perm.ORDER_VIEW)
def report_page(request: AuthedRequest, pk: int) -> HttpResponse:
    order = _visible(request, pk)
    return _report_page(request, order, False, reverse("service-report-pdf", kwargs={"pk": pk}))


@page(Perm.ORDER_VIEW)
def report_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    return report.pdf_response(_visible(request, pk), customer_copy=False)


def _customer_order(token: str) -> Any:
    order = actions.order_for_report_token(token)
    return (
        type(order)
        .objects.select_related("customer", "address", "unit__product_model", "company")
        .get(pk=order.pk)
    )


def customer_report(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's copy (004 第二十四条), by the signed link sent to them: no login."""
    try:
        order = _customer_order(token)
    except ApplicationError as exc:
        return error_page(request, exc)
    pdf_url = reverse("service-report-customer-pdf", kwargs={"token": token})
    return _report_page(request, order, True, pdf_url)


def customer_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = _customer_order(token)
    except ApplicationError as exc:
        return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain")
    return report.pdf_response(order, customer_copy=True)
