"""Pages for service orders: intake, queues with filters and bulk actions, the order page with
due times and timeline, transitions, attachments, the unit QR code, the working calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.choices import Role
from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.accounts.selectors import stations_visible_to
from aftersales.calendars import actions as calendar_actions
from aftersales.calendars.models import CalendarDay, CalendarYear, DayKind
from aftersales.calendars.selectors import work_calendar
from aftersales.catalog.models import FaultCode
from aftersales.catalog.selectors import component_names, product_models_visible_to
from aftersales.core import clock, holidays
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import as_id, get_visible
from aftersales.core.validation import ValidationFailed
from aftersales.customers.selectors import (
    customer_search,
    search_cap,
    unit_search,
    units_visible_to,
)
from aftersales.dispatch import selectors as dispatch_selectors
from aftersales.dispatch.choices import KEEP_TECHNICIAN, PLANNABLE, REFUSAL_LABELS
from aftersales.knowledge.actions import order_solved_by_phone
from aftersales.maintenance.selectors import maintenance_for_order
from aftersales.orders import actions
from aftersales.orders.choices import (
    NEEDS_REASON,
    OPEN,
    TRANSITION_LABELS,
    Channel,
    Priority,
    ServiceType,
    Status,
)
from aftersales.orders.models import OrderAttachment, SavedView
from aftersales.orders.selectors import (
    QUEUES,
    open_orders_on_unit,
    order_filter_capped,
    order_queue,
    order_timeline,
    orders_visible_to,
)
from aftersales.parts.selectors import parts_used
from aftersales.warranty.actions import decide_for_unit, policy_for, policy_for_unit
from aftersales.warranty.explain import DECISIONS as WARRANTY_DECISIONS
from aftersales.warranty.explain import explain as explain_warranty
from aftersales.web.listing import sorted_page
from aftersales.web.shortcuts import (
    EXPORT_LIMIT,
    apply_errors,
    export_rows,
    flash_error,
    local_time,
    page,
    stored_image,
    xlsx_response,
)
from aftersales.workshop.selectors import jobs_visible_to

QUEUE_LABELS = {
    "open": _("Open"),
    "unassigned": _("Unassigned"),
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "waiting_parts": _("Waiting for parts"),
    "waiting_customer": _("Waiting for customer"),
    "mine": _("Mine"),
    "to_follow_up": _("To follow up"),
    "all": _("All"),
}
# The queue each role starts from.
DEFAULT_QUEUE: dict[str, str] = {
    Role.DISPATCHER: "unassigned",
    Role.STATION_MANAGER: "unassigned",
    Role.TECHNICIAN: "mine",
    Role.SERVICE_MANAGER: "overdue",
    Role.DEPARTMENT_HEAD: "overdue",
}
WARRANTY_LABELS = WARRANTY_DECISIONS
FILTER_KEYS = ("queue", "status", "priority", "service_type", "station", "breach", "q")


class IntakeForm(forms.Form):
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial="phone")
    service_type = forms.ChoiceField(label=_("Service type"), choices=ServiceType.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="medium")
    fault_code = forms.IntegerField(label=_("Fault code"), required=False)
    fault_description = forms.CharField(
        label=_("Fault description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preferred_start = forms.DateTimeField(
        label=_("Preferred visit from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    preferred_end = forms.DateTimeField(
        label=_("Preferred visit until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    allow_duplicate = forms.BooleanField(
        label=_("Register anyway (not a duplicate)"), required=False
    )
    # Inline new customer and unit
    new_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    new_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    new_address = forms.CharField(label=_("Address"), max_length=300, required=False)
    new_model = forms.IntegerField(label=_("Product model"), required=False)
    new_serial = forms.CharField(label=_("Serial number"), max_length=64, required=False)
    new_purchase_date = forms.DateField(
        label=_("Purchase date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    meter_km = forms.DecimalField(
        label=_("Odometer (km)"), required=False, min_value=0, max_digits=12, decimal_places=1
    )


def _intake_context(request: AuthedRequest, form: IntakeForm, **extra: Any) -> dict[str, Any]:
    user = request.user
    unit = customer = None
    unit_id = form["unit"].value()
    customer_id = form["customer"].value()
    if unit_id:
        unit = (
            units_visible_to(user)
            .select_related("customer", "product_model__category")
            .filter(pk=as_id(unit_id))
            .first()
        )
        if unit is not None:
            customer = unit.customer
    if customer is None and customer_id:
        customer = customer_search(user, "").filter(pk=as_id(customer_id)).first()
    codes = FaultCode.objects.filter(category__company_id=company_of(user))
    if unit is not None:
        codes = codes.filter(category_id=unit.product_model.category_id)
    return {
        "form": form,
        "unit": unit,
        "customer": customer,
        "customer_units": customer.units.select_related("product_model")[:20] if customer else [],
        "duplicates": list(open_orders_on_unit(user, unit.pk)[:5]) if unit else [],
        "recent_orders": _recent_orders(user, customer, unit),
        "warranty": _intake_warranty(unit) if unit else None,
        "needs_km": unit is not None and _needs_km(unit),
        "new_unit_needs_km": unit is None and _new_model_needs_km(user, form["new_model"].value()),
        "fault_codes": codes.order_by("code")[:300],
        "models": product_models_visible_to(user).order_by("code")[:300],
        **extra,
    }


def _recent_orders(user: Any, customer: Any, unit: Any) -> list[Any]:
    """The caller's and the unit's last orders, any status (what happened before)."""
    if customer is None and unit is None:
        return []
    qs = orders_visible_to(user).select_related("unit")
    if unit is not None:
        wanted = qs.filter(unit_id=unit.pk) | qs.filter(customer_id=unit.customer_id)
    else:
        wanted = qs.filter(customer_id=customer.pk)
    return list(wanted.order_by("-created_at", "-id")[:5])


def _needs_km(unit: Any) -> bool:
    """The unit's 三包 policy decides by km (household cars): intake asks for the reading."""
    return policy_for_unit(unit).kind == "car"


