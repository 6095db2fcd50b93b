"""The one exception type for rule violations, turned into a 4xx by the web and API layers."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request that breaks a rule: carries a machine code, a translated message and a status.

    `message` may be a lazy translation; it is rendered in the language of the request that
    receives the error.
    """

    status = 400

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(code))
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(ApplicationError):
    status = 404


class PermissionDenied(ApplicationError):
    status = 403


class Conflict(ApplicationError):
    status = 409


def check_version(obj: Any, version: Any, message: Any) -> None:
    """Optimistic locking: refuse (409 `stale_version`) an edit made from an older read."""
    if version is not None and int(version) != obj.version:
        raise Conflict("stale_version", message, details={"current_version": obj.version})
