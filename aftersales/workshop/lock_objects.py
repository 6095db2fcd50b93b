"""Row locks of the workshop, in one order: the job first, then its service order (the order
actions lock it), then loaners by id. Queue tickets are locked on their own."""

from __future__ import annotations

from aftersales.workshop.models import Loaner, QueueTicket, WorkshopJob


def lock_job(pk: int) -> WorkshopJob | None:
    return WorkshopJob.objects.select_for_update().filter(pk=pk).first()


def lock_loaner(pk: int) -> Loaner | None:
    return Loaner.objects.select_for_update().filter(pk=pk).first()


def lock_ticket(pk: int) -> QueueTicket | None:
    return QueueTicket.objects.select_for_update().filter(pk=pk).first()
