"""Service orders (服务工单), their events, pauses, escalations and service-level policies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.accounts.models import Company, Region, Station
from aftersales.catalog.models import FaultCode
from aftersales.core import clock
from aftersales.core.models import TransitionEvent
from aftersales.customers.models import Address, Customer, InstalledUnit
from aftersales.orders.choices import (
    FINAL,
    MET_FIELD,
    OPEN,
    PAUSED,
    REOPENABLE,
    TRANSITIONS,
    Channel,
    Clock,
    EventKind,
    Priority,
    ServiceType,
    Status,
)


class OrderSettings(models.Model):
    """Per-company knobs of the order flow."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="order_settings")
    # Escalation: level 1 (station manager) at this share of the goal, level 2 (service
    # manager) at the due time, level 3 (department head) at `head_ratio`.
    warn_ratio = models.FloatField(_("warn at share of the goal"), default=0.8)
    head_ratio = models.FloatField(_("department head at share of the goal"), default=1.5)
    reopen_days = models.PositiveIntegerField(_("reopen window (days)"), default=30)

    class Meta:
        verbose_name = _("order settings")
        verbose_name_plural = _("order settings")

    def __str__(self) -> str:
        return f"order settings of {self.company_id}"


class SlaPolicy(models.Model):
    """A service-level rule. Empty criteria match every order; the most specific match wins."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sla_policies")
    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True)
    service_type = models.CharField(
        _("service type"), max_length=16, choices=ServiceType.choices, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, null=True, blank=True
    )
    contract_level = models.CharField(_("contract level"), max_length=32, blank=True)
    respond_minutes = models.PositiveIntegerField(
        _("respond within (minutes)"), null=True, blank=True
    )
    respond_clock = models.CharField(
        _("first response clock"), max_length=16, choices=Clock.choices, default=Clock.WORKING
    )
    arrive_minutes = models.PositiveIntegerField(
        _("arrive within (minutes)"), null=True, blank=True
    )
    arrive_clock = models.CharField(
        _("arrival clock"), max_length=16, choices=Clock.choices, default=Clock.WORKING
    )
    resolve_minutes = models.PositiveIntegerField(
        _("resolve within (minutes)"), null=True, blank=True
    )
    resolve_clock = models.CharField(
        _("resolution clock"), max_length=16, choices=Clock.choices, default=Clock.WORKING
    )
    rank = models.PositiveIntegerField(_("rank"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name, in the reader's language while it is still a default rule's name."""
        return str(DEFAULT_POLICY_NAMES.get(self.name, self.name))


# The names the default rules (orders/sla.py) are seeded with, as each language reads them.
DEFAULT_POLICY_NAMES = {
    "High priority": _("High priority"),
    "Medium priority": _("Medium priority"),
    "Low priority": _("Low priority"),
}


