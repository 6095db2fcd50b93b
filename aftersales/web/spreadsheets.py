"""Excel import/export pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import has_perm, require
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound, PermissionDenied
from aftersales.core.excel import read_rows, run_import, write_xlsx
from aftersales.spreadsheets import KINDS, TRANSFER_PERMS, TransferKind
from aftersales.web.shortcuts import page, xlsx_response


def _kind(key: str) -> TransferKind:
    if key not in KINDS:
        raise NotFound("not_found", _("Not found."))
    return KINDS[key]


def _require_any(user: Any) -> None:
    if not any(has_perm(user, p) for p in TRANSFER_PERMS):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


@page()
def transfer(request: AuthedRequest) -> HttpResponse:
    _require_any(request.user)
    kinds = [
        {
            "kind": k,
            "can_import": has_perm(request.user, k.import_perm),
            "can_export": has_perm(request.user, k.export_perm),
        }
        for k in KINDS.values()
    ]
    return render(request, "web/transfer.html", {"kinds": kinds})


@require_POST
@page()
def import_file(request: AuthedRequest, key: str) -> HttpResponse:
    kind = _kind(key)
    require(request.user, kind.import_perm)
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError("no_file", _("Choose a file to import."))
    rows = read_rows(upload, kind.columns)
    report = run_import(
        rows,
        lambda row: kind.import_row(request.user, row),
        skip_bad_rows=request.POST.get("skip_bad_rows") == "1",
    )
    status = 200 if report.applied else 422
    return render(
        request, "web/transfer_report.html", {"kind": kind, "report": report}, status=status
    )


@page()
def export_file(request: AuthedRequest, key: str) -> HttpResponse:
    kind = _kind(key)
    require(request.user, kind.export_perm)
    content = write_xlsx(kind.export_columns, kind.export_rows(request.user), sheet_title=key)
    return xlsx_response(content, f"{key}-{clock.today():%Y%m%d}.xlsx")


@page()
def template_file(request: AuthedRequest, key: str) -> HttpResponse:
    kind = _kind(key)
    require(request.user, kind.import_perm)
    return xlsx_response(write_xlsx(kind.columns, [], sheet_title=key), f"{key}-template.xlsx")
