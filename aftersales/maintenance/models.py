"""Maintenance plans (rules, levels, tasks), the services they generate, on-site checklists and
service contracts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.catalog.models import Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.models import TransitionEvent
from aftersales.customers.choices import MeterKind
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.maintenance.choices import (
    AcceptanceStatus,
    BlockReason,
    CampaignKind,
    CampaignStatus,
    ContractStatus,
    PlanStatus,
    RuleKind,
    ScheduleState,
    TaskKind,
    VisitState,
)
from aftersales.orders.choices import Priority
from aftersales.orders.models import ServiceOrder


class MaintenancePlan(models.Model):
    """A maintenance plan for a product model or a whole category (the model's plan wins); a
    unit may be given another plan, or none, by an override."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    product_model = models.ForeignKey(
        ProductModel,
        verbose_name=_("product model"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("product category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    meter_kind = models.CharField(
        _("meter"), max_length=8, choices=MeterKind.choices, default=MeterKind.HOURS
    )
    window_days = models.PositiveSmallIntegerField(_("window (± days)"), default=7)
    horizon_days = models.PositiveSmallIntegerField(_("create orders (days ahead)"), default=14)
    working_days_only = models.BooleanField(_("working days only"), default=True)
    blackout_months = models.JSONField(_("no visits in months"), default=list, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.LOW
    )
    # Generate only for units under an active service contract (the contract pays the visits).
    needs_contract = models.BooleanField(_("only under a service contract"), default=False)
    last_run_at = models.DateTimeField(_("last generation"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product_model__isnull=False) | Q(category__isnull=False),
                name="maint_plan_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanEvent(TransitionEvent):
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["plan", "at"], name="maint_plan_event_idx")]


class MaintenanceRule(models.Model):
    """First service (days from installation/sale or meter total) or periodic (every N months /
    days or meter, from the last done service), whichever comes first."""

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    days = models.PositiveIntegerField(_("after days"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("every months"), null=True, blank=True)
    meter = models.DecimalField(
        _("at / every meter"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    # On the nth weekday of the month (n 1..5, -1 last; weekday 0 Monday).
    nth = models.SmallIntegerField(_("nth weekday of the month"), null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)

    class Meta:
        verbose_name = _("maintenance rule")
        verbose_name_plural = _("maintenance rules")
        ordering = ["plan", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="maint_rule_kind_unique"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class MaintenanceLevel(models.Model):
    """A level of service (首保, 300 h, 600 h, ...): its task list and parts kit. A rule's level
    without a position is the base level; the others apply at a meter position (multiple of
    the interval) or on every nth service, the largest that fits winning."""

    rule = models.ForeignKey(MaintenanceRule, on_delete=models.CASCADE, related_name="levels")
    name = models.CharField(_("name"), max_length=100)
    at_meter = models.DecimalField(
        _("at meter position"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    every_nth = models.PositiveSmallIntegerField(_("every nth service"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        ordering = ["rule", "at_meter", "every_nth", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_base(self) -> bool:
        return self.at_meter is None and self.every_nth is None


class LevelTask(models.Model):
    level = models.ForeignKey(MaintenanceLevel, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=TaskKind.choices)
    text = models.CharField(_("task"), max_length=200)
    unit_label = models.CharField(_("unit of the value"), max_length=16, blank=True)
    low = models.DecimalField(_("lowest"), max_digits=12, decimal_places=3, null=True, blank=True)
    high = models.DecimalField(_("highest"), max_digits=12, decimal_places=3, null=True, blank=True)
    part = models.ForeignKey(
        Part, verbose_name=_("part"), on_delete=models.PROTECT, null=True, blank=True
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=Decimal(1)
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["level", "position", "id"]

    def __str__(self) -> str:
        return self.text


class UnitPlanOverride(models.Model):
    """A unit's own plan (or none: `plan` empty) and the customer's blackout months."""

    unit = models.OneToOneField(
        InstalledUnit, on_delete=models.CASCADE, related_name="maintenance_override"
    )
    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blackout_months = models.JSONField(_("no visits in months"), default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.plan_id}"


class UnitSchedule(models.Model):
    """The projection of a unit's next service under its plan (re-projected on every reading,
    service and generation run); the reason when it could not be ordered."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(InstalledUnit, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="schedules")
    seq = models.PositiveIntegerField(default=1)
    rule = models.ForeignKey(MaintenanceRule, on_delete=models.SET_NULL, null=True, blank=True)
    level = models.ForeignKey(MaintenanceLevel, on_delete=models.SET_NULL, null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    due_by = models.CharField(_("due by"), max_length=8, blank=True)
    meter_at = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ScheduleState.choices, default=ScheduleState.WAITING
    )
    reason = models.CharField(_("reason"), max_length=20, choices=BlockReason.choices, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "plan"], name="maint_schedule_unique"),
        ]
        indexes = [models.Index(fields=["plan", "state"], name="maint_schedule_state_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.due_on}"


class MaintenanceVisit(models.Model):
    """A service generated from a plan: the unit's `seq`-th service, its order, and whether it
    was done. One live row per unit, plan and service (a cancelled one is replaced)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(InstalledUnit, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.PROTECT, related_name="visits")
    rule = models.ForeignKey(MaintenanceRule, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(
        MaintenanceLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.PositiveIntegerField(_("service no."))
    attempt = models.PositiveSmallIntegerField(default=1)
    key = models.CharField(max_length=100, unique=True)
    order = models.OneToOneField(
        ServiceOrder, on_delete=models.PROTECT, related_name="maintenance_visit"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=VisitState.choices, default=VisitState.OPEN
    )
    due_on = models.DateField(_("due"))
    due_by = models.CharField(_("due by"), max_length=8)
    meter_at = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_meter = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("planned service")
        verbose_name_plural = _("planned services")
        ordering = ["unit", "seq", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "plan", "seq"],
                condition=~Q(state="cancelled"),
                name="maint_visit_live_unique",
            ),
        ]
        indexes = [models.Index(fields=["unit", "plan", "state"], name="maint_visit_unit_idx")]

    def __str__(self) -> str:
        return self.key


class GenerationRun(models.Model):
    """One generation run over one plan: what it created and why it could not (the log)."""

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    units = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    blocked = models.JSONField(default=dict, blank=True)  # reason -> count

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["plan", "started_at"], name="maint_run_plan_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.started_at:%Y-%m-%d %H:%M}"


class ChecklistEntry(models.Model):
    """The technician's answer to one task of the level on a planned service's visit."""

    visit = models.ForeignKey(MaintenanceVisit, on_delete=models.CASCADE, related_name="entries")
    task = models.ForeignKey(LevelTask, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField(_("done"), default=False)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3, null=True, blank=True)
    out_of_limits = models.BooleanField(_("out of limits"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    repair_order = models.ForeignKey(
        ServiceOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["visit", "task__position", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "task"], name="maint_checklist_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.task_id}"


class ServiceContract(models.Model):
    """A service contract (服务合同 / 维保合同): covered units, period, service levels, coverage,
    included visits and price."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("contract no."), max_length=32)
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    units = models.ManyToManyField(InstalledUnit, verbose_name=_("covered units"), blank=True)
    respond_minutes = models.PositiveIntegerField(_("respond within (minutes)"), null=True)
    arrive_minutes = models.PositiveIntegerField(_("arrive within (minutes)"), null=True)
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"), null=True)
    parts_pct = models.PositiveSmallIntegerField(_("parts covered %"), default=0)
    labour_pct = models.PositiveSmallIntegerField(_("labour covered %"), default=0)
    travel_pct = models.PositiveSmallIntegerField(_("travel covered %"), default=0)
    visits_per_year = models.PositiveSmallIntegerField(_("included visits per year"), default=0)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal(0))
    renewal_notified_at = models.DateTimeField(null=True, blank=True)
    renewed_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="maint_contract_number"),
        ]

    def __str__(self) -> str:
        return self.number


class ContractEvent(TransitionEvent):
    contract = models.ForeignKey(ServiceContract, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["contract", "at"], name="maint_contract_event_idx")]


class Campaign(models.Model):
    """A recall (产品召回) or service campaign (服务活动): the units it selects each get one
    order; progress is followed per unit."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CampaignKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    work = models.TextField(_("work to do"))
    product_models = models.ManyToManyField(
        ProductModel, verbose_name=_("product models"), blank=True, related_name="+"
    )
    serial_from = models.CharField(_("serial from"), max_length=64, blank=True)
    serial_to = models.CharField(_("serial to"), max_length=64, blank=True)
    sold_from = models.DateField(_("sold from"), null=True, blank=True)
    sold_to = models.DateField(_("sold until"), null=True, blank=True)
    serials = models.JSONField(_("serial list"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignEvent(TransitionEvent):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["campaign", "at"], name="maint_campaign_event_idx")]


class CampaignUnit(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(InstalledUnit, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(
        ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    told = models.BooleanField(_("owner told"), default=False)
    unreachable = models.BooleanField(_("unreachable"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="maint_campaign_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.unit_id}"


class AcceptanceRecord(models.Model):
    """The acceptance (验收) of an installation or acceptance order: the checklist, the
    measurements, the defects (each a follow-on order), the customer's signature, the
    certificate."""

    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="acceptance")
    status = models.CharField(
        _("status"), max_length=10, choices=AcceptanceStatus.choices, default=AcceptanceStatus.OPEN
    )
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    measurements = models.JSONField(_("measurements"), default=list, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signature = models.CharField(max_length=100, blank=True)  # stored upload name
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    certificate_no = models.CharField(_("certificate no."), max_length=32, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")

    def __str__(self) -> str:
        return self.certificate_no or str(self.order_id)


class AcceptanceEvent(TransitionEvent):
    record = models.ForeignKey(AcceptanceRecord, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["record", "at"], name="maint_acceptance_event_idx")]


class AcceptanceDefect(models.Model):
    record = models.ForeignKey(AcceptanceRecord, on_delete=models.CASCADE, related_name="defects")
    text = models.CharField(_("defect"), max_length=300)
    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["record", "id"]

    def __str__(self) -> str:
        return self.text
