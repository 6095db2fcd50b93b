"""The Excel import/export kinds, with their columns, row actions and permissions.

Shared by the transfer page and the API so both offer exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.accounts.permissions import Perm
from aftersales.catalog import excel as catalog_excel
from aftersales.core.excel import Column
from aftersales.customers import excel as customer_excel


@dataclass(frozen=True)
class TransferKind:
    key: str
    label: Any
    columns: list[Column]
    import_row: Callable[[Any, dict[str, Any]], Any]
    import_perm: str
    export_columns: list[Column]
    export_rows: Callable[[Any], Iterator[list[Any]]]
    export_perm: str


KINDS: dict[str, TransferKind] = {
    "customers": TransferKind(
        "customers",
        _("Customers"),
        customer_excel.CUSTOMER_COLUMNS,
        customer_excel.import_customer_row,
        Perm.CUSTOMER_IMPORT,
        customer_excel.EXPORT_CUSTOMER_COLUMNS,
        customer_excel.export_customer_rows,
        Perm.CUSTOMER_EXPORT,
    ),
    "units": TransferKind(
        "units",
        _("Installed units"),
        customer_excel.UNIT_COLUMNS,
        customer_excel.import_unit_row,
        Perm.UNIT_IMPORT,
        customer_excel.EXPORT_UNIT_COLUMNS,
        customer_excel.export_unit_rows,
        Perm.UNIT_EXPORT,
    ),
    "parts": TransferKind(
        "parts",
        _("Parts"),
        catalog_excel.PART_COLUMNS,
        catalog_excel.import_part_row,
        Perm.PART_IMPORT,
        catalog_excel.PART_COLUMNS,
        catalog_excel.export_part_rows,
        Perm.PART_EXPORT,
    ),
}

TRANSFER_PERMS = {k.import_perm for k in KINDS.values()} | {k.export_perm for k in KINDS.values()}
