"""Field rules for customers and units, shared by create and update actions and the importer."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from aftersales.core import clock
from aftersales.core.characters import bad_character
from aftersales.core.phones import is_valid_phone, normalize_phone
from aftersales.core.validation import Errors
from aftersales.customers.choices import CustomerKind, UnitStatus, UnitUse

SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{0,63}$")


def clean_name(errors: Errors, field: str, value: Any, *, max_length: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        errors.add(field, _("This field is required."))
    elif len(text) > max_length:
        errors.add(field, _("At most %(n)d characters.") % {"n": max_length})
    elif bad_character(text):
        errors.add(field, _("Control characters are not allowed."))
    return text


def clean_phone(errors: Errors, field: str, value: Any, *, required: bool = True) -> str:
    digits = normalize_phone(str(value or ""))
    if not digits:
        if required:
            errors.add(field, _("This field is required."))
        return ""
    if not is_valid_phone(digits):
        errors.add(field, _("Not a valid phone number."))
    return digits


def clean_email(errors: Errors, field: str, value: Any) -> str:
    text = str(value or "").strip()
    if text:
        try:
            validate_email(text)
        except DjangoValidationError:
            errors.add(field, _("Not a valid e-mail address."))
    return text


def clean_kind(errors: Errors, value: Any) -> str:
    kind = str(value or CustomerKind.PERSON)
    if kind not in CustomerKind.values:
        errors.add("kind", _("Unknown customer kind."))
    return kind


def clean_coordinates(errors: Errors, lat: Any, lng: Any) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        flat, flng = float(lat), float(lng)
    except (TypeError, ValueError):
        errors.add("latitude", _("Coordinates must be numbers."))
        return None, None
    if not (-90 <= flat <= 90 and -180 <= flng <= 180):
        errors.add("latitude", _("Coordinates are out of range."))
    return flat, flng


def clean_serial(errors: Errors, value: Any) -> str:
    serial = str(value or "").strip().upper()
    if not serial:
        errors.add("serial", _("This field is required."))
    elif not SERIAL_RE.match(serial):
        errors.add(
            "serial",
            _("A serial number has 1-64 letters, digits, '-', '/' or '.'."),
        )
    return serial


def clean_date(errors: Errors, field: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            errors.add(field, _("Not a valid date (YYYY-MM-DD)."))
            return None
    if value > clock.today():
        errors.add(field, _("The date is in the future."))
    if value.year < 1980:
        errors.add(field, _("The date is too far in the past."))
    return value


def check_unit_dates(
    errors: Errors,
    purchase: dt.date | None,
    invoice: dt.date | None,
    installation: dt.date | None,
) -> None:
    first = min((d for d in (purchase, invoice) if d), default=None)
    if installation and first and installation < first:
        errors.add("installation_date", _("Installation cannot be before the purchase."))


def clean_use(errors: Errors, value: Any) -> str:
    use = str(value or UnitUse.PRIVATE)
    if use not in UnitUse.values:
        errors.add("use", _("Unknown use."))
    return use


def clean_price(errors: Errors, field: str, value: Any) -> Decimal | None:
    """A price in yuan: not negative, at most 2 decimal places; empty is unknown."""
    if value in (None, ""):
        return None
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, _("Not a valid amount."))
        return None
    if not price.is_finite() or price < 0:
        errors.add(field, _("The amount cannot be negative."))
        return None
    if price != price.quantize(Decimal("0.01")):
        errors.add(field, _("At most 2 decimal places."))
        return None
    if price >= Decimal("10000000000"):
        errors.add(field, _("The amount is too large."))
        return None
    return price.quantize(Decimal("0.01"))


def clean_status(errors: Errors, value: Any) -> str:
    status = str(value or UnitStatus.IN_SERVICE)
    if status not in UnitStatus.values:
        errors.add("status", _("Unknown status."))
    return status
