"""The complaint's event writer: one row per thing that happened, through the kernel's
`record()` (the transitions themselves go through `transitions.apply()` in the actions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.core.transitions import record
from aftersales.feedback.models import Complaint, ComplaintEvent


def complaint_event(
    complaint: Complaint,
    *,
    actor: Any,
    action: str,
    before: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ComplaintEvent:
    """A step that changes no status (received, a deadline escalation): `to_status` is the
    complaint's status now, `from_status` what the caller says it was."""
    event = record(
        ComplaintEvent,
        subject_field="complaint",
        subject=complaint,
        actor=actor,
        action=action,
        from_status=before,
        to_status=complaint.status,
        reason=reason,
        payload=payload,
        at=at,
    )
    assert isinstance(event, ComplaintEvent)
    return event
