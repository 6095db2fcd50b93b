"""Every write to customers, contacts, addresses, consents and installed units."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Region, Station, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.catalog.models import ProductModel
from aftersales.core import clock
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.deletion import delete_with_audit
from aftersales.core.errors import Conflict, NotFound, check_version
from aftersales.core.validation import Errors
from aftersales.customers import meters
from aftersales.customers import validation as v
from aftersales.customers.choices import ConsentChannel, ConsentPurpose, MeterKind, MeterSource
from aftersales.customers.models import (
    Address,
    Consent,
    Contact,
    Customer,
    InstalledUnit,
    MeterReading,
)
from aftersales.customers.selectors import customers_visible_to, meter_history, units_visible_to

CUSTOMER_FIELDS = (
    "kind",
    "name",
    "phone",
    "email",
    "region",
    "station",
    "notes",
    "notify_channel",
    "language",
)
UNIT_FIELDS = (
    "product_model",
    "serial",
    "customer",
    "address",
    "purchase_date",
    "invoice_date",
    "installation_date",
    "voucher_no",
    "status",
    "delivery_date",
    "purchase_price",
    "use",
)


def _resolve_org(
    errors: Errors, actor: User, region: Region | int | None, station: Station | int | None
) -> tuple[Region | None, Station | None]:
    """Region and station inside the actor's company and scope; station people get theirs."""
    found_station: Station | None = None
    found_region: Region | None = None
    if actor.station_id:
        found_station = actor.station
    elif station is not None:
        station_id = station.pk if isinstance(station, Station) else station
        found_station = Station.objects.filter(company_id=company_of(actor), pk=station_id).first()
        if found_station is None:
            errors.add("station", _("Unknown service station."))
    if region is not None:
        region_id = region.pk if isinstance(region, Region) else region
        found_region = Region.objects.filter(company_id=company_of(actor), pk=region_id).first()
        if found_region is None:
            errors.add("region", _("Unknown region."))
    if found_station is not None and found_region is None:
        found_region = found_station.region
    if actor.region_id and not actor.station_id:
        if found_region is None:
            found_region = actor.region
        elif found_region.pk != actor.region_id:
            errors.add("region", _("You can only register customers in your own region."))
    if (
        found_station is not None
        and found_region is not None
        and found_station.region_id != found_region.pk
    ):
        errors.add("station", _("The station is not in the customer's region."))
    return found_region, found_station


def _check_version(obj: Customer | InstalledUnit, version: int | None) -> None:
    check_version(obj, version, _("Someone else changed this record; reload it and try again."))