def _new_model_needs_km(user: Any, model_id: Any) -> bool:
    """A unit created inline: the chosen model's 三包 policy decides by km (cars)."""
    try:
        pk = int(model_id)
    except (TypeError, ValueError):
        return False
    model = product_models_visible_to(user).filter(pk=pk).values("category_id").first()
    if model is None:
        return False
    policy = policy_for(
        company_id=user.company_id, product_model_id=pk, category_id=model["category_id"]
    )
    return policy.kind == "car"


def _intake_warranty(unit: Any) -> dict[str, Any]:
    """The decision the order would get today (a performance fault assumed)."""
    decision, detail = decide_for_unit(unit, fault_code=None, at=clock.now())
    return explain_warranty(decision, detail, component_names(unit.pk, detail))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@page(Perm.ORDER_CREATE)
def intake(request: AuthedRequest) -> HttpResponse:
    """报修受理: search, pick or create customer and unit, describe, register."""
    form = IntakeForm(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_customer = new_unit = None
        if not data["customer"] and not data["unit"] and (data["new_name"] or data["new_phone"]):
            new_customer = {
                "name": data["new_name"],
                "phone": data["new_phone"],
                "address_line": data["new_address"],
            }
        if not data["unit"] and (data["new_serial"] or data["new_model"]):
            new_unit = {
                "product_model": data["new_model"],
                "serial": data["new_serial"],
                "purchase_date": data["new_purchase_date"],
            }
        try:
            order = actions.order_intake(
                actor=request.user,
                new_customer=new_customer,
                new_unit=new_unit,
                files=request.FILES.getlist("attachments"),
                customer=data["customer"] or None,
                unit=data["unit"] or None,
                channel=data["channel"],
                service_type=data["service_type"],
                priority=data["priority"],
                fault_code=data["fault_code"] or None,
                fault_description=data["fault_description"],
                preferred_start=_aware(data["preferred_start"]),
                preferred_end=_aware(data["preferred_end"]),
                allow_duplicate=data["allow_duplicate"],
                meter_km=data["meter_km"],
            )
        except ApplicationError as exc:
            if isinstance(exc, ValidationFailed):
                renamed = {
                    {
                        "name": "new_name",
                        "phone": "new_phone",
                        "serial": "new_serial",
                        "product_model": "new_model",
                        "value": "meter_km",
                        "read_on": "meter_km",
                    }.get(k, k): v
                    for k, v in exc.errors.items()
                }
                exc = ValidationFailed(renamed)
            apply_errors(form, exc)
            status = exc.status
            return render(
                request,
                "web/orders/intake.html",
                _intake_context(request, form, duplicate_error=exc.code == "possible_duplicate"),
                status=status,
            )
        messages.success(request, _("Order %(number)s registered.") % {"number": order.number})
        if request.POST.get("solved_by"):  # a knowledge-base solution read to the customer
            try:
                order_solved_by_phone(
                    actor=request.user,
                    order=order,
                    article=int(request.POST["solved_by"]),
                )
            except (ApplicationError, ValueError) as exc:
                messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("order-detail", pk=order.pk)
    return render(request, "web/orders/intake.html", _intake_context(request, form))


@page(Perm.ORDER_CREATE)
def intake_search(request: AuthedRequest) -> HttpResponse:
    """Live results while the agent types a phone number, serial number or name."""
    q = request.GET.get("q", "").strip()
    units: list[Any] = []
    customers: list[Any] = []
    if len(q) >= 2:
        units = list(unit_search(request.user, q).select_related("customer", "product_model")[:10])
        customers = list(customer_search(request.user, q)[:10])
    return render(
        request,
        "web/orders/_intake_results.html",
        {"units": units, "customers": customers, "q": q},
    )


@page(Perm.ORDER_VIEW)
def order_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    params = {k: request.GET.get(k, "") for k in FILTER_KEYS}
    queue = params["queue"] if params["queue"] in QUEUES else DEFAULT_QUEUE.get(user.role, "open")
    qs, refine = order_filter_capped(order_queue(user, queue), params, company_id=user.company_id)
    qs = qs.select_related("customer", "unit__product_model", "station", "technician")
    result = sorted_page(
        _sortable(qs),
        sorts=ORDER_SORTS,
        sort=request.GET.get("sort", ""),
        page=request.GET.get("page"),
        # every queue but "all" narrows by a set of statuses
        count_by="status" if queue != "all" else None,
    )
    now = clock.now()
    rows = [(o, o.service_level_state(now)) for o in result.items]
    base = {k: v for k, v in params.items() if v and k != "queue"}
    filtered = {**base, "queue": queue}
    sorted_query = urlencode({**filtered, "sort": result.sort})
    return render(
        request,
        "web/orders/list.html",
        {
            "rows": rows,
            "page": result,
            "params": params,
            "refine": refine,
            "queue": queue,
            "queues": [
                (key, QUEUE_LABELS[key], "?" + urlencode({**base, "queue": key})) for key in QUEUES
            ],
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "service_types": ServiceType.choices,
            "stations": stations_visible_to(user),
            "saved_views": SavedView.objects.filter(user=user),
            "query": urlencode(filtered),
            "sorted_query": sorted_query,
            "sort_links": {
                column: "?" + urlencode({**filtered, "sort": _toggled(result.sort, column)})
                for column in ("number", "status", "priority", "customer", "station", "due")
            },
            "sort": result.sort,
            "can_create": has_perm(user, Perm.ORDER_CREATE),
            "can_dispatch": has_perm(user, Perm.ORDER_DISPATCH),
            "can_edit": has_perm(user, Perm.ORDER_EDIT),
        },
    )


# Sorts of the orders list: name -> ordering (the id breaks ties). The first is the default.
ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "-number": ("-pk",),
    "number": ("pk",),
    "status": ("status",),
    "-status": ("-status",),
    "priority": ("priority_rank",),
    "-priority": ("-priority_rank",),
    "customer": ("customer__name",),
    "-customer": ("-customer__name",),
    "station": ("station__name",),
    "-station": ("-station__name",),
    "due": ("resolve_due",),
    "-due": ("-resolve_due",),
}


