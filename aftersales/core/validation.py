"""Field validation errors collected by actions and reported together (code `invalid`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import ApplicationError


class ValidationFailed(ApplicationError):
    status = 422

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(
            "invalid", _("Some fields are not valid."), details={"fields": dict(errors)}
        )
        self.errors = errors


class Errors:
    """Collects field errors; `raise_if_any()` raises one ValidationFailed with all of them."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    def add(self, field: str, message: Any) -> None:
        self.fields.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)

    def __bool__(self) -> bool:
        return bool(self.fields)


def set_whole_numbers(
    row: Any, changes: dict[str, Any], ranges: dict[str, tuple[int, int]], errors: Errors
) -> None:
    """For each of `ranges` present in `changes`: set it on `row` when it is a whole number in
    its range, else add an error naming the range."""
    for name, (low, high) in ranges.items():
        if name not in changes:
            continue
        try:
            value = int(changes[name])
        except (TypeError, ValueError):
            value = low - 1
        if not low <= value <= high:
            errors.add(name, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
        else:
            setattr(row, name, value)
