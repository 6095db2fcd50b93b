"""The history import pages: upload (JSON Lines or the xlsx template), the dry-run report
(downloadable as xlsx), apply, progress; and finding a record by its external id."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm
from aftersales.core.errors import ApplicationError
from aftersales.core.queue import trigger
from aftersales.imports import actions, selectors, workbook
from aftersales.imports.format import KIND_LABELS, message
from aftersales.imports.models import ImportStatus
from aftersales.imports.tasks import history_import_task
from aftersales.web.shortcuts import page, xlsx_response

OUTCOMES = {
    "create": _("Will be imported"),
    "skip": _("Already imported"),
    "gap": _("Imported with a gap"),
    "refuse": _("Refused"),
}
# Where a record found by its external id is shown.
RECORD_PAGES = {
    "order": "order-detail",
    "customer": "customer-detail",
    "unit": "unit-detail",
    "workshop": "workshop-job",
}


@page(Perm.HISTORY_IMPORT)
def history_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/history/list.html", _list_context(request))


def _list_context(request: AuthedRequest) -> dict[str, Any]:
    return {
        "imports": selectors.imports_of(request.user)[:20],
        "kinds": [(k, KIND_LABELS[k]) for k in RECORD_PAGES],
    }


@require_POST
@page(Perm.HISTORY_IMPORT)
def history_upload(request: AuthedRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError("no_file", _("Choose a file to import."))
    job = actions.history_import_create(
        actor=request.user,
        name=upload.name or "",
        data=upload.read(),
    )
    return redirect("history-detail", pk=job.pk)


def _report(request: AuthedRequest, pk: int) -> tuple[actions.HistoryImport, actions.Report]:
    job = actions.history_import_get(actor=request.user, import_id=pk)
    report = actions.history_check(
        actor=request.user,
        text=actions.stored_text(job),
        replay_rows=job.total <= actions.REPLAY_LIMIT,
        staff=job.staff,
    )
    kinds = {k: str(v) for k, v in KIND_LABELS.items()}
    for row in report.rows:
        row.kind = kinds.get(row.kind, row.kind)
    return job, report


@page(Perm.HISTORY_IMPORT)
def history_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = actions.history_import_get(actor=request.user, import_id=pk)
    context: dict[str, object] = {"job": job, "outcomes": OUTCOMES}
    if job.status == ImportStatus.CHECKED:
        _job, report = _report(request, pk)
        rows = sorted(report.rows, key=lambda r: (r.outcome != "refuse", r.line))
        context.update(
            report=[
                {
                    "line": r.line,
                    "kind": KIND_LABELS.get(r.kind, r.kind),
                    "external_id": r.external_id,
                    "outcome": r.outcome,
                    "messages": r.messages,
                }
                for r in rows[:500]
            ],
            counts={k: report.count(k) for k in OUTCOMES},
            can_apply=report.count("refuse") == 0,
        )
    else:
        context["issues"] = [
            {
                "line": i.line,
                "kind": i.kind,
                "external_id": i.external_id,
                "message": message(i.code, i.params),
            }
            for i in selectors.issues_of(job)[:500]
        ]
    template = "web/history/progress.html" if request.headers.get("HX-Request") else None
    return render(request, template or "web/history/detail.html", context)


@page(Perm.HISTORY_IMPORT)
def history_report_xlsx(request: AuthedRequest, pk: int) -> HttpResponse:
    job, report = _report(request, pk)
    headers = [
        str(h)
        for h in (
            pgettext_lazy("history", "Line"),
            pgettext_lazy("history", "Kind"),
            pgettext_lazy("history", "External id"),
            pgettext_lazy("history", "Outcome"),
            pgettext_lazy("history", "Why"),
        )
    ]
    words = {k: str(v) for k, v in OUTCOMES.items()}
    content = workbook.report_xlsx(report.rows, headers, words)
    return xlsx_response(content, f"history-import-{job.pk}-report.xlsx")


@page(Perm.HISTORY_IMPORT)
def history_template(request: AuthedRequest) -> HttpResponse:
    return xlsx_response(workbook.template(), "history-template.xlsx")


@require_POST
@page(Perm.HISTORY_IMPORT)
def history_apply(request: AuthedRequest, pk: int) -> HttpResponse:
    job = actions.history_import_get(actor=request.user, import_id=pk)
    trigger(history_import_task, job.pk)
    return redirect("history-detail", pk=job.pk)


@page(Perm.HISTORY_IMPORT)
def history_find(request: AuthedRequest) -> HttpResponse:
    kind = request.GET.get("kind", "order")
    external_id = request.GET.get("external_id", "").strip()
    ids = (
        selectors.object_ids(request.user.company_id, kind, external_id)
        if kind in RECORD_PAGES
        else []
    )
    if not ids:  # back to the finder, which keeps what was typed, with the answer
        return render(
            request,
            "web/history/list.html",
            {
                **_list_context(request),
                "find_kind": kind,
                "find_id": external_id,
                "find_error": _("No record has this external id."),
            },
            status=404,
        )
    name, pk = selectors.record_page(request.user, kind, ids[0], RECORD_PAGES[kind])
    return redirect(reverse(name, kwargs={"pk": pk}))
