"""Reads of follow-ups and complaints, always through the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.accounts.selectors import scope
from aftersales.feedback import rules
from aftersales.feedback.choices import FollowUpStatus
from aftersales.feedback.models import Complaint, FeedbackSettings, FollowUp
from aftersales.orders.selectors import orders_visible_to


def follow_ups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(order__in=orders_visible_to(user))


def follow_up_queue(user: Any) -> QuerySet[FollowUp]:
    """Open follow-ups, most urgent first (the agents' queue)."""
    return (
        follow_ups_visible_to(user)
        .filter(status=FollowUpStatus.OPEN)
        .select_related("order__customer", "order__technician", "order__station")
        .order_by("due_at", "id")
    )


def complaints_visible_to(user: Any) -> QuerySet[Complaint]:
    """Company, region (through the station) or station scope; technicians see none."""
    if getattr(user, "role", None) == "technician":
        return Complaint.objects.none()
    return scope(user, Complaint.objects.all(), region_field="station__region")


def feedback_settings(company_id: int) -> FeedbackSettings:
    """The company's settings, or the defaults (unsaved) until someone changes them."""
    found = FeedbackSettings.objects.filter(company_id=company_id).first()
    return found or FeedbackSettings(company_id=company_id)


def questions_of(company_id: int) -> list[dict[str, Any]]:
    """The company's follow-up script (a copy, as it is asked now)."""
    questions = feedback_settings(company_id).questions or rules.DEFAULT_QUESTIONS
    return [dict(q) for q in questions]


def script(company_id: int, language: str) -> list[dict[str, Any]]:
    """The script with each question's text in `language` (else Chinese, else English)."""
    return [
        {**q, "text": q.get(language) or q.get("zh-hans") or q.get("en") or q["code"]}
        for q in questions_of(company_id)
    ]


def answers_from(form: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """A form's answers by question code (checked by the actions)."""
    return {q["code"]: form.get(q["code"]) for q in questions}
