"""Customers, their contacts, addresses and consents; installed units (设备档案)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Region, Station
from aftersales.catalog.models import ProductModel
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel
from aftersales.core.phones import mask_phone
from aftersales.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    CustomerKind,
    MeterKind,
    MeterSource,
    UnitStatus,
    UnitUse,
)


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="customers")
    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, help_text=_("Digits only"))
    email = models.EmailField(_("e-mail"), blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("servicing station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    notes = models.TextField(_("notes"), blank=True)
    # How and in which language the customer wants messages ("" = the company's default).
    notify_channel = models.CharField(
        _("messages by"),
        max_length=16,
        blank=True,
        choices=[("sms", _("SMS")), ("email", _("E-mail")), ("console", _("Console (log)"))],
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["company", "phone"], name="customer_phone_idx"),
            models.Index(fields=["company", "name"], name="customer_name_idx"),
            models.Index(fields=["station", "id"], name="customer_station_idx"),
            models.Index(fields=["region", "id"], name="customer_region_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["phone"], name="contact_phone_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    line = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return self.line


class Consent(AppendOnlyModel):
    """A consent given or withdrawn. The newest row per customer and purpose is in force."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    channel = models.CharField(_("channel"), max_length=16, choices=ConsentChannel.choices)
    at = models.DateTimeField(_("time"), default=clock.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "purpose", "at"], name="consent_lookup_idx")]


class InstalledUnit(models.Model):
    """One product at a customer's site, identified by model and serial number."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="units")
    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("product model"), on_delete=models.PROTECT
    )
    serial = models.CharField(_("serial number"), max_length=64)
    customer = models.ForeignKey(
        Customer, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="units"
    )
    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.SET_NULL, null=True, blank=True
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    installation_date = models.DateField(_("installation date"), null=True, blank=True)
    voucher_no = models.CharField(_("warranty voucher no. (三包凭证)"), max_length=64, blank=True)
    # Household cars (三包 2021): the period starts at delivery when that differs from the
    # invoice; a return owes use compensation on the purchase price; commercial use is excluded.
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    purchase_price = models.DecimalField(
        _("purchase price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(
        _("use"), max_length=16, choices=UnitUse.choices, default=UnitUse.PRIVATE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.IN_SERVICE
    )
    # Copied from the owner by the actions, so scoped lists need no join.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    # The end of the whole-unit (or longest component) warranty period, written by the nightly
    # warranty batch; None: not evaluated or undeterminable.
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("installed unit")
        verbose_name_plural = _("installed units")
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "serial"], name="unit_serial_unique_per_model"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "serial"], name="unit_serial_idx"),
            models.Index(fields=["customer", "id"], name="unit_customer_idx"),
            models.Index(fields=["company", "id"], name="unit_company_idx"),
            models.Index(fields=["station", "id"], name="unit_station_idx"),
            models.Index(fields=["region", "id"], name="unit_region_idx"),
            models.Index(fields=["company", "warranty_until"], name="unit_warranty_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_model.code} {self.serial}"


class MeterReading(AppendOnlyModel):
    """One reading of a unit's meter (km or running hours): never edited; a wrong reading is
    superseded by a later one, a new meter is marked as a replacement."""

    unit = models.ForeignKey(InstalledUnit, on_delete=models.PROTECT, related_name="meter_readings")
    kind = models.CharField(_("meter"), max_length=8, choices=MeterKind.choices)
    value = models.DecimalField(_("reading"), max_digits=12, decimal_places=1)
    read_on = models.DateField(_("read on"))
    source = models.CharField(_("source"), max_length=12, choices=MeterSource.choices)
    # Where it was read: an order number, an import row; free text for people.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    meter_replaced = models.BooleanField(_("new meter"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=clock.now)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["read_on", "id"]
        indexes = [
            models.Index(fields=["unit", "kind", "read_on", "id"], name="meter_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.value} @ {self.read_on}"
