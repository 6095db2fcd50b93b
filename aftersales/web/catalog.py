"""Catalog pages: categories with their models, components and fault codes; parts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.catalog import actions
from aftersales.catalog import selectors as sel
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import get_visible, keyset_page
from aftersales.fieldwork.rules import money
from aftersales.web.shortcuts import EXPORT_LIMIT, apply_errors, export_rows, page, xlsx_response


@page(Perm.CATALOG_VIEW)
def catalog(request: AuthedRequest) -> HttpResponse:
    categories = sel.categories_visible_to(request.user).prefetch_related(
        "models", "main_components", "fault_codes"
    )
    return render(
        request,
        "web/catalog/index.html",
        {"categories": categories, "can_edit": has_perm(request.user, Perm.CATALOG_EDIT)},
    )


PART_EXPORT_COLUMNS = [
    Column("code", _("Part number")),
    Column("name", _("Name")),
    Column("category", _("Product category")),
    Column("price", _("Price (yuan)")),
    Column("unit_of_measure", pgettext_lazy("unit of measure", "Unit")),
    Column("is_serialised", _("Serialised")),
    Column("is_active", _("Active")),
]


def _parts(request: AuthedRequest) -> tuple[Any, str]:
    """The parts the list shows (the search by part number prefix or name) and the search."""
    q = request.GET.get("q", "").strip()
    qs = sel.parts_visible_to(request.user).select_related("category")
    if q:
        qs = qs.filter(code__istartswith=q) | qs.filter(name__icontains=q)
    return qs, q


@page(Perm.CATALOG_VIEW)
def part_list(request: AuthedRequest) -> HttpResponse:
    qs, q = _parts(request)
    result = keyset_page(qs, after=request.GET.get("after"))
    return render(
        request,
        "web/catalog/parts.html",
        {"page": result, "q": q, "can_edit": has_perm(request.user, Perm.CATALOG_EDIT)},
    )


@page(Perm.CATALOG_VIEW)
def part_export(request: AuthedRequest) -> HttpResponse:
    """The parts list as an Excel file: the same search and order (newest first) as on the page
    (at most 10,000 rows; a last row says when rows were left out)."""
    qs, _q = _parts(request)
    yes, no = gettext("Yes"), gettext("No")
    rows = (
        (
            p.code,
            p.name,
            p.category.name if p.category else "",
            money(p.price),
            p.unit_of_measure,
            yes if p.is_serialised else no,
            yes if p.is_active else no,
        )
        for p in qs.order_by("-pk")[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        PART_EXPORT_COLUMNS, export_rows(rows, limit=EXPORT_LIMIT), sheet_title="parts"
    )
    return xlsx_response(content, f"parts-{clock.today():%Y%m%d}.xlsx")


class PartForm(forms.Form):
    code = forms.CharField(label=_("Part number"), max_length=64, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    category = forms.ModelChoiceField(
        label=_("Product category"), queryset=sel.ProductCategory.objects.none(), required=False
    )
    unit_of_measure = forms.CharField(
        label=pgettext_lazy("unit of measure", "Unit"), max_length=16, required=False
    )
    price = forms.CharField(label=_("Price (yuan)"), max_length=20, required=False)
    is_serialised = forms.BooleanField(label=_("Serialised"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = sel.categories_visible_to(user)  # type: ignore[attr-defined]


@page(Perm.CATALOG_EDIT)
def part_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    part = get_visible(sel.parts_visible_to(request.user), pk) if pk else None
    initial = {}
    if part is not None:
        initial = {
            "code": part.code,
            "name": part.name,
            "category": part.category_id,
            "unit_of_measure": part.unit_of_measure,
            "price": part.price,
            "is_serialised": part.is_serialised,
            "is_active": part.is_active,
        }
    form = PartForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.part_save(actor=request.user, part=part, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("part-list")
    title = _("Edit part") if part else _("New part")
    return render(request, "web/form.html", {"form": form, "title": title})


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, required=False)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


@page(Perm.CATALOG_EDIT)
def category_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    category = get_visible(sel.categories_visible_to(request.user), pk) if pk else None
    initial = {"code": category.code, "name": category.name} if category else {}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.category_save(actor=request.user, category=category, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("catalog")
    title = _("Edit category") if category else _("New category")
    return render(request, "web/form.html", {"form": form, "title": title})


class ProductModelForm(forms.Form):
    code = forms.CharField(label=_("Model number"), max_length=64, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    brand = forms.CharField(label=_("Brand"), max_length=100, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


@page(Perm.CATALOG_EDIT)
def product_model_edit(
    request: AuthedRequest, category_pk: int, pk: int | None = None
) -> HttpResponse:
    category = get_visible(sel.categories_visible_to(request.user), category_pk)
    obj = get_visible(sel.product_models_visible_to(request.user), pk) if pk else None
    initial = (
        {"code": obj.code, "name": obj.name, "brand": obj.brand, "is_active": obj.is_active}
        if obj
        else {}
    )
    form = ProductModelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.product_model_save(
                actor=request.user, category=category, product_model=obj, **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("catalog")
    return render(request, "web/form.html", {"form": form, "title": _("Product model")})


class FaultCodeForm(forms.Form):
    code = forms.CharField(label=_("Fault code"), max_length=32, required=False)
    symptom = forms.CharField(label=_("Symptom"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    is_urgent = forms.BooleanField(label=_("Urgent"), required=False)
    is_performance_fault = forms.BooleanField(
        label=_("Performance fault"), required=False, initial=True
    )
    repair_level = forms.CharField(
        label=_("Repair level"),
        max_length=16,
        required=False,
        help_text=_("Your own scale (e.g. 1, 2, 3); settlement fee rules can price by it."),
    )


@page(Perm.CATALOG_EDIT)
def fault_code_edit(
    request: AuthedRequest, category_pk: int, pk: int | None = None
) -> HttpResponse:
    category = get_visible(sel.categories_visible_to(request.user), category_pk)
    obj = get_visible(sel.fault_codes_visible_to(request.user), pk) if pk else None
    initial = {}
    if obj:
        initial = {
            "code": obj.code,
            "symptom": obj.symptom,
            "description": obj.description,
            "is_urgent": obj.is_urgent,
            "is_performance_fault": obj.is_performance_fault,
            "repair_level": obj.repair_level,
        }
    form = FaultCodeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.fault_code_save(
                actor=request.user, category=category, fault_code=obj, **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("catalog")
    return render(request, "web/form.html", {"form": form, "title": _("Fault code")})
