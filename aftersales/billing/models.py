"""Settlement: fee rules, station statements with their lines and events, the station account
(an append-only ledger), payouts; customer refunds and invoice records."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Station
from aftersales.billing.choices import (
    ClaimDecision,
    ClaimLineKind,
    ClaimReason,
    ClaimStatus,
    FeeKind,
    LedgerKind,
    LineKind,
    LineStatus,
    PayoutMode,
    RefundStatus,
    StatementStatus,
    TravelPer,
)
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel, TransitionEvent
from aftersales.orders.models import ServiceOrder

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ZERO = Decimal("0.00")


def _money(label: StrOrPromise, **kw: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kw)


class BillingSettings(models.Model):
    """Per-company knobs of settlement (defaults until changed)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    rollover_threshold = _money(_("carry over amounts under (yuan)"), default=Decimal("50.00"))
    rollover_max_periods = models.PositiveSmallIntegerField(
        _("carry over for at most (periods)"), default=2
    )
    dispute_days = models.PositiveSmallIntegerField(_("days to dispute a statement"), default=7)
    # Working days (company calendar) to answer a dispute; a dispute still unanswered at the
    # deadline is decided in the station's favour (accepted: the amount it claimed).
    answer_days = models.PositiveSmallIntegerField(_("working days to answer a dispute"), default=5)
    # Warranty claims to the manufacturer must be submitted within this many days of completion.
    claim_days = models.PositiveSmallIntegerField(_("days to submit a warranty claim"), default=60)
    # Complaint penalty by severity (high / medium / low), charged for a closed complaint.
    penalty_high = _money(_("penalty for a serious complaint"), default=Decimal("200.00"))
    penalty_medium = _money(_("penalty for a medium complaint"), default=Decimal("100.00"))
    penalty_low = _money(_("penalty for a minor complaint"), default=Decimal("0.00"))
    # Night: completed at or after this hour or before `night_end` (Asia/Shanghai).
    night_start = models.PositiveSmallIntegerField(_("night starts at (hour)"), default=20)
    night_end = models.PositiveSmallIntegerField(_("night ends at (hour)"), default=8)
    # Voucher export (用友 / 金蝶): account codes and voucher type.
    voucher_type = models.CharField(_("voucher type"), max_length=8, default="记")
    account_expense = models.CharField(
        _("service fee expense account"), max_length=32, default="6601"
    )
    account_payable = models.CharField(_("station payable account"), max_length=32, default="2202")
    account_bank = models.CharField(_("bank account"), max_length=32, default="1002")
    # {assessment grade: yuan}: a positive amount is a bonus, a negative one a deduction; a
    # grade not listed (or 0) gives no line.
    assessment_amounts = models.JSONField(
        _("bonus or deduction per assessment grade"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("settlement settings")
        verbose_name_plural = _("settlement settings")

    def __str__(self) -> str:
        return f"billing settings of {self.company_id}"


class StationTerms(models.Model):
    """How a station is settled: its grade (fee rules may depend on it) and payout mode."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="terms")
    grade = models.CharField(_("station grade"), max_length=16, blank=True)
    payout_mode = models.CharField(
        _("payout"), max_length=8, choices=PayoutMode.choices, default=PayoutMode.PAY
    )

    class Meta:
        verbose_name = _("station settlement terms")

    def __str__(self) -> str:
        return f"terms of {self.station_id}"


class FeeRule(models.Model):
    """One version of a fee rule (结算标准). A change is a new version (same code) from a new
    valid-from date; the earlier version stays and prices the orders completed before it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=FeeKind.choices)
    valid_from = models.DateField(_("valid from"))
    is_active = models.BooleanField(_("active"), default=True)
    # Criteria: empty matches any.
    service_type = models.CharField(_("service type"), max_length=16, blank=True)
    category = models.CharField(_("product category"), max_length=32, blank=True)
    product_model = models.CharField(_("product model"), max_length=64, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=32, blank=True)
    repair_level = models.CharField(_("repair level"), max_length=16, blank=True)
    station_grade = models.CharField(_("station grade"), max_length=16, blank=True)
    region = models.CharField(_("region"), max_length=32, blank=True)
    # Parameters.
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hours = models.DecimalField(
        _("standard hours"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    rate = models.DecimalField(
        _("rate per hour"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    free_km = models.DecimalField(
        _("free distance (km)"), max_digits=8, decimal_places=1, default=0
    )
    per_km = models.DecimalField(_("per km"), max_digits=8, decimal_places=2, default=0)
    # [[up to km, amount], ...] ascending.
    bands = models.JSONField(_("distance bands"), default=list, blank=True)
    per = models.CharField(
        _("travel paid"), max_length=16, choices=TravelPer.choices, default=TravelPer.VISIT
    )
    min_km = models.DecimalField(_("from distance (km)"), max_digits=8, decimal_places=1, default=0)
    percent = models.DecimalField(_("percent"), max_digits=6, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("fee rule")
        ordering = ["kind", "code", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code", "version"], name="fee_rule_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Statement(models.Model):
    """A station's monthly statement (结算单). One per station and period."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="statements")
    period = models.DateField(_("period"))  # the first day of the month
    number = models.CharField(_("statement no."), max_length=32)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=StatementStatus.choices,
        default=StatementStatus.GENERATED,
    )
    total = _money(_("total (yuan)"), default=ZERO)
    # How many periods in a row the amount carried into this statement has rolled over.
    carried_periods = models.PositiveSmallIntegerField(default=0)
    # A digest of the lines: the same inputs give the same lines, hence the same digest.
    digest = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated"), default=clock.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    dispute_due = models.DateTimeField(_("dispute by"), null=True, blank=True)
    answer_due = models.DateTimeField(_("answer by"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    settled_at = models.DateTimeField(_("paid or credited"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("station statement")
        ordering = ["-period", "station_id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "period"], name="statement_period_unique")
        ]
        indexes = [models.Index(fields=["company", "period", "status"], name="statement_idx")]

    def __str__(self) -> str:
        return self.number


class StatementOrder(models.Model):
    """The frozen snapshot of one order in the statement that settles it. An order belongs to
    exactly one statement (the unique constraint); a later change of the order is settled as a
    late-change line of a later statement."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="orders")
    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="+")
    facts = models.JSONField(default=dict)
    amount = _money(_("amount (yuan)"))

    class Meta:
        verbose_name = _("settled order")

    def __str__(self) -> str:
        return f"order {self.order_id} in {self.statement_id}"


class StatementLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=24, choices=LineKind.choices)
    fee_kind = models.CharField(_("fee"), max_length=16, choices=FeeKind.choices, blank=True)
    order = models.ForeignKey(
        ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = _money(_("amount (yuan)"))
    formula = models.CharField(_("formula"), max_length=300, blank=True)
    rule = models.ForeignKey(FeeRule, on_delete=models.PROTECT, null=True, blank=True)
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    basis = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Sources of adjustment lines: each is settled once (unique).
    chargeback = models.OneToOneField(
        "parts.Chargeback", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    complaint = models.OneToOneField(
        "feedback.Complaint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    carried_from = models.OneToOneField(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The approved assessment result this line settles ("run:<id>:station:<id>"), once.
    assessment = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Reconciliation (对账).
    status = models.CharField(
        _("status"), max_length=16, choices=LineStatus.choices, default=LineStatus.OPEN
    )
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True)
    claimed_amount = models.DecimalField(
        _("amount claimed"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    answer_reason = models.CharField(_("answer"), max_length=500, blank=True)
    final_amount = _money(_("final amount (yuan)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("statement line")
        ordering = ["statement_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="statement_line_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.position} {self.amount}"


class StatementEvent(TransitionEvent):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("statement event")
        indexes = [models.Index(fields=["statement", "at"], name="statement_event_idx")]


class Payout(models.Model):
    """The settlement of one statement: at most one (the statement is unique) and one per
    idempotency key."""

    statement = models.OneToOneField(Statement, on_delete=models.PROTECT, related_name="payout")
    mode = models.CharField(_("payout"), max_length=8, choices=PayoutMode.choices)
    amount = _money(_("amount (yuan)"))
    key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"payout of {self.statement_id}"


class LedgerEntry(AppendOnlyModel):
    """The station's account: one row per statement settled to it (paid or credited).
    The balance is the sum of the rows; rows are never changed."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    amount = _money(_("amount (yuan)"))
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=100, unique=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("station account entry")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["station", "at"], name="ledger_station_idx")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.amount}"


class Refund(models.Model):
    """Money given back to a customer against a receipt, after finance approves."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    receipt = models.ForeignKey("fieldwork.Receipt", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    amount = _money(_("amount (yuan)"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("refund")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"refund {self.pk} {self.amount}"


class RefundEvent(TransitionEvent):
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("refund event")
        indexes = [models.Index(fields=["refund", "at"], name="refund_event_idx")]


class InvoiceRecord(models.Model):
    """发票 as issued by the company's invoicing system (recorded here, not issued here)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="+")
    receipt = models.ForeignKey(
        "fieldwork.Receipt", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("invoice title"), max_length=200)
    tax_number = models.CharField(_("tax number"), max_length=32, blank=True)
    amount = _money(_("amount (yuan)"))
    number = models.CharField(_("invoice no."), max_length=40)
    issued_on = models.DateField(_("issued on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("invoice record")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class WarrantyClaim(models.Model):
    """A claim to the manufacturer or supplier for a station's 三包 work on one order: labour,
    travel and parts at the claim rules (the fee rules), each line decided on its own."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    # One claim per order: a second one is a duplicate (the database says so).
    order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("claim no."), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    claimed = _money(_("claimed (yuan)"), default=ZERO)
    approved = _money(_("approved (yuan)"), default=ZERO)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("warranty claim")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class ClaimLine(models.Model):
    claim = models.ForeignKey(WarrantyClaim, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=16, choices=ClaimLineKind.choices)
    description = models.CharField(_("item"), max_length=300)
    amount = _money(_("claimed (yuan)"))
    formula = models.CharField(_("formula"), max_length=300, blank=True)
    obligation = models.ForeignKey(
        "parts.ReturnObligation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=ClaimDecision.choices, default=ClaimDecision.PENDING
    )
    reason_code = models.CharField(
        _("reason"), max_length=24, choices=ClaimReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    approved_amount = _money(_("approved (yuan)"), default=ZERO)

    class Meta:
        verbose_name = _("claim line")
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.description}"


class ClaimEvent(TransitionEvent):
    claim = models.ForeignKey(WarrantyClaim, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("warranty claim event")
        indexes = [models.Index(fields=["claim", "at"], name="claim_event_idx")]
