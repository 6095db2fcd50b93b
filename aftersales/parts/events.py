"""The parts request's and the old-part return's event writers, through the kernel's
`record()` (transitions go through `transitions.apply()` in the actions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.core.transitions import record
from aftersales.parts.models import PartsRequest, PartsRequestEvent, ReturnEvent, ReturnObligation


def request_event(
    request: PartsRequest,
    *,
    actor: Any,
    action: str,
    from_status: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """One row of a request's history; `to_status` is the request's status now."""
    record(
        PartsRequestEvent,
        subject_field="request",
        subject=request,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=request.status,
        reason=reason[:500],
        payload=payload,
        at=at,
    )


def return_event(
    row: ReturnObligation,
    *,
    actor: Any,
    action: str,
    from_status: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
) -> None:
    """One row of an old-part return's history; `to_status` is its status now."""
    record(
        ReturnEvent,
        subject_field="obligation",
        subject=row,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=row.status,
        reason=reason[:500],
        at=at,
    )
