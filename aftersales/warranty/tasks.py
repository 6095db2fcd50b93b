"""Nightly: the warranty batch for every company."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.accounts.models import Company
from aftersales.warranty.batch import warranty_batch


@db_periodic_task(crontab(minute="40", hour="2"))
def warranty_batch_nightly() -> int:
    units = 0
    for company_id in Company.objects.values_list("pk", flat=True):
        units += warranty_batch(company_id=company_id)["units"]
    return units
