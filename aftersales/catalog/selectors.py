"""Catalog reads: the catalog is company-wide, every role of the company sees it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.catalog.models import FaultCode, MainComponent, Part, ProductCategory, ProductModel


def _company(user: Any) -> int | None:
    """The user's company; None for a visitor or a user of no company, who sees no rows (the
    company column is never empty)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.company_id


def categories_visible_to(user: Any) -> QuerySet[ProductCategory]:
    company = _company(user)
    if company is None:
        return ProductCategory.objects.none()
    return ProductCategory.objects.filter(company_id=company)


def product_models_visible_to(user: Any) -> QuerySet[ProductModel]:
    company = _company(user)
    if company is None:
        return ProductModel.objects.none()
    return ProductModel.objects.filter(category__company_id=company).select_related("category")


def components_visible_to(user: Any) -> QuerySet[MainComponent]:
    company = _company(user)
    if company is None:
        return MainComponent.objects.none()
    return MainComponent.objects.filter(category__company_id=company)


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
    company = _company(user)
    if company is None:
        return Part.objects.none()
    return Part.objects.filter(company_id=company)


def fault_codes_visible_to(user: Any) -> QuerySet[FaultCode]:
    company = _company(user)
    if company is None:
        return FaultCode.objects.none()
    return FaultCode.objects.filter(category__company_id=company).select_related("category")
