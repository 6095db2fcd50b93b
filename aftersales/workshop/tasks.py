"""Background jobs of the workshop: take ids or nothing, call an action."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.workshop import actions


@db_periodic_task(crontab(minute="15", hour="*"))
def unclaimed_reminders() -> int:
    """Remind customers of units ready and not collected (company setting: after N days)."""
    return actions.unclaimed_remind()


@db_periodic_task(crontab(minute="45", hour="9"))
def never_sent_follow_ups() -> int:
    """Mail-in requests whose unit never came: the customer is reminded once."""
    return actions.never_sent_follow_up()


@db_periodic_task(crontab(minute="30", hour="*"))
def repair_days_checks() -> int:
    """Units long in the workshop: the 三包 decision with the days so far (car loaner from
    day 6, exchange after 30 days)."""
    return actions.repair_days_check()
