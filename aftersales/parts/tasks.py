"""Background jobs of parts: they call actions; running twice does no harm."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.parts.actions import returns_charge_overdue


@db_periodic_task(crontab(minute="40", hour="2"))
def returns_overdue_task() -> int:
    """Nightly: old parts not sent back by their deadline become chargebacks (once each)."""
    return returns_charge_overdue()
