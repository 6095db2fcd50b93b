"""The customer portal (mobile web, zh-hans first): sign in with the phone and a one-time
code, then the customer's own units, orders and complaints — nothing else, whatever id is
typed into the address bar."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.permissions import Perm, has_perm
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.customers.models import Customer
from aftersales.customers.selectors import units_visible_to
from aftersales.feedback.choices import ComplaintCategory, FollowUpStatus
from aftersales.feedback.selectors import answers_from, questions_of, script
from aftersales.fieldwork.actions import customer_report_path
from aftersales.notifications.actions import may_contact
from aftersales.portal import actions, selectors
from aftersales.web.shortcuts import error_page, flash_error, stored_image

SESSION_KEY = "portal"
SESSION_HOURS = 2


def _ids(request: HttpRequest) -> list[int]:
    data = request.session.get(SESSION_KEY) or {}
    return [int(i) for i in data.get("customers", [])]


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in to the portal (else to the sign-in page); rule errors become pages."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ids = _ids(request)
        if not ids:
            return redirect("portal-login")
        try:
            return view(request, ids, *args, **kwargs)
        except ApplicationError as exc:
            return error_page(request, exc)

    return wrapper


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        try:
            actions.code_request(phone=phone, ip=_ip(request))
        except ApplicationError as exc:
            flash_error(request, exc)
            return render(request, "web/portal/login.html", {"phone": phone}, status=exc.status)
        request.session["portal_phone"] = phone
        messages.success(request, _("If this number is ours, a code is on its way by SMS."))
        return redirect("portal-verify")
    return render(request, "web/portal/login.html", {"phone": ""})


def verify(request: HttpRequest) -> HttpResponse:
    phone = request.session.get("portal_phone", "")
    if not phone:
        return redirect("portal-login")
    if request.method == "POST":
        try:
            ids = actions.code_verify(phone=phone, code=request.POST.get("code", ""))
        except ApplicationError as exc:
            flash_error(request, exc)
            return render(request, "web/portal/verify.html", {"phone": phone}, status=exc.status)
        if not ids:
            messages.error(request, _("We have no customer with this number yet; call us."))
            return redirect("portal-login")
        after = str(request.session.pop("portal_next", "") or "")
        request.session.cycle_key()
        request.session[SESSION_KEY] = {"customers": ids, "at": clock.now().isoformat()}
        request.session.set_expiry(SESSION_HOURS * 3600)
        if after.startswith("/q/"):  # back to the scanned unit (only our own scan links)
            return redirect(after)
        return redirect("portal-home")
    return render(request, "web/portal/verify.html", {"phone": phone})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.pop("portal_phone", None)
    request.session.cycle_key()
    return redirect("portal-login")


@portal_page
def home(request: HttpRequest, ids: list[int]) -> HttpResponse:
    orders = selectors.orders_of(ids).order_by("-created_at", "-id")[:50]
    return render(
        request,
        "web/portal/home.html",
        {
            "units": selectors.units_of(ids).order_by("id"),
            "orders": orders,
            "complaints": selectors.complaints_of(ids).order_by("-created_at")[:20],
        },
    )


@portal_page
def unit_new(request: HttpRequest, ids: list[int]) -> HttpResponse:
    if request.method == "POST":
        try:
            actions.unit_register(
                customer_ids=ids,
                product_model=request.POST.get("product_model"),
                serial=request.POST.get("serial", ""),
                purchase_date=request.POST.get("purchase_date") or None,
                invoice=request.FILES.get("invoice"),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("portal-unit-new")
        messages.success(request, _("Your unit is registered."))
        return redirect("portal-home")

    return render(
        request,
        "web/portal/unit_new.html",
        {
            "models": selectors.product_models_for(ids),
            "serial": request.GET.get("serial", ""),
        },
    )


@portal_page
def fault_new(request: HttpRequest, ids: list[int]) -> HttpResponse:
    if request.method == "POST":
        try:
            order = actions.fault_report(
                customer_ids=ids,
                unit=request.POST.get("unit"),
                fault_description=request.POST.get("fault_description", ""),
                photos=request.FILES.getlist("photos"),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("portal-fault-new")
        messages.success(request, _("Your request is registered; choose a time for the visit."))
        return redirect("portal-order", pk=order.pk)
    return render(
        request,
        "web/portal/fault_new.html",
        {"units": selectors.units_of(ids), "chosen": request.GET.get("unit", "")},
    )


@portal_page
def order(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    found = selectors.order_of(ids, pk)
    slots = actions.appointment_slots(customer_ids=ids, order=found)
    days: dict[dt.date, list[Any]] = {}
    for slot in slots:
        days.setdefault(slot.day, []).append(slot)
    task = getattr(found, "follow_up", None)
    report_link = None
    if found.completed_at:
        report_link = customer_report_path(found)
    return render(
        request,
        "web/portal/order.html",
        {
            "order": found,
            "steps": selectors.timeline(found),
            "technician": selectors.technician_card(found),
            "days": sorted(days.items()),
            "may_change": found.status in actions.CUSTOMER_MAY_CHANGE,
            "can_rate": task is not None and task.status == FollowUpStatus.OPEN,
            "script": script(found.company_id, get_language() or "zh-hans"),
            "report_link": report_link,
            "attachments": found.attachments.all(),
            "receipts": found.receipts.all(),
        },
    )


@portal_page
@require_POST
def order_book(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    try:
        a, b = request.POST.get("slot", "").split("/")
        start, end = dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)
    except ValueError:
        messages.error(request, _("Choose one of the offered windows."))
        return redirect("portal-order", pk=pk)
    try:
        actions.appointment_choose(customer_ids=ids, order=pk, start=start, end=end)
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        flash_error(request, exc)
    else:
        messages.success(request, _("The visit is booked."))
    return redirect("portal-order", pk=pk)


@portal_page
@require_POST
def order_cancel(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    try:
        actions.order_cancel(customer_ids=ids, order=pk, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        flash_error(request, exc)
    else:
        messages.success(request, _("The request is cancelled."))
    return redirect("portal-order", pk=pk)


@portal_page
@require_POST
def order_rate(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    found = selectors.order_of(ids, pk)
    try:
        actions.visit_rate(
            customer_ids=ids,
            order=found,
            answers=answers_from(request.POST, questions_of(found.company_id)),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Thank you for your answers."))
    return redirect("portal-order", pk=pk)


@portal_page
def order_photo(request: HttpRequest, ids: list[int], pk: int, attachment_pk: int) -> HttpResponse:
    return stored_image(selectors.attachment_of(ids, pk, attachment_pk))


@portal_page
def complaint_new(request: HttpRequest, ids: list[int]) -> HttpResponse:
    if request.method == "POST":
        try:
            row = actions.complaint_file(
                customer_ids=ids,
                order=request.POST.get("order") or None,
                category=request.POST.get("category", ""),
                description=request.POST.get("description", ""),
            )
        except ApplicationError as exc:
            if exc.status == 404:
                raise
            flash_error(request, exc)
            return redirect("portal-complaint-new")
        messages.success(
            request, _("Your complaint is received; we will answer by the date shown.")
        )
        return redirect("portal-complaint", pk=row.pk)
    return render(
        request,
        "web/portal/complaint_new.html",
        {
            "orders": selectors.orders_of(ids).order_by("-created_at")[:20],
            "chosen": request.GET.get("order", ""),
            "categories": ComplaintCategory.choices,
        },
    )


@portal_page
def complaint(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    return render(request, "web/portal/complaint.html", {"row": selectors.complaint_of(ids, pk)})


@portal_page
def preferences(request: HttpRequest, ids: list[int]) -> HttpResponse:
    """How we contact the customer, in which language, and whether they want surveys."""
    if request.method == "POST":
        try:
            actions.preferences_set(
                customer_ids=ids,
                notify_channel=request.POST.get("notify_channel", ""),
                language=request.POST.get("language", ""),
                surveys=request.POST.get("surveys") == "1",
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("portal-preferences")
    customer = Customer.objects.filter(pk__in=ids).order_by("id").first()
    return render(
        request,
        "web/portal/preferences.html",
        {"customer": customer, "surveys": bool(customer and may_contact(customer, "survey"))},
    )


def scan(request: HttpRequest, serial: str) -> HttpResponse:
    """Where a unit's QR label leads: staff to intake with the unit, the customer to a fault
    report for it (or to register it when it is not theirs yet), after signing in."""
    user = request.user
    if user.is_authenticated and has_perm(user, Perm.ORDER_CREATE):
        unit = units_visible_to(user).filter(serial=serial).first()
        query = {"unit": unit.pk} if unit else {"q": serial}
        return redirect(f"{reverse('order-intake')}?{urlencode(query)}")
    ids = _ids(request)
    if not ids:
        request.session["portal_next"] = request.path
        return redirect("portal-login")
    unit = selectors.units_of(ids).filter(serial=serial).first()
    if unit is not None:
        return redirect(f"{reverse('portal-fault-new')}?{urlencode({'unit': unit.pk})}")
    return redirect(f"{reverse('portal-unit-new')}?{urlencode({'serial': serial})}")
