"""External ids, and one progress row per history import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.core import clock


class ExternalRef(models.Model):
    """The source system's id of a record, unique per company and kind: how a second import
    of the same file knows the row is already here, and how the API finds a record by it."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16)
    external_id = models.CharField(_("external id"), max_length=100)
    # The record it names (a customer, unit, order, order event...); null for a gap.
    object_id = models.BigIntegerField(null=True, blank=True)
    history_import = models.ForeignKey(
        "HistoryImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    line = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "external_id"], name="external_ref_unique"
            )
        ]
        indexes = [models.Index(fields=["company", "kind", "object_id"], name="external_ref_obj")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"


class ImportStatus(models.TextChoices):
    # 已检查: validated (dry run done), not applied yet.
    CHECKED = "checked", _("Checked")
    # 导入中: rows are being applied (a worker, or a resume after a crash).
    RUNNING = "running", _("Running")
    # 已完成: every line applied or refused.
    DONE = "done", _("Done")
    # 已中断: stopped by an error; resuming continues after the last committed line.
    FAILED = "failed", _("Stopped")


class HistoryImport(models.Model):
    """One file being imported: its progress is committed with each batch of rows, so a crash
    loses at most the batch in flight and a resume starts after `done_line`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    name = models.CharField(_("file"), max_length=200)
    stored_name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.CHECKED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    done_line = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0)
    skipped = models.PositiveIntegerField(_("already there"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    gaps = models.PositiveIntegerField(_("gaps"), default=0)
    # The source's staff names -> this system's usernames (technicians renamed on the move).
    staff = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ImportIssue(models.Model):
    """A row refused (or applied with a gap) while applying, with the reason as a code and
    its parameters: shown in the reader's language."""

    history_import = models.ForeignKey(
        HistoryImport, on_delete=models.CASCADE, related_name="issues"
    )
    line = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.line}: {self.code}"
