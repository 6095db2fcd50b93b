"""Background jobs of the working calendar."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.accounts.models import Company
from aftersales.calendars.actions import calendar_load_published_years


@db_periodic_task(crontab(minute="17", hour="3"))
def calendar_years_sweep() -> int:
    """Nightly: load any year a newly installed chinese-calendar package publishes."""
    loaded = 0
    for company_id in Company.objects.values_list("pk", flat=True):
        loaded += len(calendar_load_published_years(company_id=company_id))
    return loaded
