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


def parts_visible_to(user: Any) -> QuerySet[Part]:
    return Part.objects.filter(company_id=_company(user))


def fault_codes_visible_to(user: Any) -> QuerySet[FaultCode]:
    return FaultCode.objects.filter(category__company_id=_company(user)).select_related("category")
