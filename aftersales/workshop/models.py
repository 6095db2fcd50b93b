"""Workshop repair (送修 / 寄修): jobs on the bench beside the on-site flow, their events,
the counter's queue numbers, mail-in shipments and loaner units."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Station
from aftersales.core import clock
from aftersales.core.models import TransitionEvent
from aftersales.orders.models import ServiceOrder
from aftersales.workshop.choices import (
    Direction,
    JobStatus,
    LoanerStatus,
    Outcome,
    ReturnMethod,
    Route,
    TicketPurpose,
    TicketStatus,
)


class WorkshopSettings(models.Model):
    """Per-company knobs of the workshop flow."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="workshop_settings"
    )
    # Remind the customer of an unclaimed unit this many days after it is ready (0: never),
    # then every `reminder_repeat_days` (0: once).
    unclaimed_after_days = models.PositiveIntegerField(
        _("remind after (days unclaimed)"), default=7
    )
    reminder_repeat_days = models.PositiveIntegerField(_("repeat the reminder (days)"), default=7)
    # A mail-in request whose unit has not arrived after this many days is followed up.
    never_sent_days = models.PositiveIntegerField(
        _("follow up unsent units after (days)"), default=7
    )
    loaner_days = models.PositiveIntegerField(_("loaner period (days)"), default=14)
    # Turnaround (周转时限): the unit is promised ready this many working days after it was
    # brought in, on the company's working calendar, the clock paused while it waits for
    # parts (0: no promise).
    turnaround_days = models.PositiveIntegerField(_("turnaround (working days)"), default=3)
    # Storage fee (保管费) of a unit not collected: free for this many days after the pickup
    # notice, then `storage_fee_per_day` yuan a day, paid at pickup (0.00: no fee).
    storage_free_days = models.PositiveIntegerField(
        _("storage free after the pickup notice (days)"), default=30
    )
    storage_fee_per_day = models.DecimalField(
        _("storage fee per day (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("workshop settings")
        verbose_name_plural = _("workshop settings")

    def __str__(self) -> str:
        return f"workshop settings of {self.company_id}"


class TurnaroundRule(models.Model):
    """A turnaround promise for one station, one service type, or both (周转时限 by station and
    service type): the most specific rule wins (station and type, then station, then type),
    the company's `WorkshopSettings.turnaround_days` is the default."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(
        Station,
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    service_type = models.CharField(_("service type"), max_length=16, blank=True)
    days = models.PositiveIntegerField(_("turnaround (working days)"))

    class Meta:
        verbose_name = _("turnaround rule")
        verbose_name_plural = _("turnaround rules")
        ordering = ["station_id", "service_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "station", "service_type"],
                condition=models.Q(station__isnull=False),
                name="turnaround_rule_station_uniq",
            ),
            models.UniqueConstraint(
                fields=["company", "service_type"],
                condition=models.Q(station__isnull=True),
                name="turnaround_rule_company_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"turnaround {self.station_id}/{self.service_type or '*'}: {self.days} d"


class WorkshopStation(models.Model):
    """A station's workshop: where mail-in units are sent and how its bench works."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="workshop")
    mail_in_address = models.CharField(_("mail-in address"), max_length=300, blank=True)
    mail_in_recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    mail_in_phone = models.CharField(_("recipient phone"), max_length=30, blank=True)
    # 质检须他人: the quality check is done by someone who did not repair the unit.
    qc_by_other = models.BooleanField(_("quality check by another person"), default=False)

    class Meta:
        verbose_name = _("station workshop")
        verbose_name_plural = _("station workshops")

    def __str__(self) -> str:
        return f"workshop of {self.station_id}"


class WorkshopJob(models.Model):
    """One unit's stay at a workshop: one per service order."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.OneToOneField(
        ServiceOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="workshop_job"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.RECEIVED
    )
    route = models.CharField(_("how it came"), max_length=10, choices=Route.choices)
    return_method = models.CharField(
        _("return"), max_length=10, choices=ReturnMethod.choices, default=ReturnMethod.PICKUP
    )
    # 送修日期: the day the unit was brought in (the 三包 limits count from it).
    received_at = models.DateTimeField(_("brought in"), null=True, blank=True)
    # When the job entered its current status (the board's ageing).
    status_since = models.DateTimeField(default=clock.now)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bench technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Everyone who repaired it (a quality check by another person excludes them).
    repairer_ids = models.JSONField(default=list, blank=True)
    condition = models.TextField(_("condition on intake"), blank=True)
    accessories = models.JSONField(_("accessories handed over"), default=list, blank=True)
    has_data = models.BooleanField(_("holds customer data"), default=False)
    data_backup_acknowledged_at = models.DateTimeField(
        _("data backup acknowledged"), null=True, blank=True
    )
    intake_signature = models.CharField(max_length=100, blank=True)
    intake_signed_by = models.CharField(_("signed by"), max_length=100, blank=True)
    warranty_decision = models.CharField(_("warranty decision"), max_length=16, blank=True)
    warranty_detail = models.JSONField(default=dict, blank=True)
    pickup_code_digest = models.CharField(max_length=64, blank=True)
    picked_up_at = models.DateTimeField(_("picked up"), null=True, blank=True)
    picked_up_by = models.CharField(_("picked up by"), max_length=100, blank=True)
    # The ID document shown instead of the code (type and number as recorded).
    pickup_id_document = models.CharField(_("ID document"), max_length=60, blank=True)
    pickup_signature = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    # The turnaround promised when the unit was brought in (working minutes, copied from the
    # company's setting so a later change does not move it) and the promised ready time it
    # gives on the working calendar, later by the time spent waiting for parts.
    turnaround_minutes = models.PositiveIntegerField(null=True, blank=True)
    ready_due = models.DateTimeField(_("promised ready by"), null=True, blank=True)
    # The storage fee charged at pickup (days charged after the free days, and the amount).
    storage_days = models.PositiveIntegerField(_("storage days charged"), default=0)
    storage_fee = models.DecimalField(
        _("storage fee"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    # The household-car rule's loaner (from day 6 of the repair) became due at this moment.
    loaner_due_at = models.DateTimeField(_("loaner car due since"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # Mail-in: where to ship it back.
    return_address = models.CharField(_("return address"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("workshop job")
        verbose_name_plural = _("workshop jobs")
        indexes = [
            models.Index(fields=["station", "status", "status_since"], name="ws_job_board_idx"),
            models.Index(fields=["company", "status", "status_since"], name="ws_job_company_idx"),
            models.Index(fields=["technician", "status"], name="ws_job_tech_idx"),
            # The board's overdue count (promised ready time passed).
            models.Index(fields=["station", "ready_due"], name="ws_job_due_idx"),
            models.Index(fields=["company", "ready_due"], name="ws_job_company_due_idx"),
        ]

    def __str__(self) -> str:
        return self.order.number if self.order_id else f"#{self.pk}"


class WorkshopEvent(TransitionEvent):
    job = models.ForeignKey(WorkshopJob, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("workshop event")
        verbose_name_plural = _("workshop events")
        indexes = [models.Index(fields=["job", "at"], name="ws_event_idx")]


class IntakePhoto(models.Model):
    """A photo of the unit's condition at intake (re-encoded, stored under a generated name)."""

    job = models.ForeignKey(WorkshopJob, on_delete=models.CASCADE, related_name="photos")
    stored_name = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.original_name


class QueueTicket(models.Model):
    """A queue number (叫号) at a station's counter, numbered per station, day and purpose."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    purpose = models.CharField(max_length=10, choices=TicketPurpose.choices)
    number = models.PositiveIntegerField()
    label = models.CharField(_("number"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    desk = models.CharField(_("desk"), max_length=20, blank=True)
    taken_at = models.DateTimeField(default=clock.now)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    served_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(
        WorkshopJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )

    class Meta:
        ordering = ["day", "taken_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "day", "purpose", "number"], name="ws_ticket_unique"
            )
        ]
        indexes = [models.Index(fields=["station", "day", "status"], name="ws_ticket_idx")]

    def __str__(self) -> str:
        return self.label


class Shipment(models.Model):
    """A parcel to or from the workshop (no courier integration: the tracking number links out)."""

    job = models.ForeignKey(WorkshopJob, on_delete=models.PROTECT, related_name="shipments")
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking no."), max_length=60)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    cost = models.DecimalField(_("cost"), max_digits=9, decimal_places=2, default=Decimal("0.00"))
    shipped_at = models.DateTimeField(_("shipped"), default=clock.now)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["shipped_at", "id"]
        indexes = [models.Index(fields=["tracking_no"], name="ws_shipment_tracking_idx")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"


class Loaner(models.Model):
    """A loaner unit (备用机) in a station's pool."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    serial = models.CharField(_("serial no."), max_length=60)
    status = models.CharField(
        _("status"), max_length=10, choices=LoanerStatus.choices, default=LoanerStatus.AVAILABLE
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["station", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "serial"], name="ws_loaner_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.serial}"


class LoanerLoan(models.Model):
    """One lending of a loaner with a job: lent at intake, returned at pickup (once)."""

    loaner = models.ForeignKey(Loaner, on_delete=models.PROTECT, related_name="loans")
    job = models.ForeignKey(WorkshopJob, on_delete=models.PROTECT, related_name="loans")
    lent_at = models.DateTimeField(default=clock.now)
    due_at = models.DateTimeField(_("due back"), null=True, blank=True)
    deposit = models.DecimalField(
        _("deposit"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    deposit_refunded = models.DecimalField(
        _("deposit refunded"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Lent because the household-car rule requires it (a repair over 5 days), not on request.
    statutory = models.BooleanField(_("required by the car rule"), default=False)

    class Meta:
        ordering = ["-lent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loaner"],
                condition=models.Q(returned_at__isnull=True),
                name="ws_loaner_one_open_loan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.loaner_id} → {self.job_id}"
