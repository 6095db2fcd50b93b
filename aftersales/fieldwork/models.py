"""The on-site record of a visit (上门服务记录): check-in, condition check, diagnosis, photos,
signatures, charges with their quote and receipt (收费凭证)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.catalog.models import FaultCode, Part
from aftersales.core import clock
from aftersales.fieldwork.choices import (
    Cause,
    ChargeKind,
    PaymentMethod,
    PhotoKind,
    QuoteStatus,
    Result,
    SignaturePurpose,
)
from aftersales.orders.models import ServiceOrder


class FieldSettings(models.Model):
    """Per-company knobs of the work on site (defaults until changed)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    # 004 篇2 第十一条: at least 30 minutes past the appointment before a no-show.
    absent_minutes = models.PositiveIntegerField(
        _("wait for an absent customer (minutes)"), default=30
    )
    photo_limit = models.PositiveIntegerField(_("photos per visit"), default=12)
    # The service report's header: address, hotline, licence... (one line each).
    report_header = models.TextField(_("service report header"), blank=True)
    customer_link_days = models.PositiveIntegerField(
        _("customer's report link valid for (days)"), default=90
    )

    class Meta:
        verbose_name = _("field work settings")
        verbose_name_plural = _("field work settings")

    def __str__(self) -> str:
        return f"field settings of {self.company_id}"


class FeeItem(models.Model):
    """The fee schedule (收费标准): labour, travel and other charges at a fixed price."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="fee_items")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChargeKind.choices)
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fee item")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="fee_item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.price}"


class ServiceRecord(models.Model):
    """What one visit found and did. One open record per order; a second visit opens a new one."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="records")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "dispatch.Visit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    eta = models.DateTimeField(_("expected arrival"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    # From the check-in position to the customer's address: recorded, not enforced.
    distance_m = models.PositiveIntegerField(
        _("distance from the address (m)"), null=True, blank=True
    )
    call_attempts = models.PositiveIntegerField(_("calls tried"), default=0)
    # 004 第十三条: the unit's state before work, signed by the customer.
    condition_complete = models.BooleanField(_("unit complete"), null=True, blank=True)
    condition_tampered = models.BooleanField(_("signs of tampering"), null=True, blank=True)
    condition_notes = models.CharField(_("condition notes"), max_length=500, blank=True)
    condition_at = models.DateTimeField(null=True, blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    fault_codes = models.ManyToManyField(FaultCode, blank=True, related_name="+")
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    cause_acknowledged_at = models.DateTimeField(null=True, blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    result_note = models.CharField(_("result note"), max_length=500, blank=True)
    # 004 第十八条: the unit taken back to the workshop, with what was taken.
    taken_to_workshop = models.BooleanField(_("unit taken to the workshop"), default=False)
    workshop_note = models.CharField(_("taken with"), max_length=300, blank=True)
    rating = models.PositiveSmallIntegerField(_("customer's rating"), null=True, blank=True)
    rating_comment = models.CharField(_("customer's comment"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service record")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(finished_at__isnull=True),
                name="service_record_open_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="service_record_rating_range",
            ),
        ]
        indexes = [models.Index(fields=["order", "id"], name="service_record_order_idx")]

    def __str__(self) -> str:
        return f"record {self.pk} of order {self.order_id}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None

    def live_quote(self) -> Quote | None:
        """The quote in force (proposed, accepted or paid); replaced ones are void."""
        return self.quotes.exclude(status=QuoteStatus.VOID).order_by("-id").first()


class Signature(models.Model):
    """A signature drawn on the technician's screen: a PNG stored outside the static root.
    Evidence: never changed."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="signatures")
    purpose = models.CharField(max_length=20, choices=SignaturePurpose.choices)
    stored_name = models.CharField(max_length=100)
    signer_name = models.CharField(_("signed by"), max_length=100)
    signed_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.signer_name}"


class SitePhoto(models.Model):
    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="photos")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="site_photos")
    kind = models.CharField(_("kind"), max_length=16, choices=PhotoKind.choices)
    stored_name = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.stored_name}"


class Quote(models.Model):
    """The itemised charges offered to the customer before paid work (from the fee schedule
    and the price list). Accepted with a signature; paid with a receipt; or void."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="quotes")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="quotes")
    status = models.CharField(
        _("status"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.PROPOSED
    )
    total = models.DecimalField(_("total (yuan)"), max_digits=12, decimal_places=2)
    # Why a free-repair order is charged (recorded; 不得在免费维修中收费 without it).
    reason = models.CharField(_("reason for the charge"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=~models.Q(status="void"),
                name="quote_live_unique",
            )
        ]

    def __str__(self) -> str:
        return f"quote {self.pk} ¥{self.total}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=16, choices=ChargeKind.choices)
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, null=True, blank=True)
    part = models.ForeignKey(Part, on_delete=models.PROTECT, null=True, blank=True)
    description = models.CharField(_("item"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class Receipt(models.Model):
    """收费凭证: the payment of an accepted quote, once (with a workshop's storage fee, if
    any; a storage fee alone has no quote)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    quote = models.OneToOneField(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="receipts")
    number = models.CharField(_("receipt no."), max_length=40)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    method = models.CharField(_("paid by"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    paid_at = models.DateTimeField(_("paid"), default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="receipt_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class Submission(models.Model):
    """A form's one-time key: the same submission (double tap, retry after a timeout) is
    recorded once."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    action = models.CharField(max_length=32)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "key"], name="field_submission_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.key}"
