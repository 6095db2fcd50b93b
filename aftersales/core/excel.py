"""Excel (xlsx) import and export with a row-level validation report.

An import runs every row through the same action the pages use. By default it is
all-or-nothing: one bad row and nothing is written, and the report lists every bad row with its
row number and reason. With `skip_bad_rows` the good rows are written and the bad ones reported.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

from aftersales.core.errors import ApplicationError
from aftersales.core.validation import ValidationFailed


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation; the header may be the key or the label in either language
    required: bool = False


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    total_rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "bad_rows": self.bad_rows,
            "applied": self.applied,
            "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors],
        }


class _Rollback(Exception):
    pass


def _header_names(col: Column) -> set[str]:
    names = {col.key.lower()}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            names.add(str(col.label).strip().lower())
    return names


def _header_key(cell: Any, columns: Sequence[Column]) -> str | None:
    text = str(cell or "").strip().lower()
    for col in columns:
        if text in _header_names(col):
            return col.key
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def read_rows(upload: IO[bytes], columns: Sequence[Column]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {key: value}) for each non-empty data row of the first sheet."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size == 0:
        raise ApplicationError("empty_file", _("The file is empty."))
    if size > settings.IMPORT_MAX_BYTES:
        raise ApplicationError(
            "file_too_large",
            _("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20},
            status=413,
        )
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ApplicationError("not_xlsx", _("This is not an Excel (.xlsx) file.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ApplicationError("empty_file", _("The file is empty."))
        keys = [_header_key(cell, columns) for cell in header]
        missing = [str(c.label) for c in columns if c.required and c.key not in keys]
        if missing:
            raise ApplicationError(
                "missing_columns",
                _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)},
            )
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(rows, start=2):
            if values is None or all(v in (None, "") for v in values):
                continue
            if len(out) >= settings.IMPORT_MAX_ROWS:
                raise ApplicationError(
                    "too_many_rows",
                    _("At most %(n)d rows per file.") % {"n": settings.IMPORT_MAX_ROWS},
                    status=413,
                )
            row = {k: _plain(v) for k, v in zip(keys, values, strict=False) if k is not None}
            out.append((number, row))
        return out
    finally:
        book.close()


def run_import(
    rows: list[tuple[int, dict[str, Any]]],
    handle_row: Callable[[dict[str, Any]], Any],
    *,
    skip_bad_rows: bool = False,
) -> ImportReport:
    """Run `handle_row` (which calls an action) for each row, each in its own savepoint."""
    report = ImportReport(total_rows=len(rows))
    try:
        with transaction.atomic():
            for number, row in rows:
                try:
                    with transaction.atomic():
                        handle_row(row)
                except ValidationFailed as exc:
                    for name, message in exc.errors.items():
                        report.errors.append(RowError(number, name, str(message)))
                except ApplicationError as exc:
                    if exc.status in (401, 403):
                        raise
                    report.errors.append(RowError(number, "", str(exc.message)))
                else:
                    report.created += 1
            if report.errors and not skip_bad_rows:
                raise _Rollback
    except _Rollback:
        report.created = 0
        report.applied = False
        return report
    report.applied = True
    return report


def export_cell(sheet: Any, value: Any) -> Any:
    """A value as an export cell: text without the control characters XML cannot hold (a
    name saved before they were refused still exports), and text starting with "=" kept as
    text, never run as a formula; an amount (`Decimal`) a number cell shown with its places
    ("398.00"), so that a spreadsheet sums it."""
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value)
        places = -int(value.as_tuple().exponent) if value.is_finite() else 0
        cell.number_format = "0." + "0" * places if places > 0 else "0"
        return cell
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    if value.startswith("="):
        cell.data_type = "s"
    return cell


def write_xlsx(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet_title: str = "data"
) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31])
    sheet.append([export_cell(sheet, str(c.label)) for c in columns])
    for row in rows:
        sheet.append([export_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
