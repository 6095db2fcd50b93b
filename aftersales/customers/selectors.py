"""Reads of customers and units, always through the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aftersales.accounts.selectors import scope
from aftersales.core.phones import normalize_phone
from aftersales.core.selectors import matching_ids
from aftersales.customers import meters
from aftersales.customers.models import Consent, Customer, InstalledUnit, MeterReading

# The highest code point: "abc" <= x < "abc" + PREFIX_END selects every string starting with
# "abc" by a range on a plain B-tree index (works on SQLite and PostgreSQL alike).
PREFIX_END = "\U0010ffff"


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    return scope(user, Customer.objects.all())


def units_visible_to(user: Any) -> QuerySet[InstalledUnit]:
    return scope(user, InstalledUnit.objects.all())


def prefix_q(field: str, text: str) -> Q:
    """`field` starts with `text`, as a range the B-tree index answers."""
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + PREFIX_END})


def customer_search(user: Any, query: str) -> QuerySet[Customer]:
    """By phone (prefix of the digits), or name (prefix). Empty query: everything in scope."""
    qs = customers_visible_to(user)
    text = (query or "").strip()
    if not text:
        return qs
    digits = normalize_phone(text)
    if digits and len(digits) >= 3 and digits == text.replace(" ", "").replace("-", "").lstrip("+"):
        return qs.filter(prefix_q("phone", digits))
    return qs.filter(prefix_q("name", text))


def unit_search(user: Any, query: str) -> QuerySet[InstalledUnit]:
    """By serial number (prefix), or the owner's phone or name."""
    qs = units_visible_to(user)
    text = (query or "").strip()
    if not text:
        return qs
    serial = text.upper()
    by_serial = qs.filter(prefix_q("serial", serial)).values("pk")
    by_owner = qs.filter(customer__in=customer_search(user, text).values("pk")).values("pk")
    # Two indexed lookups; an OR of the two IN-subqueries makes PostgreSQL scan the whole
    # table (measured: 360 ms at 1M units).
    return qs.filter(pk__in=matching_ids(by_serial, by_owner))


def consent_in_force(customer: Customer, purpose: str) -> bool | None:
    """The newest consent for this purpose, or None if never asked."""
    row = Consent.objects.filter(customer=customer, purpose=purpose).order_by("-at", "-id").first()
    return None if row is None else row.granted


def meter_history(unit: InstalledUnit | int, kind: str) -> list[meters.Reading]:
    """The unit's readings of one meter as plain data for the pure rules (oldest first)."""
    unit_id = unit.pk if isinstance(unit, InstalledUnit) else unit
    return [
        meters.Reading(on=r.read_on, value=r.value, replaced=r.meter_replaced, seq=r.pk)
        for r in MeterReading.objects.filter(unit_id=unit_id, kind=kind).order_by("read_on", "id")
    ]


def latest_meter(unit: InstalledUnit | int, kind: str) -> MeterReading | None:
    """The newest reading of the unit's meter (by date, then entry), or None."""
    unit_id = unit.pk if isinstance(unit, InstalledUnit) else unit
    return (
        MeterReading.objects.filter(unit_id=unit_id, kind=kind).order_by("-read_on", "-id").first()
    )
