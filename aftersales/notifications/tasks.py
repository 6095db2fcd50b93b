"""Background jobs: a trigger after commit and a periodic sweep that picks up anything left."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.notifications.actions import outbox_recover_stale, outbox_send_due


@db_task()
def outbox_send_task() -> int:
    return outbox_send_due()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    outbox_recover_stale()
    return outbox_send_due()
