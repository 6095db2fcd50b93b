"""Demo data for maintenance: an air-conditioner cleaning plan (first service 30 days after
installation, then every 12 months), a service contract, and the first few planned orders (the
nightly job orders the rest)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.catalog.models import Part, ProductCategory
from aftersales.core import clock
from aftersales.customers.models import InstalledUnit
from aftersales.maintenance import actions


def demo_maintenance(company: Any, *, orders: int = 3) -> dict[str, int]:
    manager = User.objects.filter(company=company, role=Role.SERVICE_MANAGER).first()
    agent = User.objects.filter(company=company, role=Role.AGENT).first()
    category = ProductCategory.objects.filter(company=company, code="ac").first()
    if manager is None or agent is None or category is None:
        return {"plans": 0, "contracts": 0, "orders": 0}
    plan = actions.plan_create(
        actor=manager,
        name="空调年度保养",
        category=category,
        meter_kind="hours",
        window_days=7,
        horizon_days=14,
        blackout_months=[7, 8],
    )
    first = actions.rule_save(actor=manager, plan=plan, kind="first", days=30)
    periodic = actions.rule_save(actor=manager, plan=plan, kind="periodic", months=12)
    capacitor = Part.objects.filter(company=company, code="AC-CAP-01").first()
    for level in (first.levels.get(), periodic.levels.get()):
        actions.task_save(actor=manager, level=level, kind="check", text="清洗过滤网与蒸发器")
        actions.task_save(
            actor=manager,
            level=level,
            kind="measure",
            text="出风口温度（制冷）",
            unit_label="°C",
            low="8",
            high="16",
        )
    big = actions.level_save(actor=manager, rule=periodic, name="三年深度保养", every_nth=3)
    actions.task_save(actor=manager, level=big, kind="check", text="检查冷媒压力与管路")
    if capacitor is not None:
        actions.task_save(
            actor=manager, level=big, kind="replace", text="更换启动电容", part=capacitor
        )
    actions.plan_transition(actor=manager, plan=plan, action="activate")
    units = list(
        InstalledUnit.objects.filter(company=company, product_model__category=category)
        .select_related("customer")
        .order_by("id")[: max(orders, 1)]
    )
    contracts = 0
    if units:
        today = clock.today()
        contract = actions.contract_create(
            actor=agent,
            customer=units[0].customer_id,
            units=[u.pk for u in units[:1]],
            number=f"HT-{today.year}-001",
            starts_on=today - dt.timedelta(days=340),
            ends_on=today + dt.timedelta(days=25),
            respond_minutes=120,
            arrive_minutes=480,
            parts_pct=100,
            labour_pct=100,
            travel_pct=50,
            visits_per_year=2,
            price="1800.00",
        )
        actions.contract_transition(actor=agent, contract=contract, action="activate")
        contracts = 1
    made = sum(
        1
        for u in units[:orders]
        if (row := actions.unit_generate(unit=u.pk)) and row.state == "ordered"
    )
    return {"plans": 1, "contracts": contracts, "orders": made}
