"""/api/v1/import/{kind} and /api/v1/export/{kind}.xlsx"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import require
from aftersales.api.customers import ERRORS, ERRORS_BUT_422
from aftersales.core import clock
from aftersales.core.errors import NotFound
from aftersales.core.excel import read_rows, run_import, write_xlsx
from aftersales.spreadsheets import KINDS, TransferKind

router = Router(tags=["import/export"])


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class ReportOut(Schema):
    total_rows: int
    created: int
    bad_rows: int
    applied: bool
    errors: list[RowErrorOut]


def _kind(key: str) -> TransferKind:
    if key not in KINDS:
        raise NotFound("not_found", _("Not found."))
    return KINDS[key]


class ReportRefusedOut(Schema):
    """422: either the import's report (nothing applied, every bad row listed) or, for a
    request that is not a valid upload at all, the usual error."""

    code: str
    message: str
    details: dict[str, Any] | None = None
    total_rows: int | None = None
    created: int | None = None
    bad_rows: int | None = None
    applied: bool | None = None
    errors: list[RowErrorOut] | None = None


@router.post("/import/{kind}", response={200: ReportOut, 422: ReportRefusedOut, **ERRORS_BUT_422})
def import_file(
    request: AuthedRequest,
    kind: str,
    file: File[UploadedFile],
    skip_bad_rows: Form[bool] = False,
) -> Any:
    """Import customers, units or parts from an .xlsx file. All-or-nothing unless
    `skip_bad_rows`; the report lists every bad row with its number and reason (422 if
    nothing was imported)."""
    spec = _kind(kind)
    require(request.user, spec.import_perm)
    rows = read_rows(file, spec.columns)
    report = run_import(
        rows, lambda row: spec.import_row(request.user, row), skip_bad_rows=skip_bad_rows
    )
    if report.applied:
        return report.as_dict()
    refused = {
        "code": "import_refused",
        "message": str(_("Nothing was imported: correct the rows listed and try again.")),
    }
    return Status(422, {**refused, **report.as_dict()})


@router.get("/export/{kind}.xlsx", response={200: None, **ERRORS})
def export_file(request: AuthedRequest, kind: str) -> Any:
    spec = _kind(kind)
    require(request.user, spec.export_perm)
    content = write_xlsx(spec.export_columns, spec.export_rows(request.user), sheet_title=kind)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-{clock.today():%Y%m%d}.xlsx"'
    return response
