"""Excel import/export of parts, through the catalog actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.accounts.models import User
from aftersales.accounts.permissions import company_of
from aftersales.catalog import actions
from aftersales.catalog.models import ProductCategory
from aftersales.catalog.selectors import parts_visible_to
from aftersales.core.excel import Column
from aftersales.core.validation import ValidationFailed

PART_COLUMNS = [
    Column("code", _("Part number"), required=True),
    Column("name", _("Name"), required=True),
    Column("category", _("Category code")),
    Column("unit_of_measure", pgettext_lazy("unit of measure", "Unit")),
    Column("price", _("Price (yuan)"), required=True),
    Column("is_serialised", _("Serialised")),
]

TRUE_WORDS = {"1", "true", "yes", "y", "是", "x", "✓"}


def import_part_row(actor: User, row: dict[str, Any]) -> Any:
    category = None
    code = row.get("category")
    if code not in (None, ""):
        category = ProductCategory.objects.filter(
            company_id=company_of(actor), code=str(code).strip()
        ).first()
        if category is None:
            raise ValidationFailed({"category": _("Unknown code: %(code)s") % {"code": code}})
    return actions.part_save(
        actor=actor,
        code=str(row.get("code") or ""),
        name=str(row.get("name") or ""),
        category=category,
        unit_of_measure=str(row.get("unit_of_measure") or "个"),
        price=row.get("price"),
        is_serialised=str(row.get("is_serialised") or "").strip().lower() in TRUE_WORDS,
    )


def export_part_rows(actor: User) -> Iterator[list[Any]]:
    qs = parts_visible_to(actor).select_related("category").order_by("id")
    for p in qs.iterator(chunk_size=2000):
        yield [
            p.code,
            p.name,
            p.category.code if p.category else "",
            p.unit_of_measure,
            p.price,
            "1" if p.is_serialised else "0",
        ]
