"""A WP12-style engine plan (first at 50 h or 30 days; every 300 h or 6 months; levels at 600 /
1500 / 3000 / 6000 h) for the catalogue's model, active; units u1 and u2 installed 31 days ago
(their first service was due yesterday)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from aftersales.catalog.models import Part
from aftersales.customers.models import InstalledUnit
from aftersales.maintenance import actions
from aftersales.maintenance.models import MaintenancePlan


def installed() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=31)


@pytest.fixture
def plan(data: dict[str, Any], people: dict[str, Any]) -> dict[str, Any]:
    manager = people["service_manager"]
    InstalledUnit.objects.filter(pk__in=[data["u1"].pk, data["u2"].pk]).update(
        installation_date=installed()
    )
    filter_part = Part.objects.create(
        company=data["company"], code="612600081334", name="机油滤清器", price="45.00"
    )
    oil = Part.objects.create(
        company=data["company"], code="CI-4-15W40", name="机油", price="30.00"
    )
    the_plan = actions.plan_create(
        actor=manager,
        name="WP12 保养",
        product_model=data["model"],
        meter_kind="hours",
        window_days=3,
        horizon_days=7,
        working_days_only=False,
    )
    first = actions.rule_save(actor=manager, plan=the_plan, kind="first", days=30, meter=50)
    periodic = actions.rule_save(actor=manager, plan=the_plan, kind="periodic", months=6, meter=300)
    first_level = first.levels.get()
    base = periodic.levels.get()
    actions.task_save(actor=manager, level=first_level, kind="check", text="检查皮带张紧")
    actions.task_save(
        actor=manager,
        level=first_level,
        kind="measure",
        text="机油压力",
        unit_label="kPa",
        low="200",
        high="550",
    )
    actions.task_save(
        actor=manager, level=first_level, kind="replace", text="更换机油滤清器", part=filter_part
    )
    actions.task_save(
        actor=manager, level=base, kind="replace", text="更换机油", part=oil, quantity=20
    )
    tiers = {
        n: actions.level_save(actor=manager, rule=periodic, name=f"{n} h 保养", at_meter=n)
        for n in (600, 1500, 3000, 6000)
    }
    actions.plan_transition(actor=manager, plan=the_plan, action="activate")
    return {
        "plan": MaintenancePlan.objects.get(pk=the_plan.pk),
        "first": first,
        "periodic": periodic,
        "first_level": first_level,
        "base": base,
        "tiers": tiers,
        "filter": filter_part,
        "oil": oil,
        "manager": manager,
    }