@transaction.atomic
def customer_create(
    *,
    actor: User,
    name: str,
    phone: str,
    kind: str = "person",
    email: str = "",
    region: Region | int | None = None,
    station: Station | int | None = None,
    notes: str = "",
    address_line: str = "",
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Customer:
    require(actor, Perm.CUSTOMER_EDIT)
    errors = Errors()
    clean_name = v.clean_name(errors, "name", name)
    clean_phone = v.clean_phone(errors, "phone", phone)
    clean_kind = v.clean_kind(errors, kind)
    clean_email = v.clean_email(errors, "email", email)
    lat, lng = v.clean_coordinates(errors, latitude, longitude)
    reg, sta = _resolve_org(errors, actor, region, station)
    if len(address_line or "") > 300:
        errors.add("address_line", _("At most %(n)d characters.") % {"n": 300})
    errors.raise_if_any()
    customer = Customer.objects.create(
        company_id=company_of(actor),
        kind=clean_kind,
        name=clean_name,
        phone=clean_phone,
        email=clean_email,
        region=reg,
        station=sta,
        notes=notes or "",
    )
    if address_line:
        Address.objects.create(
            customer=customer,
            region=reg,
            line=address_line.strip(),
            postcode=(postcode or "")[:10],
            latitude=lat,
            longitude=lng,
            is_default=True,
        )
    audit_record(
        actor=actor,
        action="customer.create",
        obj=customer,
        changes={k: [None, val] for k, val in snapshot(customer, CUSTOMER_FIELDS).items()},
    )
    return customer


@transaction.atomic
def customer_update(
    *, actor: User, customer: Customer, version: int | None = None, **fields: Any
) -> Customer:
    require(actor, Perm.CUSTOMER_EDIT)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_version(customer, version)
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    errors = Errors()
    for name in sorted(unknown):
        errors.add(name, _("This field cannot be changed here."))
    before = snapshot(customer, CUSTOMER_FIELDS)
    if "name" in fields:
        customer.name = v.clean_name(errors, "name", fields["name"])
    if "phone" in fields:
        customer.phone = v.clean_phone(errors, "phone", fields["phone"])
    if "kind" in fields:
        customer.kind = v.clean_kind(errors, fields["kind"])
    if "email" in fields:
        customer.email = v.clean_email(errors, "email", fields["email"])
    if "notes" in fields:
        customer.notes = str(fields["notes"] or "")
    if "notify_channel" in fields:
        channel = fields["notify_channel"] or ""
        if channel not in ("", "sms", "email", "console"):
            errors.add("notify_channel", _("Unknown channel."))
        elif channel == "email" and not (fields.get("email") or customer.email):
            errors.add("notify_channel", _("Give an e-mail address for messages by e-mail."))
        else:
            customer.notify_channel = channel
    if "language" in fields:
        language = fields["language"] or ""
        if language not in ("", "zh-hans", "en"):
            errors.add("language", _("Unknown language."))
        else:
            customer.language = language
    if "region" in fields or "station" in fields:
        new_station = fields.get("station", customer.station)
        # A new station without a region brings its own region.
        default_region = None if ("station" in fields and new_station) else customer.region
        region, station = _resolve_org(
            errors, actor, fields.get("region", default_region), new_station
        )
        customer.region, customer.station = region, station
    errors.raise_if_any()
    diff = changed(before, snapshot(customer, CUSTOMER_FIELDS))
    if not diff:
        return customer
    customer.version += 1
    customer.save(update_fields=[*diff.keys(), "version", "updated_at"])
    if "region" in diff or "station" in diff:
        customer.units.update(region=customer.region, station=customer.station)
    audit_record(actor=actor, action="customer.update", obj=customer, changes=diff)
    return customer


@transaction.atomic
def customer_reveal_phone(*, actor: User, customer: Customer, reason: str = "") -> str:
    """The full phone number, for a role that needs it; every reveal is audited."""
    require(actor, Perm.PHONE_REVEAL)
    audit_record(actor=actor, action="customer.reveal_phone", obj=customer, reason=reason)
    return customer.phone


@transaction.atomic
def contact_add(
    *, actor: User, customer: Customer, name: str, phone: str, title: str = ""
) -> Contact:
    require(actor, Perm.CUSTOMER_EDIT)
    errors = Errors()
    clean_name = v.clean_name(errors, "name", name, max_length=100)
    clean_phone = v.clean_phone(errors, "phone", phone)
    errors.raise_if_any()
    contact = Contact.objects.create(
        customer=customer, name=clean_name, phone=clean_phone, title=(title or "")[:100]
    )
    audit_record(
        actor=actor,
        action="customer.contact_add",
        obj=customer,
        changes={"contact": [None, {"name": clean_name, "id": contact.pk}]},
    )
    return contact


@transaction.atomic
def address_add(
    *,
    actor: User,
    customer: Customer,
    line: str,
    region: Region | int | None = None,
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    is_default: bool = False,
) -> Address:
    require(actor, Perm.CUSTOMER_EDIT)
    errors = Errors()
    clean_line = v.clean_name(errors, "line", line, max_length=300)
    lat, lng = v.clean_coordinates(errors, latitude, longitude)
    if isinstance(region, int):
        region = Region.objects.filter(company_id=company_of(actor), pk=region).first()
        if region is None:
            errors.add("region", _("Unknown region."))
    errors.raise_if_any()
    if is_default:
        customer.addresses.filter(is_default=True).update(is_default=False)
    address = Address.objects.create(
        customer=customer,
        line=clean_line,
        region=region or customer.region,
        postcode=(postcode or "")[:10],
        latitude=lat,
        longitude=lng,
        is_default=is_default or not customer.addresses.exists(),
    )
    audit_record(
        actor=actor,
        action="customer.address_add",
        obj=customer,
        changes={"address": [None, {"line": clean_line, "id": address.pk}]},
    )
    return address


@transaction.atomic
def consent_record(
    *, actor: User | None, customer: Customer, purpose: str, granted: bool, channel: str
) -> Consent:
    errors = Errors()
    if purpose not in ConsentPurpose.values:
        errors.add("purpose", _("Unknown consent purpose."))
    if channel not in ConsentChannel.values:
        errors.add("channel", _("Unknown channel."))
    errors.raise_if_any()
    if actor is not None:
        require(actor, Perm.CUSTOMER_EDIT)
    consent = Consent.objects.create(
        customer=customer, purpose=purpose, granted=granted, channel=channel, recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="customer.consent",
        obj=customer,
        changes={f"consent.{purpose}": [None, granted]},
    )
    return consent


def _clean_unit_fields(
    errors: Errors, actor: User, fields: dict[str, Any], current: InstalledUnit | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "serial" in fields:
        out["serial"] = v.clean_serial(errors, fields["serial"])
    if "product_model" in fields:
        pm = fields["product_model"]
        if isinstance(pm, int):
            pm = ProductModel.objects.filter(pk=pm, category__company_id=company_of(actor)).first()
        if not isinstance(pm, ProductModel) or pm.category.company_id != actor.company_id:
            errors.add("product_model", _("Unknown product model."))
            pm = None
        out["product_model"] = pm
    if "customer" in fields:
        cust = fields["customer"]
        cust_id = cust.pk if isinstance(cust, Customer) else cust
        found = customers_visible_to(actor).filter(pk=cust_id).first()
        if found is None:
            errors.add("customer", _("Unknown customer."))
        out["customer"] = found
    if "purchase_price" in fields:
        out["purchase_price"] = v.clean_price(errors, "purchase_price", fields["purchase_price"])
    if "use" in fields:
        out["use"] = v.clean_use(errors, fields["use"])
    for name in ("purchase_date", "invoice_date", "installation_date", "delivery_date"):
        if name in fields:
            out[name] = v.clean_date(errors, name, fields[name])
    if "voucher_no" in fields:
        voucher = str(fields["voucher_no"] or "").strip()
        if len(voucher) > 64:
            errors.add("voucher_no", _("At most %(n)d characters.") % {"n": 64})
        out["voucher_no"] = voucher
    if "status" in fields:
        out["status"] = v.clean_status(errors, fields["status"])
    if "address" in fields:
        addr = fields["address"]
        owner = out.get("customer") or (current.customer if current else None)
        if addr in (None, ""):
            out["address"] = None
        else:
            addr_id = addr.pk if isinstance(addr, Address) else addr
            found_addr = (
                Address.objects.filter(pk=addr_id, customer=owner).first() if owner else None
            )
            if found_addr is None:
                errors.add("address", _("The address does not belong to the owner."))
            out["address"] = found_addr

    def pick(name: str) -> dt.date | None:
        if name in out:
            return out[name]
        return getattr(current, name) if current else None

    v.check_unit_dates(
        errors, pick("purchase_date"), pick("invoice_date"), pick("installation_date")
    )
    delivery, bought = pick("delivery_date"), pick("purchase_date")
    if delivery and bought and delivery < bought:
        errors.add("delivery_date", _("Delivery cannot be before the purchase."))
    return out


def _duplicate_serial() -> Conflict:
    return Conflict(
        "duplicate_serial",
        _("A unit of this model with this serial number is already registered."),
    )


@transaction.atomic
def unit_create(
    *,
    actor: User,
    customer: Customer | int,
    product_model: ProductModel | int,
    serial: str,
    purchase_date: dt.date | str | None = None,
    invoice_date: dt.date | str | None = None,
    installation_date: dt.date | str | None = None,
    voucher_no: str = "",
    address: Address | int | None = None,
    delivery_date: dt.date | str | None = None,
    purchase_price: Decimal | str | None = None,
    use: str = "",
) -> InstalledUnit:
    require(actor, Perm.UNIT_EDIT)
    errors = Errors()
    values = _clean_unit_fields(
        errors,
        actor,
        {
            "customer": customer,
            "product_model": product_model,
            "serial": serial,
            "purchase_date": purchase_date,
            "invoice_date": invoice_date,
            "installation_date": installation_date,
            "voucher_no": voucher_no,
            "address": address,
            "delivery_date": delivery_date,
            "purchase_price": purchase_price,
            "use": use,
        },
        None,
    )
    errors.raise_if_any()
    owner: Customer = values["customer"]
    if values["address"] is None:
        values["address"] = owner.addresses.filter(is_default=True).first()
    if InstalledUnit.objects.filter(
        product_model=values["product_model"], serial=values["serial"]
    ).exists():
        raise _duplicate_serial()
    try:
        with transaction.atomic():
            unit = InstalledUnit.objects.create(
                company_id=company_of(actor),
                region=owner.region,
                station=owner.station,
                **values,
            )
    except IntegrityError as exc:  # a concurrent insert of the same serial
        raise _duplicate_serial() from exc
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        changes={k: [None, val] for k, val in snapshot(unit, UNIT_FIELDS).items()},
    )
    return unit


@transaction.atomic
def unit_update(
    *, actor: User, unit: InstalledUnit, version: int | None = None, **fields: Any
) -> InstalledUnit:
    require(actor, Perm.UNIT_EDIT)
    unit = InstalledUnit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, version)
    errors = Errors()
    for name in sorted(set(fields) - set(UNIT_FIELDS)):
        errors.add(name, _("This field cannot be changed here."))
    values = _clean_unit_fields(errors, actor, fields, unit)
    errors.raise_if_any()
    before = snapshot(unit, UNIT_FIELDS)
    for name, value in values.items():
        setattr(unit, name, value)
    if "customer" in values:
        unit.region, unit.station = unit.customer.region, unit.customer.station
    diff = changed(before, snapshot(unit, UNIT_FIELDS))
    if not diff:
        return unit
    if ("serial" in diff or "product_model" in diff) and (
        InstalledUnit.objects.filter(product_model=unit.product_model, serial=unit.serial)
        .exclude(pk=unit.pk)
        .exists()
    ):
        raise _duplicate_serial()
    unit.version += 1
    try:
        with transaction.atomic():
            unit.save(update_fields=[*diff.keys(), "region", "station", "version", "updated_at"])
    except IntegrityError as exc:
        raise _duplicate_serial() from exc
    audit_record(actor=actor, action="unit.update", obj=unit, changes=diff)
    return unit


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    require(actor, Perm.CUSTOMER_EDIT)
    delete_with_audit(actor=actor, obj=customer, fields=CUSTOMER_FIELDS)


