"""Catalog reads: the catalog is company-wide, every role of the company sees it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.catalog.models import FaultCode, MainComponent, Part, ProductCategory, ProductModel


def _company(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return user.company_id


def categories_visible_to(user: Any) -> QuerySet[ProductCategory]:
    return ProductCategory.objects.filter(company_id=_company(user))


def product_models_visible_to(user: Any) -> QuerySet[ProductModel]:
    return ProductModel.objects.filter(category__company_id=_company(user)).select_related(
        "category"
    )


def components_visible_to(user: Any) -> QuerySet[MainComponent]:
    return MainComponent.objects.filter(category__company_id=_company(user))


def component_names(unit_id: int | None, detail: dict[str, Any] | None = None) -> dict[str, str]:
    """{code: name} of the main components of the unit's category (a warranty decision names
    the components by code); empty without a unit. Given the decision's `detail`, no query
    unless one of its periods is a main part's."""
    if unit_id is None:
        return {}
    if detail is not None and not any(
        str(key).startswith("component:") for key in detail.get("period_ends") or {}
    ):
        return {}
    rows = MainComponent.objects.filter(category__models__installedunit=unit_id)
    return dict(rows.values_list("code", "name"))


def parts_visible_to(user: Any) -> QuerySet[Part]:
    return Part.objects.filter(company_id=_company(user))


def fault_codes_visible_to(user: Any) -> QuerySet[FaultCode]:
    return FaultCode.objects.filter(category__company_id=_company(user)).select_related("category")
