"""/api/v1/imports (the history import) and /api/v1/external-ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.api.types import Id
from aftersales.core.errors import NotFound
from aftersales.core.queue import trigger
from aftersales.customers.selectors import customers_visible_to
from aftersales.imports import actions, selectors
from aftersales.imports.export import history_export
from aftersales.imports.format import KIND_LABELS, message
from aftersales.imports.tasks import history_import_task

router = Router(tags=["history import"])


class ImportOut(Schema):
    id: int
    name: str
    status: str
    total: int
    done: int
    applied: int
    skipped: int
    refused: int
    gaps: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


class RowOut(Schema):
    line: int
    kind: str
    external_id: str
    outcome: str
    messages: list[str]


class ImportReportOut(Schema):
    rows: list[RowOut]
    create: int
    skip: int
    gap: int
    refuse: int


class IssueOut(Schema):
    line: int
    kind: str
    external_id: str
    code: str
    message: str


class RefOut(Schema):
    kind: str
    external_id: str
    id: int


@router.post("/imports", response={201: ImportOut, **ERRORS})
def import_upload(request: AuthedRequest, file: File[UploadedFile]) -> Any:
    """Upload a JSON Lines history file (docs/history-import.md): stored and checked; apply
    it with POST /imports/{id}/apply, read the per-row dry run at /imports/{id}/report."""
    data = file.read()
    return Status(
        201, actions.history_import_create(actor=request.user, name=file.name or "", data=data)
    )


@router.get("/imports", response={200: list[ImportOut], **ERRORS})
def import_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.HISTORY_IMPORT)
    return list(selectors.imports_of(request.user)[:50])


@router.get("/imports/export", response={200: None, **ERRORS})
def import_export(request: AuthedRequest, customer: Id | None = None) -> Any:
    """The company's history (or one customer's) as JSON Lines, the shape POST /imports reads."""
    if customer is not None and not customers_visible_to(request.user).filter(pk=customer).exists():
        raise NotFound("not_found", _("Not found."))
    out = history_export(actor=request.user, customer=customer)
    response = HttpResponse(out.text(), content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="history.jsonl"'
    return response


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS})
def import_get(request: AuthedRequest, import_id: Id) -> Any:
    """Progress: rows done of the total, applied, already there, refused, gaps."""
    return actions.history_import_get(actor=request.user, import_id=import_id)


@router.get("/imports/{import_id}/report", response={200: ImportReportOut, **ERRORS})
def import_report(request: AuthedRequest, import_id: Id) -> Any:
    """The dry run: what each row would do or why it is refused (nothing is written). Up to
    2,000 rows the file is replayed in a transaction that is rolled back (the actions'
    refusals are reported too); a larger file is checked without the replay."""
    job = actions.history_import_get(actor=request.user, import_id=import_id)
    report = actions.history_check(
        actor=request.user,
        text=actions.stored_text(job),
        replay_rows=job.total <= actions.REPLAY_LIMIT,
        staff=job.staff,
    )
    return {
        "rows": [
            {
                "line": r.line,
                "kind": r.kind,
                "external_id": r.external_id,
                "outcome": r.outcome,
                "messages": r.messages,
            }
            for r in report.rows
        ],
        **{k: report.count(k) for k in ("create", "skip", "gap", "refuse")},
    }


@router.get("/imports/{import_id}/issues", response={200: list[IssueOut], **ERRORS})
def import_issues(request: AuthedRequest, import_id: Id) -> Any:
    """The rows refused (or applied with a gap) while applying."""
    job = actions.history_import_get(actor=request.user, import_id=import_id)
    return [
        {
            "line": i.line,
            "kind": i.kind,
            "external_id": i.external_id,
            "code": i.code,
            "message": message(i.code, i.params),
        }
        for i in selectors.issues_of(job)[:1000]
    ]


@router.post("/imports/{import_id}/apply", response={202: ImportOut, **ERRORS})
def import_apply(request: AuthedRequest, import_id: Id) -> Any:
    """Apply in the background (resumes a stopped import); poll GET /imports/{id}."""
    job = actions.history_import_get(actor=request.user, import_id=import_id)
    trigger(history_import_task, job.pk)  # the import row is committed already
    return Status(202, job)


@router.get("/external-ids/{kind}/{external_id}", response={200: RefOut, **ERRORS})
def external_id_lookup(request: AuthedRequest, kind: str, external_id: str) -> Any:
    """The record (id) the source system called `external_id`: customer, unit, order..."""
    require(request.user, Perm.HISTORY_IMPORT)
    ids = selectors.object_ids(request.user.company_id, kind, external_id)
    if kind not in KIND_LABELS or not ids:
        raise NotFound("not_found", _("Not found."))
    return {"kind": kind, "external_id": external_id, "id": ids[0]}
