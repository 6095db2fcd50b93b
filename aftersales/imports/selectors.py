"""Reads: a record's id by the source system's external id, an import's issues."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.imports.models import ExternalRef, HistoryImport, ImportIssue
from aftersales.workshop.models import WorkshopJob
from aftersales.workshop.selectors import jobs_visible_to


def object_ids(company_id: int | None, kind: str, external_id: str) -> list[int]:
    """The ids (zero or one) of the company's record of `kind` the source called `external_id`."""
    if company_id is None:  # no company, no records (the column is never empty)
        return []
    return [
        pk
        for pk in ExternalRef.objects.filter(
            company_id=company_id, kind=kind, external_id=external_id.strip()
        ).values_list("object_id", flat=True)
        if pk is not None
    ]


def external_ids(company_id: int | None, kind: str, object_ids: list[int]) -> dict[int, str]:
    """object id -> external id, for the records that have one."""
    if company_id is None:
        return {}
    rows = ExternalRef.objects.filter(company_id=company_id, kind=kind, object_id__in=object_ids)
    return {r.object_id: r.external_id for r in rows if r.object_id is not None}


def imports_of(user: Any) -> QuerySet[HistoryImport]:
    return HistoryImport.objects.filter(company_id=user.company_id).order_by("-pk")


def issues_of(history_import: HistoryImport) -> QuerySet[ImportIssue]:
    return history_import.issues.all()


def record_page(user: Any, kind: str, object_id: int, page: str) -> tuple[str, int]:
    """The page (URL name, id) to show an imported record on: a workshop job's own page for
    whoever works in the workshop, else its order's (an administrator's view of it)."""
    if kind == "workshop" and not jobs_visible_to(user).filter(pk=object_id).exists():
        order = WorkshopJob.objects.filter(pk=object_id).values_list("order_id", flat=True)
        return "order-detail", int(order.get())
    return page, object_id
