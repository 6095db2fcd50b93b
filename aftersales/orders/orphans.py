"""Stored upload files that no row refers to: a transaction that stored its photos and then
failed (the files are written before the commit), a row deleted since. Deleted after a grace
period, so a file stored by a request still in flight is never taken; a dry run lists them.

The rows that refer to stored files are found through the app registry (no import of the
higher apps): every `stored_name` column, and the columns listed in `OTHER_REFERENCES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models

from aftersales.core import clock
from aftersales.orders.uploads import PREFIX

# Stored-upload columns not named `stored_name`: signatures kept on the record itself.
OTHER_REFERENCES = (
    "workshop.WorkshopJob.intake_signature",
    "workshop.WorkshopJob.pickup_signature",
    "maintenance.AcceptanceRecord.signature",
)


def reference_columns() -> list[tuple[type[models.Model], str]]:
    out: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.name == "stored_name" and isinstance(f, models.CharField):
                out.append((model, f.attname))
    for ref in OTHER_REFERENCES:
        app_model, _dot, column = ref.rpartition(".")
        out.append((apps.get_model(app_model), column))
    return out


def referenced_names() -> set[str]:
    names: set[str] = set()
    for model, column in reference_columns():
        names.update(model._default_manager.exclude(**{column: ""}).values_list(column, flat=True))
    return names


@dataclass
class SweepReport:
    grace_hours: int
    applied: bool
    stored: int = 0
    orphans: list[str] = field(default_factory=list)
    too_recent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "grace_hours": self.grace_hours,
            "applied": self.applied,
            "stored": self.stored,
            "orphans": len(self.orphans),
            "deleted" if self.applied else "would_delete": self.orphans,
            "orphans_within_grace": self.too_recent,
        }


def sweep_orphan_uploads(
    *, now: dt.datetime | None = None, grace_hours: int | None = None, apply: bool = False
) -> SweepReport:
    """List (dry run) or delete the stored files no row refers to, older than the grace."""
    now = now or clock.now()
    grace = settings.UPLOAD_ORPHAN_GRACE_HOURS if grace_hours is None else grace_hours
    report = SweepReport(grace_hours=grace, applied=apply)
    try:
        _dirs, files = default_storage.listdir(PREFIX)
    except FileNotFoundError:
        return report
    # Read the references after listing: a file stored after the listing is not considered,
    # one stored before and referenced by a row committed meanwhile is seen as referenced.
    referenced = referenced_names()
    report.stored = len(files)
    cutoff = now - dt.timedelta(hours=grace)
    for name in sorted(files):
        if name in referenced:
            continue
        path = f"{PREFIX}/{name}"
        if default_storage.get_modified_time(path) > cutoff:
            report.too_recent += 1
            continue
        report.orphans.append(name)
        if apply:
            default_storage.delete(path)
    return report
