"""Background jobs of dispatch: they take ids and call actions."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.core.queue import trigger
from aftersales.dispatch.actions import order_auto_assign


@db_task()
def auto_assign_task(order_id: int) -> bool:
    """After intake, when the company assigns automatically."""
    return order_auto_assign(order_id=order_id) is not None


def after_intake(order_id: int) -> None:
    """orders' AFTER_INTAKE_HOOKS (registered in `DispatchConfig.ready()`): queue the
    automatic assignment of a new order."""
    trigger(auto_assign_task, order_id)
