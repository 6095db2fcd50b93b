"""Background jobs of dispatch: they take ids and call actions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.dispatch.actions import auto_assign_retry_sweep, order_auto_assign


@db_task()
def auto_assign_task(order_id: int) -> bool:
    """After intake, when the company assigns automatically."""
    return order_auto_assign(order_id=order_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def auto_assign_retry_task() -> int:
    """Orders whose automatic assignment was lost with a killed worker: tried again once."""
    return len(auto_assign_retry_sweep())
