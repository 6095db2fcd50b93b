"""Background jobs of the personal-data duties: they call actions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.privacy.actions import retention_days, retention_run


@db_periodic_task(crontab(minute="50", hour="2"))
def retention_nightly() -> int:
    """Anonymise the customers whose retention period ran out (only when one is configured)."""
    if retention_days() <= 0:
        return 0
    return len(retention_run(apply=True).customers)
