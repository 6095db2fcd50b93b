"""Background jobs of the workshop: take ids or nothing, call an action."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.workshop import actions


@db_periodic_task(crontab(minute="15", hour="*"))
def unclaimed_reminders() -> int:
    """Remind customers of units ready and not collected (company setting: after N days)."""
    return actions.unclaimed_remind()
