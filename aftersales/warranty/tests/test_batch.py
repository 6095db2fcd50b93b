"""The nightly warranty batch writes each unit's warranty end; lists flag the expiring ones."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from aftersales.core import clock
from aftersales.customers import actions as customer_actions
from aftersales.customers.models import InstalledUnit
from aftersales.warranty.batch import warranty_batch

# A fixed day: the period then ends on a working day (Thursday 2026-06-25). With the real date
# the end could fall on a weekend or a holiday and move to the next working day (tested apart).
AS_OF = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_batch_writes_warranty_ends_and_counts_the_expiring(data, agent, org_tree):
    today = AS_OF.date()
    with clock.at(AS_OF, source=""):
        customer_actions.unit_update(
            actor=agent,
            unit=data["u1"],
            version=data["u1"].version,
            invoice_date=today - dt.timedelta(days=350),
            voucher_no="SB1",
        )
        stats = warranty_batch(company_id=org_tree["company"].pk)
    assert stats["units"] == 2 and stats["expiring_30_days"] == 1
    # u2: neither voucher nor invoice, no serial format: outside 三包 (a decision, no end).
    assert stats["undetermined"] == 0 and stats["no_documents"] == 1
    u1 = InstalledUnit.objects.get(pk=data["u1"].pk)
    assert u1.warranty_until == today - dt.timedelta(days=350) + dt.timedelta(days=365)
    assert InstalledUnit.objects.get(pk=data["u2"].pk).warranty_until is None
    with clock.at(AS_OF, source=""):
        again = warranty_batch(company_id=org_tree["company"].pk)
    assert again["updated"] == 0


def test_units_page_lists_the_expiring_ones(login, data, agent, org_tree):
    today = timezone.localdate()
    customer_actions.unit_update(
        actor=agent,
        unit=data["u1"],
        version=data["u1"].version,
        invoice_date=today - dt.timedelta(days=350),
        voucher_no="SB1",
    )
    call_command("warranty_batch")
    page = login(agent).get("/units/?expiring=30").content.decode()
    assert data["u1"].serial in page and data["u2"].serial not in page
