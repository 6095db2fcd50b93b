"""Background jobs: open missing follow-ups, send survey links, escalate complaints."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.feedback import actions


@db_task()
def survey_send_task(follow_up_id: int) -> bool:
    return actions.survey_send(follow_up=follow_up_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def follow_ups_sweep() -> int:
    """Completed orders without a follow-up task get one (a worker that died loses none)."""
    return actions.follow_ups_open_missing()


@db_periodic_task(crontab(minute="*"))
def complaints_escalation_sweep() -> int:
    return actions.complaints_escalate_due()
