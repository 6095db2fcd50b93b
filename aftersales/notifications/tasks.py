"""Background jobs: a trigger after commit and a periodic sweep that picks up anything left."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

# The module, not its names: actions queues these tasks, so the two import each other.
from aftersales.notifications import actions


@db_task()
def outbox_send_task() -> int:
    return actions.outbox_send_due()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    actions.outbox_recover_stale()
    return actions.outbox_send_due()
