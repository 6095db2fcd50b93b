"""Phone numbers: normalisation for lookup and masking for display (138****5678)."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[^0-9]")


def normalize_phone(raw: str) -> str:
    """Digits only, without a leading +86 / 0086 country code."""
    digits = _NON_DIGITS.sub("", raw or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def is_valid_phone(digits: str) -> bool:
    """A mainland mobile (11 digits from 1) or a landline with area code (10-12 digits from 0)."""
    if re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return True
    return bool(re.fullmatch(r"0[1-9][0-9]{8,10}", digits))


def mask_phone(digits: str) -> str:
    """Keep the first three and last four digits: 13812345678 -> 138****5678."""
    if not digits:
        return ""
    if len(digits) <= 7:
        return (
            digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
            if len(digits) > 2
            else "*" * len(digits)
        )
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
