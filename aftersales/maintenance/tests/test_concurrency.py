"""Generation at once on PostgreSQL: the unit lock and the unique keys make each order once."""

from __future__ import annotations

import pytest

from aftersales.maintenance import actions
from aftersales.maintenance.models import MaintenanceVisit
from aftersales.orders.models import ServiceOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_generation_runs_at_once_create_each_order_once(plan, data, race):
    results = race(4, lambda i: actions.plan_generate(plan=plan["plan"].pk).created)
    assert sum(r for r in results if isinstance(r, int)) == 2, results
    assert ServiceOrder.objects.filter(service_type="maintenance").count() == 2
    assert MaintenanceVisit.objects.count() == 2
    assert sorted(MaintenanceVisit.objects.values_list("seq", flat=True)) == [1, 1]


def test_a_reading_and_a_run_at_once_create_one_order(plan, data, race):
    def work(i):
        if i == 0:
            return actions.plan_generate(plan=plan["plan"].pk).created
        row = actions.unit_generate(unit=data["u1"].pk)
        return row.state if row else None

    race(2, work)
    assert ServiceOrder.objects.filter(unit=data["u1"], service_type="maintenance").count() == 1
