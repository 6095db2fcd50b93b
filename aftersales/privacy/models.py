"""Personal data (PIPL, 个人信息保护法): the record of each customer made anonymous."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel


class AnonymisationKind(models.TextChoices):
    # The customer asked for their personal data to be deleted (删除请求).
    REQUEST = "request", _("On the customer's request")
    # The retention period after the customer's last activity ran out (nightly job).
    RETENTION = "retention", _("Retention period ended")


class Anonymisation(AppendOnlyModel):
    """A customer whose personal data was removed: the orders, receipts and warranty records
    stay (the company must keep them) but no longer name, call or locate the person."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="anonymisation"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AnonymisationKind.choices)
    at = models.DateTimeField(_("time"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # What was cleared, counted per kind of record (no values).
    cleared = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"customer {self.customer_id} anonymised {self.at:%Y-%m-%d}"
