"""Reads of customers and units, always through the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aftersales.accounts.selectors import scope
from aftersales.core.phones import normalize_phone
from aftersales.core.selectors import SEARCH_CAP, matching_ids
from aftersales.customers import meters, search
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


def _phone_digits(text: str) -> str:
    """The digits of a query that is a phone number (or part of one), else ""."""
    digits = normalize_phone(text)
    if digits and digits == text.replace(" ", "").replace("-", "").lstrip("+"):
        return digits
    return ""


# A name of one or two characters (a surname, a company's short name) matches thousands of
# customers at scale, and collecting them is the cost (at 1M units: p95 300-900 ms for 5,000
# ids): such a search collects at most this many, and the list asks to refine it.
SHORT_NAME_CAP = 500


def is_short_name(query: str) -> bool:
    """One or two characters that are not digits: a surname or a short name."""
    text = (query or "").strip()
    return 0 < len(text) <= 2 and not _phone_digits(text)


def search_is_capped(query: str, found: int) -> bool:
    """Whether a list searched for `query` shows only the first matches (refine the search)."""
    return is_short_name(query) and found >= SHORT_NAME_CAP


def search_cap(query: str) -> int:
    """How many ids a search for `query` collects: fewer for a short name."""
    return SHORT_NAME_CAP if is_short_name(query) else SEARCH_CAP


def customers_by_name(qs: QuerySet[Customer], text: str) -> list[QuerySet[Customer]]:
    """The indexed lookups for customers of `qs` whose name starts with `text` or (two
    characters or more) contains it: one queryset each, to be UNIONed (not ORed)."""
    parts = [qs.filter(prefix_q("name", text))]
    if len(text) >= 2:
        parts.append(search.contains(qs, "name", text))
    return parts


def customer_ids_by_name(qs: QuerySet[Customer], text: str) -> list[int]:
    """The customers of `qs` (already in the caller's scope) whose name starts with `text` or
    contains it: the newest `search_cap(text)` of them."""
    parts = [names.values("pk") for names in customers_by_name(qs, text)]
    return matching_ids(*parts, cap=search_cap(text), newest=True)


def customer_search(user: Any, query: str) -> QuerySet[Customer]:
    """As agents search: by phone (prefix of the digits, or the last four digits), or by name
    (prefix, or any part: a company's short name). Empty query: everything in scope."""
    qs = customers_visible_to(user)
    text = (query or "").strip()
    if not text:
        return qs
    digits = _phone_digits(text)
    if digits and len(digits) >= 3:
        parts = [qs.filter(prefix_q("phone", digits)).values("pk")]
        if len(digits) == 4:
            parts.append(search.phone_ends_with(qs, digits).values("pk"))
        return qs.filter(pk__in=matching_ids(*parts))
    return qs.filter(pk__in=customer_ids_by_name(qs, text))


def unit_search(user: Any, query: str) -> QuerySet[InstalledUnit]:
    """By serial number (prefix, or any part of three characters or more), or the owner's
    phone (prefix, last four digits) or name (prefix, any part)."""
    return unit_search_capped(user, query)[0]


def unit_search_capped(user: Any, query: str) -> tuple[QuerySet[InstalledUnit], bool]:
    """`unit_search`, and whether a short name's owners reached the cap (the list then asks
    to refine the search): the cap is on owners, so counting the units they own would say
    so for 250 owners of two units each."""
    qs = units_visible_to(user)
    text = (query or "").strip()
    if not text:
        return qs, False
    serial = text.upper().replace(" ", "")
    parts = [qs.filter(prefix_q("serial", serial)).values("pk")]
    if serial.isascii() and len(serial) >= (5 if serial.isdigit() else 3):
        # Four digits are the last of a phone; a middle part of a serial is read out longer
        # (a 4-digit part matches thousands of serials at scale).
        parts.append(search.contains(qs, "serial", serial).values("pk"))
    owners = list(customer_search(user, text).values_list("pk", flat=True)[: search_cap(text)])
    if owners:
        parts.append(qs.filter(customer_id__in=owners).values("pk"))
    # Indexed lookups; an OR of the IN-subqueries makes PostgreSQL scan the whole table
    # (measured: 360 ms at 1M units).
    return qs.filter(pk__in=matching_ids(*parts)), search_is_capped(text, len(owners))


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
