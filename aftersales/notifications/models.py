"""The outbox: every message is a row first; a worker sends it. The row is the truth."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.core import clock


class OutboxStatus(models.TextChoices):
    # 待发送: written, waiting for the worker.
    QUEUED = "queued", _("Queued")
    # 发送中: a worker took it and is handing it to the channel.
    SENDING = "sending", _("Sending")
    # 已发送: the channel accepted it.
    SENT = "sent", _("Sent")
    # 发送失败: gave up after the last retry (reason kept).
    FAILED = "failed", _("Failed")
    # 已抑制: written while replaying the past (history import, backfill as of a past moment);
    # kept as the record of what the live system would have sent, never handed to a channel.
    SUPPRESSED = "suppressed", _("Suppressed (past replayed)")


class Channel(models.TextChoices):
    # 控制台: written to the log; the demo and development channel.
    CONSOLE = "console", _("Console (log)")
    # 站内: shown to the user on their home page.
    IN_APP = "in_app", _("In-app")
    # 短信: the SMS gateway.
    SMS = "sms", _("SMS")
    # 电子邮件: Django's mail.
    EMAIL = "email", _("E-mail")
    # 回调: a JSON webhook.
    WEBHOOK = "webhook", _("Webhook")


class OutboxMessage(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    # A message to a customer (appointment, ETA) rather than to a user.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.CONSOLE)
    # The event the message is about (its template): appointment, eta, survey...
    event = models.CharField(_("event"), max_length=32, blank=True)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # The same key never produces a second message (escalation steps, alerts).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a worker took it for delivery (a stale one means the worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["recipient", "-id"], name="outbox_recipient_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationSettings(models.Model):
    """Per-company quiet hours: messages that can wait are sent when they end."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"notification settings of {self.company_id}"


class MessageTemplate(models.Model):
    """A company's own wording of a message (else the built-in default), per language."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(_("event"), max_length=32)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("message template")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "event", "language"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.language}"