def _sortable(qs: Any) -> Any:
    """Priority sorts by urgency (high first), not by its stored word."""
    return qs.annotate(
        priority_rank=Case(
            When(priority=Priority.HIGH, then=Value(0)),
            When(priority=Priority.MEDIUM, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )


def _toggled(current: str, column: str) -> str:
    """The sort a column's header asks for: its own, reversed when it is the current one."""
    if column == "number":  # newest first unless asked otherwise
        return "number" if current == "-number" else "-number"
    return f"-{column}" if current == column else column


ORDER_EXPORT_COLUMNS = [
    Column("number", _("Order no.")),
    Column("status", _("Status")),
    Column("priority", _("Priority")),
    Column("service_type", _("Service type")),
    Column("customer", _("Customer")),
    Column("phone", _("Phone")),
    Column("serial", _("Serial number")),
    Column("model", _("Model")),
    Column("station", _("Station")),
    Column("technician", _("Technician")),
    Column("created", _("Created at")),
    Column("resolve_due", _("Resolve by")),
    Column("completed", _("Completed at")),
]


@page(Perm.ORDER_VIEW)
def order_export(request: AuthedRequest) -> HttpResponse:
    """The orders list as an Excel file: the same queue, filters and sort as on the page (at
    most 10,000 rows, or the capped search's; a last row says when rows were left out; phones
    masked as on the page)."""
    user = request.user
    params = {k: request.GET.get(k, "") for k in FILTER_KEYS}
    queue = params["queue"] if params["queue"] in QUEUES else DEFAULT_QUEUE.get(user.role, "open")
    qs, capped = order_filter_capped(order_queue(user, queue), params, company_id=user.company_id)
    qs = _sortable(qs).select_related("customer", "unit__product_model", "station", "technician")
    sort = request.GET.get("sort", "")
    ordering = ORDER_SORTS.get(sort, next(iter(ORDER_SORTS.values())))
    rows = (
        (
            o.number,
            o.get_status_display(),
            o.get_priority_display(),
            o.get_service_type_display(),
            o.customer.name,
            o.customer.masked_phone,
            o.unit.serial if o.unit else "",
            o.unit.product_model.name if o.unit else "",
            o.station.name if o.station else "",
            (o.technician.get_full_name() or o.technician.username) if o.technician else "",
            local_time(o.created_at),
            local_time(o.resolve_due),
            local_time(o.completed_at),
        )
        for o in qs.order_by(*ordering, "-pk")[: EXPORT_LIMIT + 1]
    )
    cap = search_cap(params["q"].strip()) if capped else None
    content = write_xlsx(
        ORDER_EXPORT_COLUMNS,
        ([_printable(v) for v in r] for r in export_rows(rows, limit=EXPORT_LIMIT, capped_at=cap)),
        sheet_title="orders",
    )
    return xlsx_response(content, f"orders-{clock.today():%Y%m%d}.xlsx")


def _printable(value: Any) -> Any:
    """Text without control characters (which the xlsx format cannot hold)."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    return value


@page(Perm.ORDER_VIEW)
@require_POST
def saved_view_save(request: AuthedRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:500]
    if name:
        SavedView.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
        messages.success(request, _("View saved."))
    return redirect(reverse("order-list") + "?" + query)


@page(Perm.ORDER_VIEW)
@require_POST
def saved_view_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    SavedView.objects.filter(user=request.user, pk=pk).delete()
    return redirect("order-list")


@page(Perm.ORDER_VIEW)
@require_POST
def order_bulk(request: AuthedRequest) -> HttpResponse:
    ids = [as_id(v) for v in request.POST.getlist("ids")]
    operation = request.POST.get("operation", "")
    value = request.POST.get("station") if operation == "dispatch" else request.POST.get("priority")
    result = actions.orders_bulk(
        actor=request.user,
        order_ids=[i for i in ids if i > 0],
        operation=operation,
        value=value,
    )
    messages.info(
        request,
        _("%(done)d orders changed, %(failed)d refused.")
        % {"done": len(result["done"]), "failed": len(result["failed"])},
    )
    for pk, message in list(result["failed"].items())[:10]:
        messages.warning(request, f"#{pk}: {message}")
    return redirect(reverse("order-list") + "?" + request.POST.get("query", ""))


@page(Perm.ORDER_VIEW)
def order_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    order = get_visible(
        orders_visible_to(user).select_related(
            "customer",
            "unit__product_model",
            "station",
            "technician",
            "fault_code",
            "address",
            "reopened_from",
            "sla_policy",
        ),
        pk,
    )
    now = clock.now()
    due = [
        (label, getattr(order, f"{t}_due"), order.target_state(t, now))
        for t, label in (
            ("respond", _("First response")),
            ("arrive", _("Arrival")),
            ("resolve", _("Resolution")),
        )
    ]
    allowed = actions.available_actions(user, order)
    if order.can("reopen") and has_perm(user, Perm.ORDER_REOPEN):
        allowed.append("reopen")
    candidates = (
        [
            (c, REFUSAL_LABELS.get(c.refusal, c.refusal))
            for c in dispatch_selectors.technician_candidates(actor=user, order=order)
        ]
        if "assign" in allowed and has_perm(user, Perm.ORDER_ASSIGN)
        else []
    )
    return render(
        request,
        "web/orders/detail.html",
        {
            "order": order,
            "due": due,
            "buttons": [(a, TRANSITION_LABELS[a], a in NEEDS_REASON) for a in allowed],
            "events": order_timeline(order),
            "stations": stations_visible_to(user),
            "candidates": candidates,
            "parts_used": parts_used(order.pk),
            "can_book": has_perm(user, Perm.ORDER_EDIT)
            and order.status in PLANNABLE | KEEP_TECHNICIAN,
            "attachments": order.attachments.all(),
            "can_override": has_perm(user, Perm.WARRANTY_OVERRIDE),
            "warranty_label": WARRANTY_LABELS.get(order.warranty_decision, "—"),
            "warranty_explained": explain_warranty(
                order.warranty_decision,
                order.warranty_detail,
                component_names(order.unit_id, order.warranty_detail or {}),
            ),
            "warranty_choices": WARRANTY_LABELS.items(),
            "reopenings": order.reopenings.all(),
            "can_work": has_perm(user, Perm.ORDER_WORK)
            and (user.role != Role.TECHNICIAN or order.technician_id == user.pk),
            "has_records": order.records.exists(),
            "follow_up_link": getattr(getattr(order, "follow_up", None), "pk", None)
            if has_perm(user, Perm.ORDER_FOLLOW_UP)
            else None,
            "can_complain": has_perm(user, Perm.COMPLAINT_HANDLE),
            "maintenance": maintenance_for_order(order),
            "workshop_job": workshop_job_for_order(user, order),
        },
    )


def workshop_job_for_order(user: Any, order: Any) -> Any:
    """The order's workshop job, if it has one the user may open (for the link)."""
    return jobs_visible_to(user).filter(order_id=order.pk).only("id", "status").first()


def _posted_id(request: AuthedRequest, name: str) -> int | None:
    """A record chosen in a form (its id as text); None when none was chosen."""
    text = request.POST.get(name)
    return as_id(text) if text else None


@page(Perm.ORDER_VIEW)
@require_POST
def order_act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    try:
        if action == "reopen":
            new = actions.order_reopen(
                actor=request.user,
                order=order,
                reason=request.POST.get("reason", ""),
                version=as_id(request.POST.get("version")),
            )
            return redirect("order-detail", pk=new.pk)
        actions.order_transition(
            actor=request.user,
            order=order,
            action=action,
            reason=request.POST.get("reason", ""),
            version=as_id(request.POST.get("version")),
            station=_posted_id(request, "station"),
            technician=_posted_id(request, "technician"),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("order-detail", pk=order.pk)


@page(Perm.WARRANTY_OVERRIDE)
@require_POST
def warranty_override(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    try:
        actions.order_warranty_override(
            actor=request.user,
            order=order,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            version=as_id(request.POST.get("version")),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("order-detail", pk=order.pk)


@page(Perm.WARRANTY_OVERRIDE)
@require_POST
def warranty_fulfil(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    try:
        new_unit = actions.order_warranty_fulfil(
            actor=request.user,
            order=order,
            outcome=request.POST.get("outcome", ""),
            new_serial=request.POST.get("new_serial", ""),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        if new_unit is not None:
            return redirect("unit-detail", pk=new_unit.pk)
    return redirect("order-detail", pk=order.pk)


@page(Perm.ORDER_VIEW)
def attachment(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponse:
    order = get_visible(orders_visible_to(request.user), pk)
    return stored_image(OrderAttachment.objects.filter(order=order, pk=attachment_pk).first())


@page(Perm.UNIT_VIEW)
def unit_qr(request: AuthedRequest, pk: int) -> HttpResponse:
    """A printable QR code for the unit's label: scanning it opens intake with the unit for
    staff, and for the customer the portal's fault report (or registration) of the unit."""
    unit = get_visible(units_visible_to(request.user).select_related("product_model"), pk)
    target = request.build_absolute_uri(reverse("unit-scan", kwargs={"serial": unit.serial}))
    qr = segno.make(target, error="m")
    return render(
        request,
        "web/orders/unit_qr.html",
        {"unit": unit, "target": target, "svg": qr.svg_inline(scale=6, dark="#000", light="#fff")},
    )


# --- working calendar ------------------------------------------------------------------------


@page(Perm.ORDER_VIEW)
def calendar_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    year = as_id(request.GET.get("year")) if request.GET.get("year") else clock.today().year
    can_edit = has_perm(user, Perm.CALENDAR_EDIT)
    if request.method == "POST":
        require(user, Perm.CALENDAR_EDIT)
        try:
            op = request.POST.get("op")
            if op == "load":
                n = calendar_actions.calendar_year_load(
                    actor=user, company_id=company_of(user), year=as_id(request.POST.get("year"))
                )
                messages.success(request, _("%(n)d days loaded.") % {"n": n})
            elif op == "closure_add":
                date = dt.date.fromisoformat(request.POST.get("date", ""))
                calendar_actions.calendar_closure_add(
                    actor=user, date=date, name=request.POST.get("name", "")
                )
            elif op == "closure_remove":
                date = dt.date.fromisoformat(request.POST.get("date", ""))
                calendar_actions.calendar_closure_remove(actor=user, date=date)
        except ValueError:
            messages.error(request, _("Enter a valid date."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect(reverse("calendar") + f"?year={year}")
    loaded = list(CalendarYear.objects.filter(company_id=company_of(user)))
    cal = work_calendar(company_of(user))
    days = CalendarDay.objects.filter(company_id=company_of(user), date__year=year)
    provisional = orders_visible_to(user).filter(due_provisional=True, status__in=OPEN).count()
    return render(
        request,
        "web/orders/calendar.html",
        {
            "year": year,
            "loaded": loaded,
            "loaded_years": {y.year for y in loaded},
            "published": holidays.published_years(),
            "days": days,
            "closure_kind": DayKind.CLOSURE,
            "intervals": [f"{a:%H:%M}–{b:%H:%M}" for a, b in cal.intervals],
            "weekdays": sorted(cal.weekdays),
            "year_loaded": cal.is_loaded(dt.date(year, 1, 1)) if 1900 < year < 3000 else False,
            "provisional": provisional,
            "can_edit": can_edit,
            "years": range(clock.today().year - 2, clock.today().year + 2),
            "time_zone": settings.TIME_ZONE,
        },
    )
