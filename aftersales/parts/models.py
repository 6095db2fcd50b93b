"""Warehouses, stock levels (on hand and reserved, kept equal to the ledger), the immutable
stock ledger, transfers in transit and reservations for booked visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Region, Station
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel, TransitionEvent
from aftersales.orders.models import ServiceOrder
from aftersales.parts.choices import (
    InspectionOutcome,
    MoveKind,
    RequestStatus,
    ReservationStatus,
    ReturnStatus,
    TransferStatus,
    WarehouseKind,
)


class Warehouse(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="warehouses")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=WarehouseKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="warehouses"
    )
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="warehouses"
    )
    # The van's technician (kind = van).
    technician = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="van",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="warehouse_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """On hand and reserved for one part in one warehouse. `on_hand` always equals the sum of
    the ledger's quantities for the pair; both change in the same transaction under a lock."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    min_level = models.PositiveIntegerField(_("minimum"), default=0)
    max_level = models.PositiveIntegerField(_("maximum"), default=0)

    class Meta:
        verbose_name = _("stock level")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "part"], name="stock_level_unique"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_not_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0, reserved__lte=models.F("on_hand")),
                name="stock_reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id}/{self.part_id}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        """At or below the minimum (a minimum of 0 means no alert); `low_stock` in SQL."""
        return bool(self.min_level) and self.on_hand <= self.min_level


class StockMove(AppendOnlyModel):
    """One row of the ledger: never changed or deleted; a mistake is corrected by another
    movement. `at` is when it happened (may be back-dated), `recorded_at` when it was entered."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="moves")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    quantity = models.IntegerField(_("quantity"))  # signed: out is negative
    at = models.DateTimeField(_("time"), default=clock.now)
    source = models.CharField(
        _("source"), max_length=16, blank=True, default=clock.source, editable=False
    )
    recorded_at = models.DateTimeField(_("recorded"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_moves"
    )
    transfer = models.ForeignKey(
        "Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="moves"
    )
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    old_serial = models.CharField(_("old part's serial"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Issues to an order: the price list's unit price at the time, and whether the customer
    # pays (not under warranty) — the order's charges read these.
    unit_price = models.DecimalField(
        _("unit price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    charge_customer = models.BooleanField(_("charged to the customer"), default=False)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["warehouse", "part", "at", "id"], name="move_pair_time_idx"),
            models.Index(fields=["company", "at"], name="move_company_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="move_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.part_id}@{self.warehouse_id}"


class Transfer(models.Model):
    """Stock shipped from one warehouse to another: out of the source when shipped, into the
    target when received."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TransferStatus.choices,
        default=TransferStatus.IN_TRANSIT,
    )
    shipment = models.CharField(_("shipment reference"), max_length=100, blank=True)
    # The parts request line this shipment fills, if any.
    request_line = models.ForeignKey(
        "PartsRequestLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    shipped_at = models.DateTimeField(default=clock.now)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer")
        indexes = [models.Index(fields=["target", "status"], name="transfer_target_idx")]

    def __str__(self) -> str:
        return f"transfer {self.pk} {self.source_id}->{self.target_id} {self.quantity}"


class Reservation(models.Model):
    """Units held in a warehouse for an order's visit; counted in the level's `reserved`."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReservationStatus.choices,
        default=ReservationStatus.ACTIVE,
    )
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        indexes = [models.Index(fields=["order", "status"], name="reservation_order_idx")]

    def __str__(self) -> str:
        return f"reservation {self.pk} {self.quantity} of {self.part_id} for {self.order_id}"


class PartsRequest(models.Model):
    """三包配件申请: parts asked for an order or to refill a van or a station, approved by the
    level its value and warranty status need, then shipped (what stock allows now, the rest on
    back-order) and received."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    # The requesting station (empty for a central or regional refill).
    station = models.ForeignKey(
        Station,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts_requests",
    )
    target = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        ServiceOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts_requests",
    )
    warranty = models.BooleanField(_("warranty parts"), default=False)
    value = models.DecimalField(_("value (yuan)"), max_digits=12, decimal_places=2)
    approver_level = models.CharField(_("approver"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("parts request")
        indexes = [models.Index(fields=["company", "status", "id"], name="request_status_idx")]

    def __str__(self) -> str:
        return f"parts request {self.pk} ({self.status})"


class PartsRequestLine(models.Model):
    request = models.ForeignKey(PartsRequest, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("requested"))
    approved = models.PositiveIntegerField(_("approved"), default=0)
    shipped = models.PositiveIntegerField(_("shipped"), default=0)
    received = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        verbose_name = _("requested part")
        constraints = [
            models.UniqueConstraint(fields=["request", "part"], name="request_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.part_id} × {self.quantity}"

    @property
    def backordered(self) -> int:
        return self.approved - self.shipped


class PartsRequestEvent(TransitionEvent):
    """The parts request's history on the kernel's event base (`core.models.TransitionEvent`)."""

    request = models.ForeignKey(PartsRequest, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("parts request event")
        indexes = [models.Index(fields=["request", "at"], name="parts_request_event_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"


class PartsSettings(models.Model):
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    return_days = models.PositiveIntegerField(_("days to return an old part"), default=30)

    class Meta:
        verbose_name = _("parts settings")

    def __str__(self) -> str:
        return f"parts settings of {self.company_id}"


class ReturnObligation(models.Model):
    """旧件返还: each warranty part issued must come back (old part) by a deadline."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    issue = models.OneToOneField(StockMove, on_delete=models.PROTECT, related_name="obligation")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="returns")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    old_serial = models.CharField(_("old part's serial"), max_length=64, blank=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    due = models.DateField(_("return by"))
    status = models.CharField(
        _("status"), max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.OPEN
    )
    shipment = models.CharField(_("shipment reference"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("inspection"), max_length=16, choices=InspectionOutcome.choices, blank=True
    )
    inspected_at = models.DateTimeField(null=True, blank=True)
    inspection_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("old-part return")
        indexes = [models.Index(fields=["company", "status", "due"], name="return_due_idx")]

    def __str__(self) -> str:
        return f"return {self.pk} ({self.status})"

    def overdue(self, today: object) -> bool:
        return self.status == ReturnStatus.OPEN and self.due < today  # type: ignore[operator]


class ReturnEvent(TransitionEvent):
    """The old-part return's history on the kernel's event base."""

    obligation = models.ForeignKey(
        ReturnObligation, on_delete=models.PROTECT, related_name="events"
    )

    class Meta(TransitionEvent.Meta):
        verbose_name = _("old-part return event")
        indexes = [models.Index(fields=["obligation", "at"], name="return_event_idx")]

    def __str__(self) -> str:
        return f"{self.obligation_id} {self.action}"


class Chargeback(models.Model):
    """An amount charged to a station for a warranty part not justified: old part not returned
    in time, or rejected at inspection. At most one per return (the database says so);
    settlement picks them up."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="chargebacks")
    obligation = models.OneToOneField(
        ReturnObligation, on_delete=models.PROTECT, related_name="chargeback"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=32)  # overdue / wrong_part / misuse
    created_at = models.DateTimeField(default=clock.now)
    settled = models.BooleanField(_("settled"), default=False)

    class Meta:
        verbose_name = _("chargeback")

    def __str__(self) -> str:
        return f"chargeback {self.pk} {self.amount}"


class SupplierClaim(models.Model):
    """A confirmed faulty part claimed back from its supplier."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    obligation = models.OneToOneField(
        ReturnObligation, on_delete=models.PROTECT, related_name="claim"
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("supplier claim")

    def __str__(self) -> str:
        return f"claim {self.pk} {self.amount}"
