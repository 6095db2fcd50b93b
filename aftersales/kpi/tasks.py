"""Background jobs: keep the KPI facts and daily sums current."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.kpi import actions


@db_periodic_task(crontab(minute="*/15"))
def kpi_refresh_job() -> int:
    """Read the events written since the last run (idempotent: a rerun rewrites the same rows)."""
    return actions.kpi_refresh_all()


@db_periodic_task(crontab(hour="7", minute="10"))
def kpi_monthly_report_job() -> int:
    """Last month's figures to the subscribers (once a month: the outbox drops repeats)."""
    return actions.kpi_monthly_reports()
