"""/api/v1/customers and /api/v1/units: parse, check access, call one action, answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.types import Id
from aftersales.core.selectors import get_visible, keyset_page
from aftersales.customers import actions
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.customers.selectors import (
    customer_search,
    customers_visible_to,
    is_short_name,
    search_is_capped,
    unit_search_capped,
    units_visible_to,
)
from aftersales.imports.selectors import object_ids

router = Router(tags=["customers"])


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] | None = None


class AddressOut(Schema):
    id: int
    line: str
    region_id: int | None
    postcode: str
    latitude: float | None
    longitude: float | None
    is_default: bool


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone_masked: str = Field(..., alias="masked_phone")


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    phone_masked: str = Field(..., alias="masked_phone")
    email: str
    region_id: int | None
    station_id: int | None
    notes: str
    notify_channel: str
    language: str
    version: int
    created_at: dt.datetime


class CustomerDetailOut(CustomerOut):
    addresses: list[AddressOut]
    contacts: list[ContactOut]

    @staticmethod
    def resolve_addresses(obj: Customer) -> list[Any]:
        return list(obj.addresses.all())

    @staticmethod
    def resolve_contacts(obj: Customer) -> list[Any]:
        return list(obj.contacts.all())


class CustomerIn(Schema):
    name: str
    phone: str
    kind: str = "person"
    email: str = ""
    region_id: int | None = None
    station_id: int | None = None
    notes: str = ""
    address_line: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None


class CustomerPatch(Schema):
    version: int
    name: str | None = None
    phone: str | None = None
    kind: str | None = None
    email: str | None = None
    region_id: int | None = None
    station_id: int | None = None
    notes: str | None = None
    # How and in which language the customer gets messages ("" = the company's default).
    notify_channel: str | None = None
    language: str | None = None


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_after: int | None
    refine: bool = Field(
        False,
        description="True when a one- or two-character name matched too many: only the first "
        "500 are listed; refine the search (more of the name, a phone, a serial).",
    )


class PhoneOut(Schema):
    phone: str


class RevealIn(Schema):
    reason: str = ""


class ContactIn(Schema):
    name: str
    phone: str
    title: str = ""


class AddressIn(Schema):
    line: str
    region_id: int | None = None
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    is_default: bool = False


class ConsentIn(Schema):
    purpose: str
    granted: bool
    channel: str


class ConsentOut(Schema):
    id: int
    purpose: str
    granted: bool
    channel: str
    at: dt.datetime


class ListParams(Schema):
    q: str = ""
    # The source system's id of an imported record (history import).
    external_id: str = ""
    after: Id | None = None
    limit: int = Field(25, ge=1, le=200)


ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 413, 422): ErrorOut}
ERRORS_BUT_422: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 413): ErrorOut}


def _customer_fields(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    for key in ("region_id", "station_id"):
        if key in data:
            data[key[:-3]] = data.pop(key)
    return data


def _refine(q: str, qs: Any) -> bool:
    """Whether a short-name search reached its cap (as the customers and units pages say)."""
    return is_short_name(q) and search_is_capped(q, qs.count())


@router.get("/customers", response={200: CustomerPage, **ERRORS})
def customer_list(request: AuthedRequest, params: Query[ListParams]) -> Any:
    require(request.user, Perm.CUSTOMER_VIEW)
    qs = customer_search(request.user, params.q)
    refine = _refine(params.q, qs)
    if params.external_id:
        qs = qs.filter(pk__in=object_ids(request.user.company_id, "customer", params.external_id))
    page = keyset_page(qs, after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after, "refine": refine}


@router.post("/customers", response={201: CustomerDetailOut, **ERRORS})
def customer_create(request: AuthedRequest, payload: CustomerIn) -> Any:
    data = payload.dict()
    data["region"], data["station"] = data.pop("region_id"), data.pop("station_id")
    return Status(201, actions.customer_create(actor=request.user, **data))


@router.get("/customers/{customer_id}", response={200: CustomerDetailOut, **ERRORS})
def customer_get(request: AuthedRequest, customer_id: int) -> Any:
    require(request.user, Perm.CUSTOMER_VIEW)
    return get_visible(customers_visible_to(request.user), customer_id)


@router.patch("/customers/{customer_id}", response={200: CustomerDetailOut, **ERRORS})
def customer_update(request: AuthedRequest, customer_id: int, payload: CustomerPatch) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    return actions.customer_update(
        actor=request.user,
        customer=customer,
        version=payload.version,
        **_customer_fields(payload),
    )


@router.delete("/customers/{customer_id}", response={204: None, **ERRORS})
def customer_delete(request: AuthedRequest, customer_id: int) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    actions.customer_delete(actor=request.user, customer=customer)
    return Status(204, None)


@router.post("/customers/{customer_id}/reveal-phone", response={200: PhoneOut, **ERRORS})
def customer_reveal_phone(request: AuthedRequest, customer_id: int, payload: RevealIn) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    phone = actions.customer_reveal_phone(
        actor=request.user, customer=customer, reason=payload.reason
    )
    return {"phone": phone}


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut, **ERRORS})
def contact_add(request: AuthedRequest, customer_id: int, payload: ContactIn) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    return Status(201, actions.contact_add(actor=request.user, customer=customer, **payload.dict()))


@router.post("/customers/{customer_id}/addresses", response={201: AddressOut, **ERRORS})
def address_add(request: AuthedRequest, customer_id: int, payload: AddressIn) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    data = payload.dict()
    data["region"] = data.pop("region_id")
    return Status(201, actions.address_add(actor=request.user, customer=customer, **data))


@router.post("/customers/{customer_id}/consents", response={201: ConsentOut, **ERRORS})
def consent_record(request: AuthedRequest, customer_id: int, payload: ConsentIn) -> Any:
    customer = get_visible(customers_visible_to(request.user), customer_id)
    return Status(
        201, actions.consent_record(actor=request.user, customer=customer, **payload.dict())
    )


# --- Installed units ---------------------------------------------------------------------------


class ModelRef(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    id: int
    serial: str
    product_model: ModelRef
    customer_id: int
    address_id: int | None
    purchase_date: dt.date | None
    invoice_date: dt.date | None
    installation_date: dt.date | None
    voucher_no: str
    status: str
    delivery_date: dt.date | None
    purchase_price: Decimal | None
    use: str
    station_id: int | None
    region_id: int | None
    version: int


class UnitIn(Schema):
    customer_id: int
    product_model_id: int
    serial: str
    purchase_date: dt.date | None = None
    invoice_date: dt.date | None = None
    installation_date: dt.date | None = None
    voucher_no: str = ""
    address_id: int | None = None
    # Household cars: delivery date, purchase price (yuan), use ("private" or "commercial").
    delivery_date: dt.date | None = None
    purchase_price: Decimal | None = None
    use: str = "private"


class UnitPatch(Schema):
    version: int
    serial: str | None = None
    product_model_id: int | None = None
    customer_id: int | None = None
    address_id: int | None = None
    purchase_date: dt.date | None = None
    invoice_date: dt.date | None = None
    installation_date: dt.date | None = None
    voucher_no: str | None = None
    status: str | None = None
    delivery_date: dt.date | None = None
    purchase_price: Decimal | None = None
    use: str | None = None


class UnitPage(Schema):
    items: list[UnitOut]
    next_after: int | None
    refine: bool = Field(
        False,
        description="True when a one- or two-character name matched too many: only the first "
        "500 are listed; refine the search (more of the name, a phone, a serial).",
    )


def _unit_fields(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        out[key[:-3] if key.endswith("_id") else key] = value
    return out


@router.get("/units", response={200: UnitPage, **ERRORS}, tags=["units"])
def unit_list(request: AuthedRequest, params: Query[ListParams]) -> Any:
    require(request.user, Perm.UNIT_VIEW)
    qs, refine = unit_search_capped(request.user, params.q)
    qs = qs.select_related("product_model")
    if params.external_id:
        qs = qs.filter(pk__in=object_ids(request.user.company_id, "unit", params.external_id))
    page = keyset_page(qs, after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after, "refine": refine}


@router.get("/units/lookup", response={200: list[UnitOut], **ERRORS}, tags=["units"])
def unit_lookup(request: AuthedRequest, serial: str) -> Any:
    """Exact serial number lookup (any model)."""
    require(request.user, Perm.UNIT_VIEW)
    qs = units_visible_to(request.user).filter(serial=serial.strip().upper())
    return list(qs.select_related("product_model")[:20])


@router.post("/units", response={201: UnitOut, **ERRORS}, tags=["units"])
def unit_create(request: AuthedRequest, payload: UnitIn) -> Any:
    return Status(201, actions.unit_create(actor=request.user, **_unit_fields(payload.dict())))


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, tags=["units"])
def unit_get(request: AuthedRequest, unit_id: int) -> Any:
    require(request.user, Perm.UNIT_VIEW)
    return get_visible(units_visible_to(request.user).select_related("product_model"), unit_id)


@router.patch("/units/{unit_id}", response={200: UnitOut, **ERRORS}, tags=["units"])
def unit_update(request: AuthedRequest, unit_id: int, payload: UnitPatch) -> Any:
    unit: InstalledUnit = get_visible(units_visible_to(request.user), unit_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return actions.unit_update(actor=request.user, unit=unit, version=version, **_unit_fields(data))


@router.delete("/units/{unit_id}", response={204: None, **ERRORS}, tags=["units"])
def unit_delete(request: AuthedRequest, unit_id: int) -> Any:
    unit = get_visible(units_visible_to(request.user), unit_id)
    actions.unit_delete(actor=request.user, unit=unit)
    return Status(204, None)
