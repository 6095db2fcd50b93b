"""Background jobs of settlement: take nothing, call an action. Both read `clock`, so a
backfill runs them as of a past moment."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.billing import actions


@db_periodic_task(crontab(minute="20", hour="1"))
def month_end_statements() -> int:
    """Last month's statements of the stations that have none yet (daily, so a missed night
    is made up the next; exactly once per station and period)."""
    return len(actions.statements_month_end())


@db_periodic_task(crontab(minute="40", hour="*"))
def overdue_disputes() -> int:
    """Disputes past their answer deadline are accepted as the station claimed."""
    return actions.disputes_overdue()
