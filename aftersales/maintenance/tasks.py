"""Background jobs: the nightly generation run and the contracts' renewal and expiry sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.maintenance import actions


@db_periodic_task(crontab(hour="2", minute="30"))
def maintenance_generation() -> int:
    """Every active plan: project each unit's next service and order what is due (idempotent:
    a rerun or a run after a crash creates nothing twice)."""
    return sum(run.created for run in actions.generation_run())


@db_task()
def plan_generate_task(plan_id: int) -> int:
    return actions.plan_generate(plan=plan_id).created


@db_periodic_task(crontab(hour="3", minute="10"))
def contracts_sweep() -> dict[str, int]:
    """Contracts ending within 30 days: renewal task and customer message (once); past their
    end: expired."""
    return actions.contracts_sweep()


@db_task()
def campaign_orders_task(campaign_id: int) -> int:
    return actions.campaign_orders_create(campaign=campaign_id)


@db_periodic_task(crontab(minute="*/10"))
def campaigns_sweep() -> int:
    """Campaign orders a dead worker left uncreated."""
    return actions.campaigns_sweep()


@db_task()
def remind_task(visit_ids: list[int]) -> int:
    """Reminders of the services a generation batch created (the customer's channel, with
    consent; once each)."""
    return actions.visits_remind(visit_ids=visit_ids)
