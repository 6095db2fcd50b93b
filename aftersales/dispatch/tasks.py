"""Background jobs of dispatch: they take ids and call actions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.core.queue import trigger
from aftersales.dispatch.actions import auto_assign_retry_sweep, order_auto_assign


@db_task()
def auto_assign_task(order_id: int) -> bool:
    """After intake, when the company assigns automatically."""
    return order_auto_assign(order_id=order_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def auto_assign_retry_task() -> int:
    """Orders whose automatic assignment was lost with a killed worker: tried again once."""
    return len(auto_assign_retry_sweep())


def after_intake(order_id: int) -> None:
    """orders' AFTER_INTAKE_HOOKS (registered in `DispatchConfig.ready()`): queue the
    automatic assignment of a new order."""
    trigger(auto_assign_task, order_id)


@db_task()
def auto_assign_many_task(order_ids: list[int]) -> int:
    """After a batch of orders was created (planned work): assign each as on intake, when the
    company assigns automatically."""
    return sum(order_auto_assign(order_id=pk) is not None for pk in order_ids)


def after_bulk_intake(order_ids: list[int]) -> None:
    """orders' AFTER_BULK_INTAKE_HOOKS (registered in `DispatchConfig.ready()`): one queued job
    assigns the batch."""
    trigger(auto_assign_many_task, order_ids)
