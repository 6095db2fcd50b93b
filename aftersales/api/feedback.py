"""Follow-ups (回访) and complaints (投诉) over the API: the same actions as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.api.types import PageParams, known_filter, page_of
from aftersales.core.errors import NotFound
from aftersales.core.selectors import get_visible
from aftersales.feedback import actions, rules
from aftersales.feedback.choices import ComplaintStatus
from aftersales.feedback.selectors import (
    complaints_visible_to,
    follow_up_queue,
    follow_ups_visible_to,
)

router = Router(tags=["follow-up and complaints"])


class FollowUpOut(Schema):
    id: int
    order_id: int
    order_number: str
    status: str
    due_at: dt.datetime
    attempts: int


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_after: int | None


class CallIn(Schema):
    outcome: str
    note: str = ""


class AnswersIn(Schema):
    answers: dict[str, Any]


class AmendIn(Schema):
    answers: dict[str, Any]
    reason: str


class ResultOut(Schema):
    id: int
    follow_up_id: int
    source: str
    answers: dict[str, Any]
    satisfaction: int | None
    fixed: bool | None
    amends_id: int | None
    at: dt.datetime


def _follow_up(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "order_id": row.order_id,
        "order_number": row.order.number,
        "status": row.status,
        "due_at": row.due_at,
        "attempts": row.attempts,
    }


@router.get("/follow-ups", response={200: FollowUpPage, **ERRORS})
def follow_up_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    """The open follow-ups in the caller's scope (each with its `due_at`)."""
    require(request.user, Perm.ORDER_FOLLOW_UP)
    return page_of(follow_up_queue(request.user), params, _follow_up)


@router.post("/follow-ups/{follow_up_id}/calls", response={200: FollowUpOut, **ERRORS})
def follow_up_call(request: AuthedRequest, follow_up_id: int, payload: CallIn) -> Any:
    row = actions.follow_up_call(
        actor=request.user,
        follow_up=follow_up_id,
        outcome=payload.outcome,
        note=payload.note,
    )
    return _follow_up(row)


@router.post("/follow-ups/{follow_up_id}/results", response={201: ResultOut, **ERRORS})
def follow_up_result(request: AuthedRequest, follow_up_id: int, payload: AnswersIn) -> Any:
    """The answers of the call, checked against the script (422 lists what is missing)."""
    row = actions.follow_up_record(
        actor=request.user,
        follow_up=follow_up_id,
        answers=payload.answers,
    )
    return Status(201, row)


@router.post("/follow-up-results/{result_id}/amend", response={201: ResultOut, **ERRORS})
def follow_up_amend(request: AuthedRequest, result_id: int, payload: AmendIn) -> Any:
    """A correction: a new result that amends this one (which stays as it was)."""
    require(request.user, Perm.ORDER_FOLLOW_UP)
    visible = follow_ups_visible_to(request.user).filter(results__pk=result_id).exists()
    if not visible:
        raise NotFound("not_found", _("Not found."))
    row = actions.follow_up_amend(
        actor=request.user,
        result=result_id,
        answers=payload.answers,
        reason=payload.reason,
    )
    return Status(201, row)


class ComplaintIn(Schema):
    customer_id: int
    order_id: int | None = None
    source: str = "hotline"
    category: str
    severity: str = "medium"
    description: str


class ComplaintOut(Schema):
    id: int
    number: str
    status: str
    customer_id: int
    order_id: int | None
    technician_id: int | None
    station_id: int | None
    source: str
    category: str
    severity: str
    description: str
    due_at: dt.datetime
    escalation_level: int
    is_repeat: bool
    valid: bool
    solution: str
    customer_feedback: str
    outcome: str
    version: int


class ComplaintPage(Schema):
    items: list[ComplaintOut]
    next_after: int | None


class ComplaintStepIn(Schema):
    text: str = ""
    version: int | None = None


@router.get("/complaints", response={200: ComplaintPage, **ERRORS})
def complaint_list(request: AuthedRequest, params: Query[PageParams], status: str = "open") -> Any:
    require(request.user, Perm.COMPLAINT_HANDLE)
    known_filter("status", status, ["open", "all", *ComplaintStatus.values])
    qs = complaints_visible_to(request.user)
    if status == "open":
        qs = qs.filter(status__in=rules.OPEN_COMPLAINT)
    elif status != "all":
        qs = qs.filter(status=status)
    return page_of(qs, params)


@router.post("/complaints", response={201: ComplaintOut, **ERRORS})
def complaint_create(request: AuthedRequest, payload: ComplaintIn) -> Any:
    row = actions.complaint_create(
        actor=request.user,
        customer=payload.customer_id,
        order=payload.order_id,
        source=payload.source,
        category=payload.category,
        severity=payload.severity,
        description=payload.description,
    )
    return Status(201, row)


@router.get("/complaints/{complaint_id}", response={200: ComplaintOut, **ERRORS})
def complaint_get(request: AuthedRequest, complaint_id: int) -> Any:
    require(request.user, Perm.COMPLAINT_HANDLE)
    return get_visible(complaints_visible_to(request.user), complaint_id)


@router.post("/complaints/{complaint_id}/{action}", response={200: ComplaintOut, **ERRORS})
def complaint_step(
    request: AuthedRequest, complaint_id: int, action: str, payload: ComplaintStepIn
) -> Any:
    """investigate, propose, feedback-accepted, feedback-rejected, escalate, close (409
    `illegal_transition` from the wrong status; the solution, feedback, outcome or reason
    in `text`); invalidate / validate judge the complaint (permission `assessment.edit`,
    the reason in `text`): an invalid complaint does not count in the KPIs."""
    if action in actions.VALIDITY_ACTIONS:
        return actions.complaint_validity_set(
            actor=request.user,
            complaint=complaint_id,
            valid=actions.VALIDITY_ACTIONS[action],
            reason=payload.text,
            version=payload.version,
        )
    return actions.complaint_transition(
        actor=request.user,
        complaint=complaint_id,
        action=action.replace("-", "_"),
        text=payload.text,
        version=payload.version,
    )
