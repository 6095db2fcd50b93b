"""The demo shows the workshop: jobs at several steps, a mail-in on its way, loaners."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from aftersales.workshop.models import Loaner, Shipment, WorkshopJob


@pytest.mark.django_db
def test_demo_has_a_workshop(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path
    call_command("demo", customers=40, orders=0, open_orders=3, seed=5)
    statuses = set(WorkshopJob.objects.values_list("status", flat=True))
    assert {"received", "diagnosing", "in_repair", "quality_check", "awaiting_unit"} <= statuses
    assert Loaner.objects.filter(status="lent").count() == 1
    assert Shipment.objects.count() == 1
