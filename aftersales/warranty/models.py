"""Warranty policies as data: per company, per product category, overridden per model."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.catalog.models import ProductCategory, ProductModel

KIND_CHOICES = [
    ("general", _("General (1995)")),
    ("car", _("Household car (2021)")),
    ("phone", _("Mobile phone (2001)")),
    ("computer", _("Microcomputer (2002)")),
]


class WarrantyPolicy(models.Model):
    """A company's 三包 promise. The most specific row applies to a unit: its model, then its
    category, then the company's default (neither set); without any, the statutory general rule.
    A promise may give more than the law, never less (checked when saved)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="warranty_policies")
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("product category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    product_model = models.ForeignKey(
        ProductModel,
        verbose_name=_("product model"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("rule"),
        max_length=16,
        choices=KIND_CHOICES,
        default="general",
    )
    whole_unit_months = models.PositiveIntegerField(_("whole unit (months)"), default=12)
    # {"tube": 36, "flyback": 36}
    components = models.JSONField(_("main components (months)"), default=dict, blank=True)
    # {"battery": 6, "charger": 12}: replaced free inside their own period
    accessories = models.JSONField(_("accessories (months)"), default=dict, blank=True)
    # A promise beyond the law: the 7/15-day windows restart with an exchanged unit.
    windows_restart_on_exchange = models.BooleanField(
        _("7/15-day windows restart on exchange"), default=False
    )
    start_event = models.CharField(
        _("period starts at"),
        max_length=16,
        choices=[
            ("invoice", _("Invoice date")),
            ("sale", _("Sale date")),
            ("delivery", _("Delivery date")),
            ("installation", _("Installation date")),
        ],
        default="invoice",
    )
    return_days = models.PositiveIntegerField(_("return window (days)"), default=7)
    exchange_days = models.PositiveIntegerField(_("exchange window (days)"), default=15)
    repair_count_threshold = models.PositiveIntegerField(_("repairs before exchange"), default=2)
    max_repair_days = models.PositiveIntegerField(_("max repair days"), default=30)
    max_parts_wait_days = models.PositiveIntegerField(_("max days waiting for parts"), default=90)
    depreciation_per_day = models.DecimalField(
        _("depreciation per day"), max_digits=6, decimal_places=5, default=Decimal("0.0005")
    )
    void_without_documents = models.BooleanField(
        _("void without voucher and invoice"), default=False
    )
    # {"year": [2, 4], "month": [4, 6]} or {"year": [0, 2], "week": [2, 4]}
    serial_format = models.JSONField(_("serial date format"), null=True, blank=True)
    shipping_allowance_days = models.PositiveIntegerField(
        _("shipping allowance (days)"), default=30
    )
    # Civil Code day counting (start day not counted; a last day off moves to the next working
    # day). Cars count 24-hour periods instead.
    civil_code_days = models.BooleanField(_("Civil Code day counting"), default=True)
    # Household cars (rule "car").
    car_months = models.PositiveIntegerField(_("car: 三包 months"), default=24)
    car_km = models.PositiveIntegerField(_("car: 三包 km"), default=50_000)
    car_repair_months = models.PositiveIntegerField(_("car: repair warranty months"), default=36)
    car_repair_km = models.PositiveIntegerField(_("car: repair warranty km"), default=60_000)
    car_loaner_after_days = models.PositiveIntegerField(_("car: loaner after days"), default=5)
    car_max_repair_days = models.PositiveIntegerField(
        _("car: max cumulative repair days"), default=30
    )
    car_max_same_fault_repairs = models.PositiveIntegerField(
        _("car: max repairs of the same fault"), default=4
    )
    # n in price × km ÷ 1000 × n (the use compensation of a car return), at most 0.5 %.
    car_use_rate = models.DecimalField(
        _("car: use compensation rate n"),
        max_digits=6,
        decimal_places=5,
        default=Decimal("0.005"),
    )
    # {"brake_pad": [6, 10000]}: months and km (0 = no km limit) of each wear part
    wear_parts = models.JSONField(_("car: wear parts (months, km)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
