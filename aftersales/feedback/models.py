"""Follow-ups (回访): the task per completed order, its call attempts, its results (never
edited, amended by a newer row), the survey invitations; complaints (投诉) and their events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Station
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel, TransitionEvent
from aftersales.customers.models import Customer
from aftersales.feedback import rules
from aftersales.feedback.choices import (
    COMPLAINT_MACHINE,
    AttemptOutcome,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    FollowUpStatus,
    ResultSource,
    Severity,
)
from aftersales.orders.models import ServiceOrder


def _default_questions() -> list[dict[str, str]]:
    return [dict(q) for q in rules.DEFAULT_QUESTIONS]


class FeedbackSettings(models.Model):
    """Per-company knobs of follow-up and complaints (defaults until changed)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    # {"default": 48, "installation": 72, ...}: hours after completion.
    due_hours = models.JSONField(
        _("follow-up due (hours by service type)"), default=dict, blank=True
    )
    max_attempts = models.PositiveIntegerField(_("calls before unreachable"), default=3)
    low_score = models.PositiveIntegerField(
        _("a satisfaction at or below opens a complaint"), default=2
    )
    survey_days = models.PositiveIntegerField(_("survey link valid (days)"), default=7)
    questions = models.JSONField(_("follow-up script"), default=_default_questions)
    # {"high": 480, ...}: working minutes to resolve a complaint.
    complaint_minutes = models.JSONField(
        _("complaint deadlines (working minutes)"), default=dict, blank=True
    )
    repeat_days = models.PositiveIntegerField(_("repeat complaint window (days)"), default=90)

    class Meta:
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")

    def __str__(self) -> str:
        return f"feedback settings of {self.company_id}"


class FollowUp(models.Model):
    """The follow-up task of one completed order: exactly one per order."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="follow_up")
    status = models.CharField(
        _("status"), max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    due_at = models.DateTimeField(_("due"))
    attempts = models.PositiveIntegerField(_("calls"), default=0)
    created_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("follow-up")
        indexes = [models.Index(fields=["company", "status", "due_at"], name="follow_up_queue_idx")]

    def __str__(self) -> str:
        return f"follow-up of {self.order_id}"


class FollowUpAttempt(AppendOnlyModel):
    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="calls")
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class FollowUpResult(AppendOnlyModel):
    """What the customer said. Never edited: a correction is a new row that amends this one."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="results")
    source = models.CharField(_("source"), max_length=16, choices=ResultSource.choices)
    answers = models.JSONField(_("answers"))
    # The script as it was asked (questions change; the record keeps what was asked).
    questions = models.JSONField(default=list)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    fixed = models.BooleanField(_("fixed"), null=True)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    reason = models.CharField(_("reason for the amendment"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]


class SurveyInvite(models.Model):
    """A survey link sent to the customer: single use, expires."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="invites")
    nonce = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"invite {self.nonce[:6]}…"


class Complaint(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("complaint no."), max_length=32)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="complaints")
    order = models.ForeignKey(
        ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    source = models.CharField(_("source"), max_length=16, choices=ComplaintSource.choices)
    category = models.CharField(_("category"), max_length=16, choices=ComplaintCategory.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    due_at = models.DateTimeField(_("answer by"))
    goal_minutes = models.PositiveIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    solution = models.TextField(_("solution"), blank=True)
    customer_feedback = models.TextField(_("customer's feedback"), blank=True)
    outcome = models.TextField(_("outcome told to the customer"), blank=True)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    # Judged invalid (not the service's fault, a duplicate, ...): kept, but not counted in the
    # KPIs or the assessment. Set only by `complaint_validity_set` (an event each time).
    valid = models.BooleanField(_("valid complaint"), default=True)
    # The follow-up whose answers opened it (one automatic complaint per follow-up).
    follow_up = models.OneToOneField(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="complaint"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("complaint")
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="complaint_number_unique")
        ]
        indexes = [
            models.Index(fields=["company", "status", "due_at"], name="complaint_queue_idx"),
            models.Index(fields=["customer", "created_at"], name="complaint_customer_idx"),
            models.Index(fields=["next_escalation_at"], name="complaint_escalation_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_COMPLAINT

    def can(self, action: str) -> bool:
        return COMPLAINT_MACHINE.can(self.status, action)


class ComplaintEvent(TransitionEvent):
    """The complaint's history on the kernel's event base (`core.models.TransitionEvent`)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_idx")]