@transaction.atomic
def unit_delete(*, actor: User, unit: InstalledUnit) -> None:
    require(actor, Perm.UNIT_EDIT)
    delete_with_audit(actor=actor, obj=unit, fields=UNIT_FIELDS)


@transaction.atomic
def unit_meter_record(
    *,
    actor: User | None,
    unit: InstalledUnit | int,
    kind: str,
    value: Decimal | int | str,
    read_on: dt.date,
    source: str,
    reference: str = "",
    meter_replaced: bool = False,
    note: str = "",
) -> MeterReading:
    """Record a meter reading (km or running hours) of a unit.

    Readings never go down: one lower than the reading before it (or higher than a later one,
    for a back-dated reading) is refused unless marked as a new meter. `actor` None is the
    system (an import, the portal on the customer's behalf); staff need the unit-edit right and
    the unit in their scope. The unit row is locked so two readings at once are ordered."""
    errors = Errors()
    if actor is not None:
        require(actor, Perm.UNIT_EDIT)
    unit_id = unit.pk if isinstance(unit, InstalledUnit) else unit
    base = InstalledUnit.objects.all() if actor is None else units_visible_to(actor)
    locked = base.select_for_update().filter(pk=unit_id).first()
    if locked is None:
        raise NotFound("not_found", _("Unknown unit."))
    if kind not in MeterKind.values:
        errors.add("kind", _("Choose kilometres or running hours."))
    if source not in MeterSource.values:
        errors.add("source", _("Unknown source of the reading."))
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        errors.add("value", _("Enter a number."))
        amount = Decimal(0)
    if not amount.is_finite() or amount >= Decimal("1e11"):
        errors.add("value", _("Enter a number."))
    if read_on > clock.today():
        errors.add("read_on", _("A reading cannot be dated in the future."))
    errors.raise_if_any()
    try:
        meters.check_new(
            meter_history(locked.pk, kind),
            meters.Reading(on=read_on, value=amount, replaced=meter_replaced),
        )
    except meters.MeterError as exc:
        messages = {
            "negative": _("A reading cannot be negative."),
            "lower": _(
                "The meter read %(bound)s before this date; a lower reading needs "
                "“new meter” ticked."
            ),
            "higher": _("A later reading is %(bound)s; this one cannot be higher."),
        }
        errors.add("value", messages[exc.code] % {"bound": exc.bound})
        errors.raise_if_any()
    reading = MeterReading.objects.create(
        unit=locked,
        kind=kind,
        value=amount,
        read_on=read_on,
        source=source,
        reference=(reference or "")[:64],
        meter_replaced=meter_replaced,
        note=(note or "")[:200],
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="unit.meter_reading",
        obj=locked,
        changes={"meter": [None, f"{kind} {amount} @ {read_on}"]},
    )
    for hook in METER_HOOKS:
        transaction.on_commit(partial(hook, reading.pk))
    return reading


# Functions (taking the reading's id) run after a reading is committed: higher apps (the
# maintenance plans) register theirs in `AppConfig.ready()` to re-project due dates.
METER_HOOKS: list[Any] = []
