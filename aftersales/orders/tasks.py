"""Background jobs of the order flow. They take ids and call actions; the database is the
truth, so a job that dies is simply picked up by the next periodic run."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.calendars.selectors import forget
from aftersales.orders.orphans import sweep_orphan_uploads
from aftersales.orders.service_levels import escalation_run, orders_recompute_due


@db_periodic_task(crontab(minute="*"))
def escalation_sweep() -> int:
    return escalation_run()


@db_task()
def orders_recompute_due_task(company_id: int, *, provisional_only: bool) -> int:
    forget(company_id)  # the change that asked for this may have been made by another process
    return orders_recompute_due(company_id=company_id, provisional_only=provisional_only)


@db_periodic_task(crontab(minute="25", hour="4"))
def orphan_uploads_sweep() -> int:
    """Nightly: delete stored files no row refers to (older than the grace period)."""
    return len(sweep_orphan_uploads(apply=True).orphans)


def days_changed(company_id: int, *, provisional_only: bool) -> None:
    """calendars' DAYS_CHANGED_HOOKS (registered in `OrdersConfig.ready()`): recompute the
    due times in the background."""
    orders_recompute_due_task(company_id, provisional_only=provisional_only)
