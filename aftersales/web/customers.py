"""Pages for customers and installed units: search, lists, detail with history, edit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Region
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.accounts.selectors import stations_visible_to
from aftersales.catalog.selectors import product_models_visible_to
from aftersales.core import clock
from aftersales.core.audit_labels import audit_rows
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.models import AuditEntry
from aftersales.core.selectors import get_visible
from aftersales.customers import actions
from aftersales.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    CustomerKind,
    UnitStatus,
    UnitUse,
)
from aftersales.customers.models import InstalledUnit
from aftersales.customers.selectors import (
    customer_search,
    customers_visible_to,
    is_short_name,
    search_cap,
    search_is_capped,
    unit_search_capped,
    units_visible_to,
)
from aftersales.orders.selectors import orders_of_unit
from aftersales.web.listing import list_links, sorted_page
from aftersales.web.privacy import privacy_context
from aftersales.web.shortcuts import EXPORT_LIMIT, apply_errors, export_rows, page, xlsx_response


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )
    station = forms.ModelChoiceField(
        label=_("Servicing station"), queryset=Region.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(company_id=user.company_id)  # type: ignore[attr-defined]
        self.fields["station"].queryset = stations_visible_to(user)  # type: ignore[attr-defined]


class EditCustomerForm(CustomerForm):
    notify_channel = forms.ChoiceField(
        label=_("messages by"),
        required=False,
        choices=[("", _("The company's default")), ("sms", _("SMS")), ("email", _("E-mail"))],
    )
    language = forms.ChoiceField(
        label=_("language"),
        required=False,
        choices=[("", _("The company's default")), ("zh-hans", "简体中文"), ("en", "English")],
    )


class NewCustomerForm(CustomerForm):
    address_line = forms.CharField(label=_("Address"), max_length=300, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)


# Sorts of the customers list: name -> ordering (the id breaks ties). The first is the default.
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-pk",),
    "created": ("pk",),
    "name": ("name",),
    "-name": ("-name",),
    "region": ("region__name",),
    "-region": ("-region__name",),
    "station": ("station__name",),
    "-station": ("-station__name",),
}
CUSTOMER_EXPORT_COLUMNS = [
    Column("name", _("Name")),
    Column("phone", _("Phone")),
    Column("region", _("Region")),
    Column("station", _("Servicing station")),
]


def _capped_at(request: AuthedRequest, qs: Any) -> int | None:
    """The cap of a short-name search when the list's rows reach it (as on its page)."""
    q = request.GET.get("q", "")
    if not is_short_name(q):
        return None
    return search_cap(q) if search_is_capped(q, qs.count()) else None


def _customers(request: AuthedRequest) -> Any:
    q = request.GET.get("q", "")
    return customer_search(request.user, q).select_related("region", "station")


@page(Perm.CUSTOMER_VIEW)
def customer_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    result = sorted_page(
        _customers(request),
        sorts=CUSTOMER_SORTS,
        sort=request.GET.get("sort", ""),
        page=request.GET.get("page"),
    )
    template = (
        "web/customers/_rows.html"
        if request.headers.get("HX-Request")
        else "web/customers/list.html"
    )
    links = list_links(result, {"q": q}, ("name", "region", "station"))
    refine = search_is_capped(q, result.total)
    can_create = has_perm(request.user, Perm.CUSTOMER_EDIT)
    context = {"page": result, "q": q, "refine": refine, "can_create": can_create, **links}
    return render(request, template, context)


