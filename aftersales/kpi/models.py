"""KPI tables: training records (an input), the derived contributions and daily rollups (both
rebuilt from events at will), frozen snapshots and assessments (the records settlement reads)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel, TransitionEvent
from aftersales.kpi.choices import RunStatus

# The sums' columns: 18 digits, 4 places (monthly rebuilds round to them).
AMOUNT_PLACES = 4


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
    created_at = models.DateTimeField(default=clock.now)

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
    num = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    den = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "day"], name="kpi_fact_day_idx"),
            models.Index(fields=["subject", "subject_id"], name="kpi_fact_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.subject}#{self.subject_id} {self.num}/{self.den}"


class KpiDaily(Dimensions):
    """Sum of the contributions per day and dimensions; rebuilt per (company, kpi, day)."""

    num = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    den = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "day"], name="kpi_daily_day_idx"),
            models.Index(fields=["station_id", "kpi", "day"], name="kpi_daily_station_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.day} {self.num}/{self.den}"


class KpiMonthly(models.Model):
    """The dashboards' rollup: the daily sums per month, station, region, product category and
    service type (figures by or for a technician are read from `KpiDaily`; by model or fault
    code from `KpiMonthlyProduct`). Kept in step with `KpiDaily` by adding the difference
    each rewrite of a day makes."""

    company_id = models.BigIntegerField()
    kpi = models.CharField(max_length=40)
    month = models.DateField()  # the first day of the month
    station_id = models.BigIntegerField(null=True)
    region_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    service_type = models.CharField(max_length=16, blank=True)
    num = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    den = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "month"], name="kpi_monthly_idx"),
            models.Index(fields=["station_id", "kpi", "month"], name="kpi_monthly_station_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.month:%Y-%m} {self.num}/{self.den}"


class KpiMonthlyProduct(models.Model):
    """The failure-rate and Pareto charts' rollup: the daily sums per month, product model,
    fault code, category and service type, for the whole company (a station or region filter
    reads the daily rows). Kept in step with `KpiDaily` the same way as `KpiMonthly`."""

    company_id = models.BigIntegerField()
    kpi = models.CharField(max_length=40)
    month = models.DateField()  # the first day of the month
    model_id = models.BigIntegerField(null=True)
    fault_code_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    service_type = models.CharField(max_length=16, blank=True)
    num = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    den = models.DecimalField(max_digits=18, decimal_places=AMOUNT_PLACES)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["company_id", "kpi", "month"], name="kpi_monthly_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.month:%Y-%m} {self.num}/{self.den}"


# The monthly rollups and the dimensions each keeps (the dashboards read the first that has
# every column a figure groups or filters by).
MONTHLY_ROLLUPS: tuple[tuple[type[KpiMonthly] | type[KpiMonthlyProduct], tuple[str, ...]], ...] = (
    (KpiMonthly, ("station_id", "region_id", "category_id", "service_type")),
    (KpiMonthlyProduct, ("model_id", "fault_code_id", "category_id", "service_type")),
)


class KpiCursor(models.Model):
    """How far the incremental job has read each event table (per company)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    order_event_id = models.BigIntegerField(default=0)
    complaint_event_id = models.BigIntegerField(default=0)
    return_event_id = models.BigIntegerField(default=0)
    training_id = models.BigIntegerField(default=0)
    parts_request_event_id = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"KPI cursor of {self.company_id}"


class KpiWatch(models.Model):
    """An open order whose figures change with the clock alone, and when
    (`formulas.decides_at`): the job recomputes it once that moment has passed, and every
    other order only when it has new events."""

    company_id = models.BigIntegerField()
    order_id = models.BigIntegerField(unique=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["company_id", "at"], name="kpi_watch_at_idx")]

    def __str__(self) -> str:
        return f"order {self.order_id} at {self.at}"


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
    taken_at = models.DateTimeField(default=clock.now)
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


# --- assessment (考核) -----------------------------------------------------------------------


class AssessmentScheme(models.Model):
    """Items with weights and bands, bonus and deduction rules, grades (see kpi.assessment)."""

    class Subject(models.TextChoices):
        STATION = "station", _("Station")
        TECHNICIAN = "technician", _("Technician")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("assessed"), max_length=16, choices=Subject.choices)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    definition = models.JSONField(_("items, rules and grades"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AssessmentRun(models.Model):
    """A scheme applied to a closed period, from frozen KPI snapshots; the scheme's data is
    copied in, so a later edit of the scheme does not change a run."""

    Status = RunStatus  # the lifecycle: kpi.choices.RUN_LIFECYCLE (transition kernel)

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="runs")
    scheme_data = models.JSONField()
    subject = models.CharField(max_length=16)
    period_from = models.DateField(_("from"))
    period_to = models.DateField(_("until"))
    # {kpi code: snapshot id}: the frozen figures this run read
    snapshots = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-period_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period_from", "period_to"], name="assessment_run_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.period_from}..{self.period_to}"


class AssessmentResult(models.Model):
    """One station's or technician's score in a run, with the arithmetic per line."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    subject_id = models.BigIntegerField()
    subject_name = models.CharField(max_length=200)
    figures = models.JSONField(default=dict)  # {kpi: {"numerator", "denominator", "value"}}
    manual = models.JSONField(default=dict)  # {item or rule code: entered value}
    score = models.DecimalField(max_digits=8, decimal_places=2)
    grade = models.CharField(max_length=8)
    lines = models.JSONField(default=list)

    class Meta:
        ordering = ["-score", "subject_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "subject_id"], name="assessment_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.score} {self.grade}"


class AssessmentAdjustment(AppendOnlyModel):
    """A manual adjustment of a result, with its reason (never changed; a correction is
    another adjustment)."""

    result = models.ForeignKey(
        AssessmentResult, on_delete=models.PROTECT, related_name="adjustments"
    )
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.points} {self.reason}"


class AssessmentEvent(TransitionEvent):
    """Each step of a run (on the transition kernel): created, manual score, adjusted,
    reviewed, sent back, approved."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["run", "at"], name="assessment_event_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class SelfAssessment(AppendOnlyModel):
    """A GB/T 27922 self-assessment as saved: the point table used, each item's answer and
    evidence, and the score. Each save is a new row (the history is the list of them)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    table = models.JSONField()
    # {item code: {"answer": yes/partly/no/na, "evidence": "..."}}
    answers = models.JSONField()
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    level = models.CharField(max_length=16, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("GB/T 27922 self-assessment")
        verbose_name_plural = _("GB/T 27922 self-assessments")
        ordering = ["-saved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.saved_at:%Y-%m-%d} {self.score}"


class KpiSubscription(models.Model):
    """A user who receives the monthly KPI report (their own scope) in-app or by e-mail."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        EMAIL = "email", _("E-mail")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kpi_subscription"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}"
