"""Capacity (shifts, leave, territories, durations), appointments and day plans."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Region, Station, TechnicianProfile
from aftersales.catalog.models import ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.dispatch.choices import PlanStatus
from aftersales.orders.choices import ServiceType
from aftersales.orders.models import ServiceOrder


class DispatchSettings(models.Model):
    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="dispatch_settings"
    )
    slot_minutes = models.PositiveIntegerField(_("appointment slot (minutes)"), default=120)
    visits_from = models.TimeField(_("visits from"), default=dt.time(8, 0))
    visits_until = models.TimeField(_("visits until"), default=dt.time(20, 0))
    # Customers' rest and meal times, no visit starts inside: [["12:00", "13:30"]].
    rest_periods = models.JSONField(_("rest periods"), default=list, blank=True)
    notice_hours = models.PositiveIntegerField(
        _("notice before we cancel or move a visit (hours)"), default=8
    )
    booking_days = models.PositiveIntegerField(_("days offered for booking"), default=7)
    detour_factor = models.FloatField(_("road detour factor"), default=1.3)
    speed_kmh = models.FloatField(_("average speed (km/h)"), default=30)
    optimise_seconds = models.FloatField(_("optimiser time limit (seconds)"), default=5)
    auto_assign = models.BooleanField(_("assign automatically on intake"), default=False)

    class Meta:
        verbose_name = _("dispatch settings")
        verbose_name_plural = _("dispatch settings")

    def __str__(self) -> str:
        return f"dispatch settings of {self.company_id}"


class ServiceDuration(models.Model):
    """Time on site by service type, optionally for a category or a model (most specific wins)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    service_type = models.CharField(_("service type"), max_length=16, choices=ServiceType.choices)
    category = models.ForeignKey(
        ProductCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("service duration")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "service_type", "category", "product_model"],
                name="service_duration_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_type}: {self.minutes} min"


class Territory(models.Model):
    """An area a station's technicians cover: regions, postcode prefixes and/or a polygon."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="territories")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="territories")
    name = models.CharField(_("name"), max_length=100)
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    postcode_prefixes = models.CharField(
        _("postcode prefixes"), max_length=500, blank=True, help_text=_("Comma-separated")
    )
    # [[longitude, latitude], ...] — a closed ring (the last point joins the first).
    polygon = models.JSONField(_("polygon"), default=list, blank=True)
    technicians = models.ManyToManyField(TechnicianProfile, blank=True, related_name="territories")

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """A technician's working hours on one day, overriding the profile's default hours and the
    working calendar (a shift on a holiday means the technician works that day)."""

    technician = models.ForeignKey(
        TechnicianProfile, on_delete=models.CASCADE, related_name="shifts"
    )
    day = models.DateField(_("day"))
    start = models.TimeField(_("starts"))
    end = models.TimeField(_("ends"))
    break_minutes = models.PositiveIntegerField(_("break (minutes)"), default=60)

    class Meta:
        verbose_name = _("shift")
        constraints = [
            models.UniqueConstraint(fields=["technician", "day"], name="shift_unique"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="shift_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.day} {self.start}-{self.end}"


class Leave(models.Model):
    technician = models.ForeignKey(
        TechnicianProfile, on_delete=models.CASCADE, related_name="leaves"
    )
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("leave")
        indexes = [models.Index(fields=["technician", "first_day"], name="leave_tech_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="leave_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.first_day}..{self.last_day}"


class DispatchPlan(models.Model):
    """A day plan for a station: proposed by the optimiser, reviewed and committed once."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="plans")
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    # {"routes": [...], "unserved": [...], "fixed": [...], "versions": {order id: version},
    #  "metrics": {...}} — what was proposed, kept as it was shown.
    result = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("day plan")
        indexes = [models.Index(fields=["station", "day", "id"], name="plan_station_day_idx")]

    def __str__(self) -> str:
        return f"plan {self.pk} {self.station_id} {self.day}"


class Visit(models.Model):
    """An order's place in a technician's day: reserved by a booking, set by a committed plan
    or by the dispatcher's move. One live visit per order; replaced visits are kept, ended."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="visits")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    travel_minutes = models.PositiveIntegerField(default=0)
    # The dispatcher fixed technician and time: the optimiser keeps it.
    locked = models.BooleanField(_("locked"), default=False)
    plan = models.ForeignKey(DispatchPlan, on_delete=models.SET_NULL, null=True, blank=True)
    reasons = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(ended_at__isnull=True),
                name="visit_live_unique",
            )
        ]
        indexes = [
            models.Index(fields=["technician", "day", "sequence"], name="visit_tech_day_idx"),
            models.Index(fields=["station", "day"], name="visit_station_day_idx"),
        ]

    def __str__(self) -> str:
        return f"visit {self.order_id} {self.technician_id} {self.day} #{self.sequence}"


class SkillRequirement(models.Model):
    """Orders for units of this category need this skill at this level (unless the order says
    otherwise)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ProductCategory, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey("accounts.Skill", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), default=1)

    class Meta:
        verbose_name = _("skill requirement")
        constraints = [
            models.UniqueConstraint(fields=["category", "skill"], name="skill_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id} needs {self.skill_id} L{self.level}"
