"""The assessment scheme as form rows (the page's editor) and back: plain data, no ORM.

Rows are what a person types: an item is a code, a name, a weight, a KPI (or none: scored by
hand, up to `max` points) and its bands as text `90:100, 85:85, 0:40` (threshold: points); a
rule is a code, a name, a KPI (or none: a count entered by hand), points per unit and a cap;
a grade is a threshold and a label. `parse()` turns the rows into the scheme's data and says,
per field, what is wrong (in the reader's language)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from aftersales.kpi.formulas import BY_CODE

ITEM_FIELDS = ("code", "name", "weight", "kpi", "max", "bands")
RULE_FIELDS = ("code", "name", "kpi", "per", "cap")
GRADE_FIELDS = ("threshold", "label")
BLANK_ROWS = 2


@dataclass
class Parsed:
    definition: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def bands_text(bands: Sequence[Sequence[Any]]) -> str:
    return ", ".join(f"{t}:{p}" for t, p in bands)


def parse_bands(text: str) -> list[list[str]] | None:
    out = []
    for part in text.replace("，", ",").replace("：", ":").split(","):
        if not part.strip():
            continue
        if ":" not in part:
            return None
        threshold, points = (_number(x) for x in part.split(":", 1))
        if threshold is None or points is None:
            return None
        out.append([str(threshold), str(points)])
    return out or None


def rows_of(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A scheme's data as the editor's rows (plus blank rows to add more)."""
    items = [
        {
            "code": i.get("code", ""),
            "name": i.get("name", ""),
            "weight": str(i.get("weight", "")),
            "kpi": "" if i.get("manual") else i.get("kpi", ""),
            "max": str(i.get("max", "")) if i.get("manual") else "",
            "bands": "" if i.get("manual") else bands_text(i.get("bands") or []),
        }
        for i in definition.get("items") or []
    ]
    rules = [
        {
            "code": r.get("code", ""),
            "name": r.get("name", ""),
            "kpi": "" if r.get("manual") else r.get("kpi", ""),
            "per": str(r.get("per", "")),
            "cap": str(r.get("cap", "")),
        }
        for r in definition.get("rules") or []
    ]
    grades = [{"threshold": str(t), "label": g} for t, g in definition.get("grades") or []]
    blank_i = dict.fromkeys(ITEM_FIELDS, "")
    blank_r = dict.fromkeys(RULE_FIELDS, "")
    blank_g = dict.fromkeys(GRADE_FIELDS, "")
    return {
        "subject": definition.get("subject", "station"),
        "items": items + [dict(blank_i) for _ in range(BLANK_ROWS)],
        "rules": rules + [dict(blank_r) for _ in range(BLANK_ROWS)],
        "grades": grades + [dict(blank_g) for _ in range(BLANK_ROWS)],
    }


def rows_from_post(post: Any) -> dict[str, Any]:
    """The rows as posted (`item-code` ... lists of equal length; blank rows kept)."""

    def table(prefix: str, names: Sequence[str]) -> list[dict[str, str]]:
        columns = {n: post.getlist(f"{prefix}-{n}") for n in names}
        size = max((len(v) for v in columns.values()), default=0)
        return [
            {n: (columns[n][i] if i < len(columns[n]) else "").strip() for n in names}
            for i in range(size)
        ]

    return {
        "subject": (post.get("subject") or "").strip(),
        "items": table("item", ITEM_FIELDS),
        "rules": table("rule", RULE_FIELDS),
        "grades": table("grade", GRADE_FIELDS),
    }


def parse(rows: Mapping[str, Any]) -> Parsed:
    """The scheme's data from the rows; rows with nothing in them are skipped."""
    errors: dict[str, str] = {}
    subject = rows.get("subject")
    if subject not in ("station", "technician"):
        errors["subject"] = _("Choose stations or technicians.")
    items: list[dict[str, Any]] = []
    codes: set[str] = set()
    total = Decimal(0)
    for n, row in enumerate(rows.get("items") or []):
        if not any(row.values()):
            continue
        key = f"item-{n}"
        code = row.get("code", "")
        if not code:
            errors[f"{key}-code"] = _("Give the line a code.")
        elif code in codes:
            errors[f"{key}-code"] = _("This code is used twice.")
        codes.add(code)
        weight = _number(row.get("weight", ""))
        if weight is None or weight <= 0:
            errors[f"{key}-weight"] = _("Enter a weight above 0.")
        else:
            total += weight
        item: dict[str, Any] = {
            "code": code,
            "name": row.get("name") or code,
            "weight": str(weight) if weight is not None else "",
        }
        kpi = row.get("kpi", "")
        if not kpi:
            most = _number(row.get("max", "")) if row.get("max") else Decimal(100)
            if most is None or most <= 0:
                errors[f"{key}-max"] = _("Enter the most points (above 0).")
            item.update({"manual": True, "max": str(most) if most is not None else ""})
        else:
            if kpi not in BY_CODE:
                errors[f"{key}-kpi"] = _("Choose a figure.")
            bands = parse_bands(row.get("bands", ""))
            if bands is None:
                errors[f"{key}-bands"] = _(
                    "Write the bands as threshold:points, e.g. 90:100, 80:70."
                )
            item.update({"kpi": kpi, "bands": bands or []})
        items.append(item)
    if not items:
        errors["items"] = _("Add at least one item.")
    elif "items" not in errors and total != 100 and not any(k.endswith("-weight") for k in errors):
        errors["items"] = _("The weights add up to %(sum)s, not 100.") % {"sum": total}
    rules: list[dict[str, Any]] = []
    for n, row in enumerate(rows.get("rules") or []):
        if not any(row.values()):
            continue
        key = f"rule-{n}"
        code = row.get("code", "")
        if not code:
            errors[f"{key}-code"] = _("Give the line a code.")
        elif code in codes:
            errors[f"{key}-code"] = _("This code is used twice.")
        codes.add(code)
        per = _number(row.get("per", ""))
        if per is None or per == 0:
            errors[f"{key}-per"] = _("Enter the points per unit (not 0).")
        cap = _number(row.get("cap", "")) if row.get("cap") else None
        if row.get("cap") and cap is None:
            errors[f"{key}-cap"] = _("Enter a number.")
        elif cap is not None and per is not None and (cap > 0) != (per > 0):
            errors[f"{key}-cap"] = _("The cap has the sign of the points per unit.")
        rule: dict[str, Any] = {"code": code, "name": row.get("name") or code, "per": str(per)}
        if cap is not None:
            rule["cap"] = str(cap)
        kpi = row.get("kpi", "")
        if kpi:
            if kpi not in BY_CODE:
                errors[f"{key}-kpi"] = _("Choose a figure.")
            rule["kpi"] = kpi
        else:
            rule["manual"] = True
        rules.append(rule)
    grades: list[list[str]] = []
    for n, row in enumerate(rows.get("grades") or []):
        if not any(row.values()):
            continue
        threshold = _number(row.get("threshold", ""))
        if threshold is None:
            errors[f"grade-{n}-threshold"] = _("Enter a number.")
        if not row.get("label"):
            errors[f"grade-{n}-label"] = _("Name the grade.")
        grades.append([str(threshold), row.get("label", "")])
    if not grades:
        errors["grades"] = _("Add at least one grade.")
    elif not errors.get("grades") and all(
        _number(t) is not None and _number(t) != 0 for t, _g in grades
    ):
        errors["grades"] = _("Add a grade from 0 points (every score needs a grade).")
    grades.sort(key=lambda g: _number(g[0]) or Decimal(0), reverse=True)
    return Parsed({"subject": subject, "items": items, "rules": rules, "grades": grades}, errors)