@page(Perm.CUSTOMER_VIEW)
def customer_export(request: AuthedRequest) -> HttpResponse:
    """The customers list as an Excel file: the same search and sort as on the page (at most
    10,000 rows, or the capped search's; a last row says when rows were left out; phones
    masked as on the page)."""
    ordering = CUSTOMER_SORTS.get(request.GET.get("sort", ""), ("-pk",))
    tie = "-pk" if ordering[0].startswith("-") else "pk"
    qs = _customers(request)
    rows = (
        (c.name, c.masked_phone, c.region.name if c.region else "", str(c.station or ""))
        for c in qs.order_by(*ordering, tie)[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        CUSTOMER_EXPORT_COLUMNS,
        export_rows(rows, limit=EXPORT_LIMIT, capped_at=_capped_at(request, qs)),
        sheet_title="customers",
    )
    return xlsx_response(content, f"customers-{clock.today():%Y%m%d}.xlsx")


@page(Perm.CUSTOMER_VIEW)
def customer_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(
        customers_visible_to(request.user).select_related("region", "station"), pk
    )
    units = customer.units.select_related("product_model").order_by("-id")[:100]
    history = AuditEntry.objects.filter(
        object_type="customers.customer", object_id=str(customer.pk)
    ).select_related("actor")[:50]
    return render(
        request,
        "web/customers/detail.html",
        {
            "customer": customer,
            "units": units,
            "history": audit_rows(history),
            "consents": customer.consents.all()[:20],
            "can_edit": has_perm(request.user, Perm.CUSTOMER_EDIT),
            "can_reveal": has_perm(request.user, Perm.PHONE_REVEAL),
            "purposes": ConsentPurpose.choices,
            "channels": ConsentChannel.choices,
            "privacy": privacy_context(request.user, customer),
        },
    )


@page(Perm.CUSTOMER_EDIT)
def customer_create(request: AuthedRequest) -> HttpResponse:
    form = NewCustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = actions.customer_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("customer-detail", pk=customer.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New customer")})


@page(Perm.CUSTOMER_EDIT)
def customer_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), pk)
    initial = {
        "name": customer.name,
        "phone": customer.masked_phone,
        "kind": customer.kind,
        "email": customer.email,
        "region": customer.region_id,
        "station": customer.station_id,
        "notes": customer.notes,
        "notify_channel": customer.notify_channel,
        "language": customer.language,
    }
    form = EditCustomerForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data["phone"] == customer.masked_phone:  # unchanged: the form shows it masked
            data.pop("phone")
        try:
            actions.customer_update(
                actor=request.user,
                customer=customer,
                version=int(request.POST.get("version", "0") or 0),
                **data,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("customer-detail", pk=customer.pk)
    return render(
        request,
        "web/form.html",
        {"form": form, "title": _("Edit customer"), "version": customer.version},
    )


@require_POST
@page(Perm.PHONE_REVEAL)
def customer_reveal_phone(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), pk)
    phone = actions.customer_reveal_phone(actor=request.user, customer=customer, reason="web")
    return render(request, "web/customers/_phone.html", {"phone": phone})


@require_POST
@page(Perm.CUSTOMER_EDIT)
def customer_consent(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), pk)
    actions.consent_record(
        actor=request.user,
        customer=customer,
        purpose=request.POST.get("purpose", ""),
        granted=request.POST.get("granted") == "1",
        channel=request.POST.get("channel", ""),
    )
    return redirect("customer-detail", pk=customer.pk)


@require_POST
@page(Perm.CUSTOMER_EDIT)
def customer_contact_add(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), pk)
    actions.contact_add(
        actor=request.user,
        customer=customer,
        name=request.POST.get("name", ""),
        phone=request.POST.get("phone", ""),
        title=request.POST.get("title", ""),
    )
    return redirect("customer-detail", pk=customer.pk)


# --- Units -------------------------------------------------------------------------------------


