"""Deleting a row through an action: refused with 409 while other records still use it."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _

from aftersales.core.audit import audit_record, snapshot
from aftersales.core.errors import Conflict


def delete_with_audit(*, actor: Any, obj: models.Model, fields: tuple[str, ...]) -> None:
    before = snapshot(obj, fields)
    pk = obj.pk
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict("in_use", _("This record is still in use and cannot be deleted.")) from exc
    obj.pk = pk
    audit_record(
        actor=actor,
        action=f"{obj._meta.model_name}.delete",
        obj=obj,
        changes={k: [val, None] for k, val in before.items()},
    )
