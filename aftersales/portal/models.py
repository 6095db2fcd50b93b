"""The customer portal's sign-in codes and the invoice photos customers upload."""

from __future__ import annotations

from django.db import models

from aftersales.core import clock
from aftersales.customers.models import InstalledUnit


class PortalCode(models.Model):
    """A one-time sign-in code sent to a phone: stored as a keyed hash, valid 10 minutes,
    used once, at most a few wrong tries."""

    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    ip = models.CharField(max_length=45, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "created_at"], name="portal_code_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="portal_code_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"code for {self.phone[:3]}…"


class UnitInvoice(models.Model):
    """The purchase invoice photo a customer gave when registering a unit (the 三包 evidence)."""

    unit = models.ForeignKey(InstalledUnit, on_delete=models.CASCADE, related_name="invoices")
    stored_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.stored_name
