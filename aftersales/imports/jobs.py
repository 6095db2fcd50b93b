"""Every periodic job of every app, by name, for `aftersales backfill`.

A job is named by its import path (a Huey periodic task or a plain function taking no
arguments), so this module imports no app: an app that adds a periodic job adds one line here
(or calls `register` from its `AppConfig.ready()`). Each job must read `clock.now()`, so that
running it under `clock.at(moment)` computes what it would have computed at that moment, and
must not send a customer message for the past (the outbox keeps it as suppressed).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

PERIODIC_JOBS: dict[str, str] = {
    # SLA: escalation steps whose moment has come.
    "escalation": "aftersales.orders.tasks.escalation_sweep",
    # Calendar years newly published by the chinese-calendar package.
    "calendar-years": "aftersales.calendars.tasks.calendar_years_sweep",
    # Follow-ups opened for completed orders that have none.
    "follow-ups": "aftersales.feedback.tasks.follow_ups_sweep",
    # Complaints past a step of their deadline go up a level.
    "complaint-escalation": "aftersales.feedback.tasks.complaints_escalation_sweep",
    # Warranty end dates of every unit.
    "warranty-batch": "aftersales.warranty.tasks.warranty_batch_nightly",
    # Maintenance orders generated from the plans.
    "maintenance-generation": "aftersales.maintenance.tasks.maintenance_generation",
    # Contracts: renewal reminders and expiry.
    "contracts": "aftersales.maintenance.tasks.contracts_sweep",
    # Recall campaigns' orders.
    "campaigns": "aftersales.maintenance.tasks.campaigns_sweep",
    # KPI facts and daily rollups.
    "kpi-rollups": "aftersales.kpi.tasks.kpi_refresh_job",
    # Last month's KPI report to the subscribers.
    "kpi-monthly-report": "aftersales.kpi.tasks.kpi_monthly_report_job",
    # Old-part returns past their deadline.
    "returns-overdue": "aftersales.parts.tasks.returns_overdue_task",
    # Workshop: reminders for units not collected, follow-ups never sent.
    "workshop-unclaimed": "aftersales.workshop.tasks.unclaimed_reminders",
    "workshop-follow-ups": "aftersales.workshop.tasks.never_sent_follow_ups",
    # Workshop: days in repair (the car's loaner from day 6, the 30-day limit).
    "workshop-repair-days": "aftersales.workshop.tasks.repair_days_checks",
    # Settlement: last month's statements; disputes past their answer deadline.
    "month-end-statements": "aftersales.billing.tasks.month_end_statements",
    "overdue-disputes": "aftersales.billing.tasks.overdue_disputes",
    # Customers inactive past the retention period anonymised (when retention is on).
    "privacy-retention": "aftersales.privacy.tasks.retention_nightly",
}

# Periodic jobs that are not about the business's past and are never backfilled: sending the
# outbox (a replay must never send), re-trying a lost automatic assignment (a live worker's
# failure) and deleting orphaned uploads (the storage as it is now).
NOT_BACKFILLED = {
    "aftersales.notifications.tasks.outbox_sweep",
    "aftersales.dispatch.tasks.auto_assign_retry_task",
    "aftersales.orders.tasks.orphan_uploads_sweep",
}


def register(name: str, path: str) -> None:
    """Add a periodic job (an app's `AppConfig.ready()` may call this)."""
    PERIODIC_JOBS[name] = path


def resolve(name: str) -> Callable[[], Any]:
    module, _dot, attr = PERIODIC_JOBS[name].rpartition(".")
    job = getattr(import_module(module), attr)
    # A Huey task wrapper runs its function here (not on the queue) with `call_local`.
    return job.call_local if hasattr(job, "call_local") else job
