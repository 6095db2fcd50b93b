"""Statuses and choices of follow-ups and complaints."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.transitions import Machine
from aftersales.feedback import rules


class FollowUpStatus(models.TextChoices):
    # 待回访: due, in the agents' queue.
    OPEN = "open", _("To follow up")
    # 已回访: a result is recorded (by call or the customer's survey).
    DONE = "done", _("Followed up")
    # 无法联系: not reached after the configured number of attempts.
    UNREACHABLE = "unreachable", _("Unreachable")


class AttemptOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Asked to call back")


class ResultSource(models.TextChoices):
    CALL = "call", _("Phone call")
    SURVEY = "survey", _("Survey link")


class ComplaintStatus(models.TextChoices):
    # 已受理
    RECEIVED = "received", pgettext_lazy("complaint", "Received")
    # 调查中
    INVESTIGATING = "investigating", _("Investigating")
    # 已提出方案
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    # 客户已反馈（接受方案）
    CUSTOMER_FEEDBACK = "customer_feedback", _("Customer feedback")
    # 已升级: handed to the next level.
    ESCALATED = "escalated", _("Escalated")
    # 已关闭: the outcome told to the customer.
    CLOSED = "closed", _("Closed")


class ComplaintSource(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    PORTAL = "portal", _("Portal")
    SURVEY = "survey", _("Survey")
    FOLLOW_UP = "follow_up", _("Follow-up call")
    AGENT = "agent", _("Agent")


class ComplaintCategory(models.TextChoices):
    ATTITUDE = "attitude", _("Service attitude")
    QUALITY = "quality", _("Quality")
    DELAY = "delay", _("Delay")
    CHARGES = "charges", _("Charges")
    PARTS = "parts", _("Parts")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# The complaint lifecycle on the transition kernel (`core/transitions.py`); the table itself
# stays in `rules.COMPLAINT_TRANSITIONS` (pure, tested there).
COMPLAINT_MACHINE = Machine(
    name="complaint",
    statuses=dict(ComplaintStatus.choices),
    table=rules.COMPLAINT_TRANSITIONS,
    labels={
        "investigate": _("Investigate"),
        "propose": _("Propose a solution"),
        "feedback_accepted": _("Customer accepts"),
        "feedback_rejected": _("Customer does not accept"),
        "escalate": _("Escalate"),
        "close": _("Close and tell the customer"),
    },
)
