"""Excel import/export of customers and installed units, through the customer actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Region, Station, User
from aftersales.accounts.permissions import company_of
from aftersales.catalog.models import ProductModel
from aftersales.core.excel import Column
from aftersales.core.phones import normalize_phone
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions
from aftersales.customers.models import Address
from aftersales.customers.selectors import customers_visible_to, units_visible_to

CUSTOMER_COLUMNS = [
    Column("name", _("Name"), required=True),
    Column("phone", _("Phone"), required=True),
    Column("kind", _("Kind")),
    Column("email", _("E-mail")),
    Column("region", _("Region code")),
    Column("station", _("Station code")),
    Column("address", _("Address")),
    Column("latitude", _("Latitude")),
    Column("longitude", _("Longitude")),
]

UNIT_COLUMNS = [
    Column("customer_phone", _("Owner's phone"), required=True),
    Column("model", _("Model number"), required=True),
    Column("serial", _("Serial number"), required=True),
    Column("purchase_date", _("Purchase date")),
    Column("invoice_date", _("Invoice date")),
    Column("installation_date", _("Installation date")),
    Column("voucher_no", _("Warranty voucher no.")),
]


def _by_code(model: Any, actor: User, code: Any, field: str) -> Any:
    if code in (None, ""):
        return None
    found = model.objects.filter(company_id=actor.company_id, code=str(code).strip()).first()
    if found is None:
        raise ValidationFailed({field: _("Unknown code: %(code)s") % {"code": code}})
    return found


def import_customer_row(actor: User, row: dict[str, Any]) -> Any:
    return actions.customer_create(
        actor=actor,
        name=str(row.get("name") or ""),
        phone=str(row.get("phone") or ""),
        kind=str(row.get("kind") or "person"),
        email=str(row.get("email") or ""),
        region=_by_code(Region, actor, row.get("region"), "region"),
        station=_by_code(Station, actor, row.get("station"), "station"),
        address_line=str(row.get("address") or ""),
        latitude=row.get("latitude"),
        longitude=row.get("longitude"),
    )


def import_unit_row(actor: User, row: dict[str, Any]) -> Any:
    phone = normalize_phone(str(row.get("customer_phone") or ""))
    owners = list(customers_visible_to(actor).filter(phone=phone)[:2]) if phone else []
    errors: dict[str, Any] = {}
    if not owners:
        errors["customer_phone"] = _("No customer with this phone number.")
    elif len(owners) > 1:
        errors["customer_phone"] = _("Several customers have this phone number.")
    code = str(row.get("model") or "").strip()
    models = list(
        ProductModel.objects.filter(category__company_id=company_of(actor), code=code)[:2]
    )
    if len(models) != 1:
        errors["model"] = _("Unknown model number: %(code)s") % {"code": code}
    if errors:
        raise ValidationFailed(errors)
    return actions.unit_create(
        actor=actor,
        customer=owners[0],
        product_model=models[0],
        serial=str(row.get("serial") or ""),
        purchase_date=row.get("purchase_date"),
        invoice_date=row.get("invoice_date"),
        installation_date=row.get("installation_date"),
        voucher_no=str(row.get("voucher_no") or ""),
    )


EXPORT_CUSTOMER_COLUMNS = [
    Column("id", "ID"),
    *CUSTOMER_COLUMNS[:6],
    Column("address", _("Address")),
]


def export_customer_rows(actor: User) -> Iterator[list[Any]]:
    default_address = Prefetch(
        "addresses", queryset=Address.objects.filter(is_default=True), to_attr="default_address"
    )
    qs = (
        customers_visible_to(actor)
        .select_related("region", "station")
        .prefetch_related(default_address)
        .order_by("id")
    )
    for c in qs.iterator(chunk_size=2000):
        address = c.default_address[0].line if c.default_address else ""
        yield [
            c.pk,
            c.name,
            c.masked_phone,
            c.kind,
            c.email,
            c.region.code if c.region else "",
            c.station.code if c.station else "",
            address or "",
        ]


EXPORT_UNIT_COLUMNS = [
    Column("id", "ID"),
    Column("customer", _("Owner")),
    *UNIT_COLUMNS[1:],
    Column("status", _("Status")),
]


def export_unit_rows(actor: User) -> Iterator[list[Any]]:
    qs = units_visible_to(actor).select_related("customer", "product_model").order_by("id")
    for u in qs.iterator(chunk_size=2000):
        yield [
            u.pk,
            u.customer.name,
            u.product_model.code,
            u.serial,
            u.purchase_date,
            u.invoice_date,
            u.installation_date,
            u.voucher_no,
            u.status,
        ]