class UnitForm(forms.Form):
    product_model = forms.ModelChoiceField(label=_("Product model"), queryset=Region.objects.none())
    serial = forms.CharField(label=_("Serial number"), max_length=64, required=False)
    purchase_date = forms.DateField(
        label=_("Purchase date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    invoice_date = forms.DateField(
        label=_("Invoice date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    installation_date = forms.DateField(
        label=_("Installation date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    voucher_no = forms.CharField(label=_("Warranty voucher no."), max_length=64, required=False)
    # Household cars (三包 2021).
    delivery_date = forms.DateField(
        label=_("Delivery date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("Cars: the 三包 period starts at delivery when it differs from the invoice."),
    )
    purchase_price = forms.DecimalField(
        label=_("Purchase price (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
        help_text=_("Cars: the use compensation on a return is calculated from it."),
    )
    use = forms.ChoiceField(
        label=_("Use"),
        choices=UnitUse.choices,
        initial=UnitUse.PRIVATE,
        required=False,  # unset: private
        help_text=_("Cars used as a taxi or for other commercial purposes are outside 三包."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = product_models_visible_to(user)  # type: ignore[attr-defined]


class UnitEditForm(UnitForm):
    status = forms.ChoiceField(label=_("Status"), choices=UnitStatus.choices)


# Sorts of the units list: name -> ordering (the id breaks ties). The first is the default.
UNIT_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-pk",),
    "created": ("pk",),
    "serial": ("serial",),
    "-serial": ("-serial",),
    "model": ("product_model__name",),
    "-model": ("-product_model__name",),
    "owner": ("customer__name",),
    "-owner": ("-customer__name",),
    "purchase": ("purchase_date",),
    "-purchase": ("-purchase_date",),
    "status": ("status",),
    "-status": ("-status",),
    "warranty": ("warranty_until",),
    "-warranty": ("-warranty_until",),
}
UNIT_EXPORT_COLUMNS = [
    Column("serial", _("Serial number")),
    Column("model", _("Product model")),
    Column("owner", _("Owner")),
    Column("phone", _("Phone")),
    Column("purchase_date", _("Purchase date")),
    Column("status", _("Status")),
    Column("warranty_until", _("Warranty until")),
]


def _units(request: AuthedRequest) -> tuple[Any, bool, bool]:
    """The units searched and filtered, whether the expiring filter is on, and whether a
    short name's owners reached the search cap."""
    qs, capped = unit_search_capped(request.user, request.GET.get("q", ""))
    qs = qs.select_related("product_model", "customer")
    expiring = request.GET.get("expiring") == "30"
    if expiring:
        # Flagged by the nightly warranty batch.
        today = clock.today()
        qs = qs.filter(warranty_until__range=(today, today + dt.timedelta(days=30)))
    return qs, expiring, capped


@page(Perm.UNIT_VIEW)
def unit_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    qs, expiring, capped = _units(request)
    result = sorted_page(
        qs, sorts=UNIT_SORTS, sort=request.GET.get("sort", ""), page=request.GET.get("page")
    )
    template = (
        "web/units/_rows.html" if request.headers.get("HX-Request") else "web/units/list.html"
    )
    links = list_links(
        result,
        {"q": q, "expiring": "30" if expiring else ""},
        ("serial", "model", "owner", "purchase", "status", "warranty"),
    )
    context = {"page": result, "q": q, "expiring": expiring, "refine": capped, **links}
    return render(request, template, context)


@page(Perm.UNIT_VIEW)
def unit_export(request: AuthedRequest) -> HttpResponse:
    """The units list as an Excel file: the same search, filter and sort as on the page (at
    most 10,000 rows, or the capped search's; a last row says when rows were left out; phones
    masked as on the page)."""
    qs, _expiring, capped = _units(request)
    ordering = UNIT_SORTS.get(request.GET.get("sort", ""), ("-pk",))
    tie = "-pk" if ordering[0].startswith("-") else "pk"
    # a capped search holds the units of the first owners found: all of them are exported
    rows = (
        (
            u.serial,
            u.product_model.name,
            u.customer.name,
            u.customer.masked_phone,
            u.purchase_date,
            u.get_status_display(),
            u.warranty_until,
        )
        for u in qs.order_by(*ordering, tie)[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        UNIT_EXPORT_COLUMNS,
        export_rows(
            rows, limit=EXPORT_LIMIT, capped_at=min(qs.count(), EXPORT_LIMIT) if capped else None
        ),
        sheet_title="units",
    )
    return xlsx_response(content, f"units-{clock.today():%Y%m%d}.xlsx")


@page(Perm.UNIT_VIEW)
def unit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_visible(
        units_visible_to(request.user).select_related(
            "product_model__category", "customer", "address", "station"
        ),
        pk,
    )
    history = AuditEntry.objects.filter(
        object_type="customers.installedunit", object_id=str(unit.pk)
    ).select_related("actor")[:100]
    return render(
        request,
        "web/units/detail.html",
        {
            "unit": unit,
            "history": audit_rows(history),
            "orders": orders_of_unit(request.user, unit.pk)[:50],
            "can_edit": has_perm(request.user, Perm.UNIT_EDIT),
            "can_order": has_perm(request.user, Perm.ORDER_CREATE),
        },
    )


@page(Perm.UNIT_EDIT)
def unit_create(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), customer_pk)
    form = UnitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            unit = actions.unit_create(actor=request.user, customer=customer, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("unit-detail", pk=unit.pk)
    title = _("New unit for %(name)s") % {"name": customer.name}
    return render(request, "web/form.html", {"form": form, "title": title})


@page(Perm.UNIT_EDIT)
def unit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    unit: InstalledUnit = get_visible(units_visible_to(request.user), pk)
    initial = {
        "product_model": unit.product_model_id,
        "serial": unit.serial,
        "purchase_date": unit.purchase_date,
        "invoice_date": unit.invoice_date,
        "installation_date": unit.installation_date,
        "voucher_no": unit.voucher_no,
        "status": unit.status,
        "delivery_date": unit.delivery_date,
        "purchase_price": unit.purchase_price,
        "use": unit.use,
    }
    form = UnitEditForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.unit_update(
                actor=request.user,
                unit=unit,
                version=int(request.POST.get("version", "0") or 0),
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("unit-detail", pk=unit.pk)
    return render(
        request, "web/form.html", {"form": form, "title": _("Edit unit"), "version": unit.version}
    )
