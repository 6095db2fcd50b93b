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
