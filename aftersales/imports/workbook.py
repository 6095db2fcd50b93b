"""The xlsx template of the history file: one sheet, one row per line of the JSON Lines file.

Columns: `kind`, `id`, `at`, then every field of every kind (a row fills those of its kind);
`answers`, `accessories`, `fault_codes`, `items`, `models` and `parts` hold JSON. Also the dry-run report as a workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from aftersales.core.validation import ValidationFailed
from aftersales.imports.format import BASE_FIELDS, SPECS

COLUMNS: list[str] = list(BASE_FIELDS)
for _spec in SPECS.values():
    for _name in (*_spec.required, *_spec.optional):
        if _name not in COLUMNS:
            COLUMNS.append(_name)
JSON_COLUMNS = frozenset({"answers", "accessories", "fault_codes", "items", "models", "parts"})


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "history"
    sheet.append(COLUMNS)
    example = {
        "kind": "customer",
        "id": "C-1",
        "at": "2021-01-05 09:00",
        "name": "王五",
        "phone": "13700001111",
    }
    sheet.append([example.get(c) for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(name: str, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if name in JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, str):
        return value.strip()
    return value


def to_jsonl(data: bytes) -> str:
    """The workbook's rows as JSON Lines (empty cells left out; blank rows kept as blank lines
    so line numbers match the sheet's rows)."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # not a workbook at all
        raise ValidationFailed({"file": _("The file is not an Excel workbook (.xlsx).")}) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    lines = [""]  # the header row is line 1
    for values in rows:
        row = {
            name: _cell(name, value)
            for name, value in zip(header, values, strict=False)
            if name and value not in (None, "")
        }
        lines.append(json.dumps(row, ensure_ascii=False) if row else "")
    return "\n".join(lines) + "\n"


def report_xlsx(rows: list[Any], headers: list[str], outcome_words: dict[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "report"
    sheet.append(headers)
    for r in rows:
        sheet.append(
            [
                r.line,
                r.kind,
                r.external_id,
                outcome_words.get(r.outcome, r.outcome),
                " ".join(r.messages),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
