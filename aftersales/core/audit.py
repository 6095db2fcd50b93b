"""Recording writes in the audit trail. Called by every action that changes data."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from aftersales.core.models import AuditEntry
from aftersales.core.phones import mask_phone


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, as JSON-friendly data (FKs as ids)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = _plain(getattr(obj, attname))
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


# Audit rows are append-only (a database trigger refuses UPDATE on PostgreSQL), so they can
# never be anonymised later: personal values are masked before they are written. The change is
# still visible (who changed a customer's phone, when, 138****5678 -> 139****0000).
PERSONAL_KEYS = frozenset(
    {"name", "phone", "email", "notes", "line", "postcode", "title", "signer_name"}
)
# Objects whose `name` is a person's (a station's or a part's name is not personal).
PERSONAL_OBJECTS = frozenset({"customers.customer", "customers.contact", "customers.address"})


def mask_personal(key: str, value: Any) -> Any:
    """A personal value as the audit trail keeps it: enough to see that it changed."""
    if isinstance(value, dict):
        return {k: mask_personal(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal(key, v) for v in value]
    if key not in PERSONAL_KEYS or not isinstance(value, str) or not value:
        return value
    if key == "phone":
        return mask_phone(value)
    if key == "email":
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}" if domain else "***"
    if key == "name":
        return value[:1] + "*" * min(len(value) - 1, 3)
    return "***"


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    object_type = obj._meta.label_lower
    if changes and object_type in PERSONAL_OBJECTS:
        changes = {k: mask_personal(k, v) for k, v in changes.items()}
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=str(obj.pk),
        changes=changes or {},
        reason=reason[:500],
    )
