"""KPI tables: training records (an input), the derived contributions and daily rollups (both
rebuilt from events at will), frozen snapshots and assessments (the records settlement reads)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.core.models import AppendOnlyModel

AMOUNT = {"max_digits": 18, "decimal_places": 4}


class TrainingRecord(models.Model):
    """A course a technician attended (seed 003: at least 40 hours a year)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    course = models.CharField(_("course"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    date = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["company", "date"], name="training_company_date_idx")]

    def __str__(self) -> str:
        return f"{self.course} ({self.hours} h)"


class Dimensions(models.Model):
    """The grouping columns a contribution and a rollup share (plain ids: derived data)."""

    company_id = models.BigIntegerField()
    kpi = models.CharField(max_length=40)
    day = models.DateField()
    station_id = models.BigIntegerField(null=True)
    technician_id = models.BigIntegerField(null=True)
    region_id = models.BigIntegerField(null=True)
    model_id = models.BigIntegerField(null=True)
    fault_code_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    service_type = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True


class KpiFact(Dimensions):
    """One subject's contribution to one KPI (an order, a complaint, a return, a training
    record): the drill-down rows. Replaced whenever the subject's events change."""

    subject = models.CharField(max_length=12)
    subject_id = models.BigIntegerField()
    order_id = models.BigIntegerField(null=True)
    num = models.DecimalField(**AMOUNT)
    den = models.DecimalField(**AMOUNT)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "day"], name="kpi_fact_day_idx"),
            models.Index(fields=["subject", "subject_id"], name="kpi_fact_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.subject}#{self.subject_id} {self.num}/{self.den}"


class KpiDaily(Dimensions):
    """Sum of the contributions per day and dimensions; rebuilt per (company, kpi, day)."""

    num = models.DecimalField(**AMOUNT)
    den = models.DecimalField(**AMOUNT)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "day"], name="kpi_daily_day_idx"),
            models.Index(fields=["station_id", "kpi", "day"], name="kpi_daily_station_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.day} {self.num}/{self.den}"


class KpiCursor(models.Model):
    """How far the incremental job has read each event table (per company)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    order_event_id = models.BigIntegerField(default=0)
    complaint_event_id = models.BigIntegerField(default=0)
    return_event_id = models.BigIntegerField(default=0)
    training_id = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"KPI cursor of {self.company_id}"


class KpiSnapshot(AppendOnlyModel):
    """Frozen figures of one KPI for a closed period, grouped one way: what an assessment (and
    settlement) reads. Late events do not change a snapshot; a new one may be taken."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kpi = models.CharField(max_length=40)
    period_from = models.DateField()
    period_to = models.DateField()
    group_by = models.CharField(max_length=16)
    definition = models.JSONField()
    definition_version = models.PositiveIntegerField()
    # [{"key": id or null, "numerator": "..", "denominator": "..", "value": ".." or null}]
    rows = models.JSONField()
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kpi", "period_from", "period_to", "group_by"],
                name="kpi_snapshot_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_from}..{self.period_to} by {self.group_by}"
