"""Masking a customer's former personal values in free text that staff typed (PIPL).

Anonymisation clears the fields that *are* personal data (`personal.HOLDINGS`); this module
rewrites the free text that may *mention* it: a note "客户张三 13812345678 说...", a diagnosis,
a follow-up remark, a complaint, an event's reason. Every text (and JSON) column of every
record about the customer (the export's `SECTIONS`) is searched for the customer's former
name, phones, e-mail, contact names and address lines; each occurrence becomes `MASK`.

`patterns` and `mask_text`/`mask_json` are pure (no ORM) and tested hard; `rewrite` applies
them to the database. History rows (events) are rewritten through `append_only.redact`, the
one sanctioned change to a history row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from aftersales.core import append_only
from aftersales.core.models import AppendOnlyModel, AuditEntry
from aftersales.customers.models import Address, Contact

MASK = "***"
# Values shorter than this are not searched for: a one-character name would wreck every text.
MIN_LENGTH = 2
# Columns that hold names of stored files, keys or codes, never text a person typed.
NEVER = frozenset(
    {
        "stored_name",
        "original_name",
        "content_type",
        "signature",
        "intake_signature",
        "pickup_signature",
        "idempotency_key",
        "request_fingerprint",
        "code_hash",
        "dedupe_key",
        "pickup_code_digest",
        "source",
        "action",
        "from_status",
        "to_status",
    }
)


def _phone_pattern(digits: str) -> str:
    # 13812345678 also written 138-1234-5678, 138 1234 5678 or +86 138...
    return r"(?<!\d)" + r"[\s-]?".join(re.escape(d) for d in digits) + r"(?!\d)"


def _whole(value: str) -> str:
    """The value as a whole word where it begins or ends with a Latin letter or digit ("Ma" is
    not masked inside "maintenance" or the serial "MA12345"); Chinese text has no spaces between
    words, so a Chinese edge matches anywhere ("张三" in "客户张三说")."""
    pattern = re.escape(value)
    if value[0].isascii() and value[0].isalnum():
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if value[-1].isascii() and value[-1].isalnum():
        pattern += r"(?![A-Za-z0-9])"
    return pattern


def patterns(values: Iterable[str | None]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of the former values (longest first, so an
    address line is masked whole before a name inside it); phones match with separators."""
    parts: list[tuple[int, str]] = []
    seen: set[str] = set()
    for raw in values:
        value = (raw or "").strip()
        if len(value) < MIN_LENGTH or value.lower() in seen:
            continue
        seen.add(value.lower())
        digits = re.sub(r"[\s+-]", "", value)
        if digits.isdigit() and len(digits) >= 7:
            parts.append((len(digits), _phone_pattern(digits[-11:])))
        else:
            parts.append((len(value), _whole(value)))
    if not parts:
        return None
    parts.sort(key=lambda p: -p[0])
    return re.compile("|".join(p for _n, p in parts), re.IGNORECASE)


def mask_text(text: str, pattern: re.Pattern[str] | None) -> str:
    if not text or pattern is None:
        return text
    return pattern.sub(MASK, text)


def mask_json(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """The same value with every string in it (keys kept) masked."""
    if isinstance(value, str):
        return mask_text(value, pattern)
    if isinstance(value, list):
        return [mask_json(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: mask_json(v, pattern) for k, v in value.items()}
    return value


def former_values(customer: Any) -> list[str]:
    """What identifies or locates the person: read before anything is cleared."""
    values = [customer.name, customer.phone, customer.email]
    for name, phone in Contact.objects.filter(customer=customer).values_list("name", "phone"):
        values += [name, phone]
    values += list(Address.objects.filter(customer=customer).values_list("line", flat=True))
    return [v for v in values if v]


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.choices
        and f.attname not in NEVER
    ]


def rewrite(
    customer: Any, values: list[str], sections: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Mask `values` in every free-text column of the rows each (model label, lookup to the
    customer) section reaches. Returns the rows rewritten per model."""
    pattern = patterns(values)
    if pattern is None:
        return {}
    needles = [v for v in dict.fromkeys(values) if len(v.strip()) >= MIN_LENGTH]
    done: dict[str, int] = {}
    audited: Q = Q(object_type=customer._meta.label_lower, object_id=str(customer.pk))
    for label, lookup in sections:
        model = apps.get_model(label)
        base: models.QuerySet[models.Model] = models.QuerySet(model).filter(**{lookup: customer.pk})
        if not issubclass(model, AppendOnlyModel):
            pks = base.values_list("pk", flat=True)
            audited |= Q(object_type=model._meta.label_lower, object_id__in=[str(p) for p in pks])
        fields = _text_fields(model)
        if not fields:
            continue
        # Narrow in the database with the plain values; phones written with separators are
        # found by the digits' last four too.
        probe = Q()
        if any(isinstance(f, models.JSONField) for f in fields):
            probe = Q(pk__isnull=False)  # JSON may store text escaped: read every row
        for f in fields:
            if isinstance(f, models.JSONField):
                continue
            for v in needles:
                probe |= Q(**{f"{f.attname}__icontains": v})
                digits = re.sub(r"\D", "", v)
                if len(digits) >= 7:
                    probe |= Q(**{f"{f.attname}__contains": digits[-4:]})
        rows = base.filter(probe).values("pk", *[f.attname for f in fields])
        count = 0
        for row in rows:
            changes: dict[str, Any] = {}
            for f in fields:
                old = row[f.attname]
                new = (
                    mask_json(old, pattern)
                    if isinstance(f, models.JSONField)
                    else mask_text(old, pattern)
                )
                if new != old:
                    changes[f.attname] = new
            if not changes:
                continue
            if issubclass(model, AppendOnlyModel):
                append_only.redact(model, row["pk"], **changes)
            else:
                models.QuerySet(model).filter(pk=row["pk"]).update(**changes)
            count += 1
        if count:
            done[label] = count
    # The audit trail of those records: a reason or a changed note may quote the person.
    count = 0
    for entry in AuditEntry.objects.filter(audited).values("pk", "changes", "reason"):
        changes = {"changes": mask_json(entry["changes"], pattern)}
        changes["reason"] = mask_text(entry["reason"], pattern)
        if changes != {"changes": entry["changes"], "reason": entry["reason"]}:
            append_only.redact(AuditEntry, entry["pk"], **changes)
            count += 1
    if count:
        done[AuditEntry._meta.label] = count
    return done
