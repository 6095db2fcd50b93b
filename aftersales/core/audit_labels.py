"""The audit trail as people read it: what was done to which kind of record, and each changed
field by its name with its values' labels. Audit rows keep their codes (`unit.update`,
`parts.stocklevel`, `min_level`); pages show these labels instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

VERBS = {
    "create": _("Created"),
    "update": _("Changed"),
    "save": _("Saved"),
    "delete": _("Deleted"),
    "set": _("Set"),
    "add": _("Added"),
    "reset": _("Reset to the default"),
    "release": _("Released"),
    "load": _("Loaded"),
}

# Actions that read better as a whole than as verb + record.
ACTIONS = {
    "customer.reveal_phone": _("Full phone number viewed"),
    "customer.preferences": _("Message preferences changed"),
    "customer.personal_data_export": _("Personal data exported"),
    "customer.anonymise": _("Personal data removed"),
    "demo.load": _("Demo data loaded"),
    "kpi.snapshot": _("KPI figures frozen for an assessment"),
    "order.warranty_override": _("Warranty decision overridden"),
    "unit.repaired": _("Unit repaired"),
    "unit.exchanged": _("Unit exchanged"),
    "unit.returned": _("Unit returned"),
}

# Change keys that are not a field of the record (or are better named here).
FIELDS = {
    "customers": _("customers"),
    "units": _("units"),
    "phone": _("phone"),
    "password": _("password"),
    "questions": _("follow-up script"),
    "due_hours": _("follow-up due (hours)"),
    "complaint_minutes": _("complaint deadlines"),
    "components": _("main components (months)"),
    "technician": _("technician"),
    "skills": _("skills"),
    "days": _("days"),
    "kpi": _("KPI"),
    "period": _("period"),
}

# Labels of change values that are codes of another app (registered by it when it loads, so
# that this module depends on none): change key -> code -> label.
VALUE_LABELS: dict[str, Any] = {}


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class AuditRow:
    at: Any
    actor: Any
    action: str
    record: str
    object_id: str
    changes: list[Change]
    reason: str


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def record_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else pgettext("audit", "Record")


def action_label(action: str, object_type: str) -> str:
    if action in ACTIONS:
        return str(ACTIONS[action])
    verb = action.rsplit(".", 1)[-1]
    if verb in VERBS:
        return gettext("%(verb)s: %(record)s") % {
            "verb": VERBS[verb],
            "record": record_label(object_type),
        }
    return gettext("Changed: %(record)s") % {"record": record_label(object_type)}


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def field_label(object_type: str, key: str) -> str:
    if key in FIELDS:
        return str(FIELDS[key])
    f = _field(_model(object_type), key)
    if f is not None and getattr(f, "verbose_name", None):
        return str(f.verbose_name)
    return gettext("other detail")


def _related_label(related: Any) -> str:
    full_name = getattr(related, "get_full_name", None)
    return str((full_name() if full_name else "") or related)


def _relation(object_type: str, key: str) -> Any:
    f = _field(_model(object_type), key)
    if f is not None and f.is_relation and f.related_model is not None and f.many_to_one:
        return f.related_model
    return None


def related_labels(entries: Any) -> dict[tuple[Any, Any], str]:
    """The labels of every record the entries' changes point at: one query per kind of
    record, not one per value (a page of entries would otherwise query once per change)."""
    wanted: dict[Any, set[Any]] = {}
    for e in entries:
        for key, pair in (e.changes or {}).items():
            model = _relation(e.object_type, key)
            if model is None:
                continue
            values = pair if isinstance(pair, list | tuple) else [pair]
            for value in values:
                for v in value if isinstance(value, list) else [value]:
                    if v not in (None, "") and not isinstance(v, bool | dict | list):
                        wanted.setdefault(model, set()).add(v)
    out: dict[tuple[Any, Any], str] = {}
    for model, pks in wanted.items():
        clean = set()
        for pk in pks:
            try:
                clean.add(model._meta.pk.to_python(pk))
            except Exception:  # noqa: S112 - a value that is no key is shown as it is
                continue
        for row in model._default_manager.filter(pk__in=clean):
            out[(model, row.pk)] = _related_label(row)
    return out


def value_label(
    object_type: str, key: str, value: Any, known: dict[tuple[Any, Any], str] | None = None
) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key in VALUE_LABELS and isinstance(value, str):
        return str(VALUE_LABELS[key](value))
    f = _field(_model(object_type), key)
    choices = dict(getattr(f, "flatchoices", None) or []) if f is not None else {}
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    if f is not None and f.is_relation and f.related_model is not None and f.many_to_one:
        if known is not None and not isinstance(value, list | dict):
            try:
                found = known.get((f.related_model, f.related_model._meta.pk.to_python(value)))
            except Exception:  # noqa: BLE001 - not a key: shown as it is below
                found = None
            if found is not None:
                return found
        elif known is None:
            related = f.related_model._default_manager.filter(pk=value).first()
            if related is not None:
                return _related_label(related)
    if isinstance(value, list):
        return ", ".join(value_label(object_type, key, v, known) for v in value)
    if isinstance(value, dict):
        return gettext("%(n)d entries") % {"n": len(value)}
    return str(value)


def audit_rows(entries: Any) -> list[AuditRow]:
    entries = list(entries)
    known = related_labels(entries)
    rows = []
    for e in entries:
        changes = []
        for key, pair in (e.changes or {}).items():
            before, after = (
                pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            )
            changes.append(
                Change(
                    field_label(e.object_type, key),
                    value_label(e.object_type, key, before, known),
                    value_label(e.object_type, key, after, known),
                )
            )
        rows.append(
            AuditRow(
                at=e.at,
                actor=e.actor,
                action=action_label(e.action, e.object_type),
                record=record_label(e.object_type),
                object_id=e.object_id,
                changes=changes,
                reason=e.reason,
            )
        )
    return rows


def record_choices(object_types: Any) -> list[tuple[str, str]]:
    """(object type, label) for a filter, sorted by label."""
    return sorted(((t, record_label(t)) for t in set(object_types)), key=lambda c: c[1])
