"""Choices of the on-site record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Cause(models.TextChoices):
    # 产品质量问题: covered by the 三包 decision.
    PRODUCT_FAULT = "product_fault", _("Product fault")
    # 非产品质量问题 (misuse, installation by others, power supply...): chargeable once the
    # customer acknowledges it (004 第十七条).
    NOT_PRODUCT_FAULT = "not_product_fault", _("Not a product fault")


class Result(models.TextChoices):
    # 已修复
    FIXED = "fixed", _("Fixed")
    # 更换配件后修复: needs the parts used on the order.
    REPLACED_PART = "replaced_part", _("Fixed by replacing a part")
    # 未修复 (customer declined, beyond repair): the order completes with the reason.
    NOT_FIXED = "not_fixed", _("Not fixed")
    # 待配件: the order waits for parts and needs another visit.
    NEEDS_PARTS = "needs_parts", _("Needs parts")
    # 需二次上门
    SECOND_VISIT = "second_visit", _("Needs a second visit")


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before work")
    AFTER = "after", _("After work")
    CONDITION = "condition", _("Condition on arrival")
    OTHER = "other", _("Other")


class SignaturePurpose(models.TextChoices):
    # The condition check before work (004 第十三条).
    CONDITION = "condition", _("Condition check")
    # Not a product fault, chargeable (004 第十七条).
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of the cause")
    # The quote accepted before paid work.
    QUOTE = "quote", _("Quote accepted")
    # The visit's work and result.
    COMPLETION = "completion", _("Work accepted")


class ChargeKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    PART = "part", _("Part")
    TRAVEL = "travel", pgettext_lazy("charge", "Travel")
    OTHER = "other", _("Other")


class QuoteStatus(models.TextChoices):
    # 待确认: shown to the customer, not yet accepted.
    PROPOSED = "proposed", _("Proposed")
    # 已确认: the customer accepted (signed) before the work.
    ACCEPTED = "accepted", pgettext_lazy("quote", "Accepted")
    # 已收费: payment recorded, receipt issued.
    PAID = "paid", pgettext_lazy("quote", "Paid")
    # 已作废: replaced or withdrawn before payment.
    VOID = "void", _("Void")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer")
    QR = "qr", _("QR code payment")