class ServiceOrder(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order no."), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    # The status to return to when a pause ends.
    status_before_pause = models.CharField(max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    service_type = models.CharField(_("service type"), max_length=16, choices=ServiceType.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    unit = models.ForeignKey(
        InstalledUnit,
        verbose_name=pgettext_lazy("installed unit", "unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.SET_NULL, null=True, blank=True
    )
    fault_description = models.TextField(_("fault description"), blank=True)
    fault_code = models.ForeignKey(
        FaultCode, verbose_name=_("fault code"), on_delete=models.PROTECT, null=True, blank=True
    )
    contract_level = models.CharField(_("contract level"), max_length=32, blank=True)
    preferred_start = models.DateTimeField(_("preferred visit from"), null=True, blank=True)
    preferred_end = models.DateTimeField(_("preferred visit until"), null=True, blank=True)
    # The appointment promised to the customer: the technician arrives inside this window.
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    # Planning inputs: time on site (None: the company's default for the service type) and
    # the skills needed, {skill code: minimum level}.
    duration_minutes = models.PositiveIntegerField(
        _("time on site (minutes)"), null=True, blank=True
    )
    required_skills = models.JSONField(_("skills needed"), default=dict, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    station = models.ForeignKey(
        Station,
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_orders",
    )
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    # Goals copied from the policy when the order was taken (a later policy edit does not move
    # the due times of orders already promised): {"respond": [minutes, clock], ...}
    sla_goals = models.JSONField(default=dict, blank=True)
    respond_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    arrive_due = models.DateTimeField(_("arrive by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    due_provisional = models.BooleanField(_("provisional due times"), default=False)
    # The earliest moment the escalation job has something to do for this order.
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # Highest escalation level reached per target: {"respond": 2}
    escalation = models.JSONField(default=dict, blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    reopened_from = models.ForeignKey(
        "self",
        verbose_name=_("reopened from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopenings",
        db_index=False,  # partial index below: nearly every row is NULL
    )
    # The 三包 decision at intake (re-evaluated when the facts change; a service manager may
    # override it with a reason): return / exchange / free_repair / paid_repair, or
    # "undetermined" when the facts do not allow a decision.
    warranty_decision = models.CharField(_("warranty decision"), max_length=16, blank=True)
    warranty_detail = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "idempotency_key"], name="order_idempotency_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "id"], name="order_company_idx"),
            models.Index(fields=["region", "id"], name="order_region_idx"),
            models.Index(fields=["station", "id"], name="order_station_idx"),
            models.Index(fields=["technician", "id"], name="order_technician_idx"),
            models.Index(fields=["company", "status", "id"], name="order_status_idx"),
            models.Index(fields=["station", "status", "id"], name="order_station_status_idx"),
            models.Index(fields=["unit", "status"], name="order_unit_idx"),
            models.Index(fields=["customer", "id"], name="order_customer_idx"),
            models.Index(fields=["company", "number"], name="order_number_idx"),
            models.Index(fields=["next_escalation_at"], name="order_escalation_idx"),
            # A plain index on a column that is NULL in nearly every row misleads SQLite's
            # planner into a full scan (measured: 370 ms at 1M orders); a partial one does not.
            models.Index(
                fields=["reopened_from"],
                name="order_reopened_from_idx",
                condition=models.Q(reopened_from__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    # Guards: the transition table says what may happen in which status.
    def can(self, action: str) -> bool:
        if action == "reopen":
            return self.status in REOPENABLE
        allowed_from, _to = TRANSITIONS[action]
        return self.status in allowed_from

    def allowed_actions(self) -> list[str]:
        return [a for a in [*TRANSITIONS, "reopen"] if self.can(a)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_paused(self) -> bool:
        return self.status in PAUSED

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def target_state(self, target: str, now: Any = None) -> str:
        """met / met_late / breached / due / paused / none, for one target."""
        now = now or clock.now()
        due = getattr(self, f"{target}_due")
        done = getattr(self, MET_FIELD[target])
        if done is not None:
            if due is None or done <= due:
                return "met"
            return "met_late"
        if self.status == Status.CANCELLED:
            return "none"
        if target not in (self.sla_goals or {}):
            return "none"
        if self.is_paused or due is None:
            return "paused"
        return "breached" if due < now else "due"

    def service_level_state(self, now: Any = None) -> str:
        """For lists: breached (a due time passed) / due_soon (an escalation step is due) /
        paused / "" (on track or nothing to measure)."""
        now = now or clock.now()
        states = [self.target_state(t, now) for t in MET_FIELD]
        if "breached" in states:
            return "breached"
        if self.next_escalation_at is not None and self.next_escalation_at <= now:
            return "due_soon"
        if "paused" in states:
            return "paused"
        return ""

    @property
    def breached(self) -> bool:
        return any(self.target_state(t) == "breached" for t in MET_FIELD)


class OrderEvent(TransitionEvent):
    """One thing that happened to an order: never updated, never deleted. On the kernel's
    event base; `kind` sorts the rows (a transition, an edit, a note, ...)."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="events")
    # A transition written by `transitions.apply()` is a TRANSITION; the other writers
    # (`order_event`) say their kind.
    kind = models.CharField(
        _("kind"), max_length=20, choices=EventKind.choices, default=EventKind.TRANSITION
    )
    action = models.CharField(_("action"), max_length=32, blank=True)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["order", "at"], name="order_event_idx")]

    @property
    def from_label(self) -> str:
        return str(Status(self.from_status).label) if self.from_status else ""

    @property
    def to_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status else ""


class OrderPause(models.Model):
    """A stretch in which the service-level clock stood still."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="pauses")
    status = models.CharField(max_length=20, choices=Status.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} {self.started_at:%Y-%m-%d %H:%M}"


class OrderEscalation(models.Model):
    """One escalation step taken; the unique constraint makes the job idempotent."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="escalations")
    target = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()
    # The due time this step was computed against (evidence; each level is taken once per
    # target, even if a pause or a calendar change later moves the due time).
    due = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "target", "level"], name="order_escalation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} level {self.level}"


class SavedView(models.Model):
    """A user's named filter of the order list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=500)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderAttachment(models.Model):
    """An image attached at intake, re-encoded and stored under a generated name outside the
    static root; served only to users who may see the order."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now, editable=False)

    def __str__(self) -> str:
        return self.original_name
