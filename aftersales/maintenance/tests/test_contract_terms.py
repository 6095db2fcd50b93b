"""A service contract's terms at work: its service levels become a service-level policy for
its units' orders, its coverage prices the field quote, and its included visits are counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from aftersales.fieldwork import actions as field
from aftersales.fieldwork.actions import QUOTE_HOOKS
from aftersales.fieldwork.rules import Line
from aftersales.maintenance import actions
from aftersales.orders import actions as order_actions
from aftersales.orders.models import SlaPolicy

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def contract(people, data, **kw):
    fields = {
        "number": "HT-2026-007",
        "starts_on": today() - dt.timedelta(days=30),
        "ends_on": today() + dt.timedelta(days=300),
        "respond_minutes": 60,
        "resolve_minutes": 480,
        "parts_pct": 50,
        "labour_pct": 0,
        "travel_pct": 100,
        "visits_per_year": 2,
    }
    fields.update(kw)
    made = actions.contract_create(
        actor=people["agent"], customer=data["c1"], units=[data["u1"].pk], **fields
    )
    return actions.contract_transition(actor=people["agent"], contract=made, action="activate")


def test_an_active_contract_gives_its_units_orders_its_service_levels(data, people, new_order):
    found = contract(people, data)
    policy = SlaPolicy.objects.get(contract_level="HT-2026-007")
    assert (policy.active, policy.respond_minutes, policy.resolve_minutes) == (True, 60, 480)
    # The company's defaults became rows too, so other orders keep theirs.
    assert SlaPolicy.objects.filter(contract_level="").exists()
    covered = new_order()
    assert (covered.contract_level, covered.sla_policy_id) == ("HT-2026-007", policy.pk)
    assert covered.sla_goals["respond"][0] == 60
    other = new_order(unit=data["u2"], customer=data["c2"])
    assert other.sla_policy_id != policy.pk and other.sla_policy_id is not None
    # Terminated: the policy is switched off; orders already taken keep their goals.
    actions.contract_transition(
        actor=people["agent"], contract=found, action="terminate", reason="客户解约"
    )
    assert SlaPolicy.objects.get(pk=policy.pk).active is False
    assert new_order().sla_policy_id != policy.pk


def test_the_quote_on_a_covered_order_charges_only_the_customers_share(data, people, on_site, plan):
    assert actions.quote_coverage in QUOTE_HOOKS
    contract(people, data)
    order = on_site()
    quote = field.quote_propose(
        actor=people["tech"],
        order=order,
        items=[{"part": plan["filter"].pk, "quantity": 2}],  # 2 × 45.00
        reason="客户要求更换",
    )
    lines = [(ln.kind, ln.amount) for ln in quote.lines.order_by("id")]
    assert lines == [("part", D("90.00")), ("part", D("-45.00"))]
    assert quote.total == D("45.00")


def test_an_included_visit_charges_no_labour_or_travel(data, people, new_order):
    found = contract(people, data)
    first = new_order(service_type="maintenance", fault_description="保养")
    lines = [
        Line("labour", "工时", D(1), D("80.00")),
        Line("travel", "上门", D(1), D("30.00")),
        Line("part", "滤清器", D(1), D("45.00")),
    ]
    extra = actions.quote_coverage(first, lines)
    assert [(x.kind, x.amount) for x in extra] == [
        ("part", D("-22.50")),
        ("labour", D("-80.00")),
        ("travel", D("-30.00")),
    ]
    assert actions.included_visit(found, first)


def test_included_visits_are_counted_in_the_contract_year(data, people, new_order):
    found = contract(people, data)
    made = [new_order(service_type="maintenance", fault_description="保养") for _ in range(3)]
    new_order()  # a repair is not a planned visit
    assert actions.contract_visits(found) == {
        "year_from": found.starts_on,
        "year_until": found.ends_on,  # the first year is cut by the end
        "included": 2,
        "used": 3,
        "left": 0,
    }
    assert [actions.included_visit(found, o) for o in made] == [True, True, False]
    # The third is over the allowance: labour is charged as the contract says (0 %).
    assert actions.quote_coverage(made[2], [Line("labour", "工时", D(1), D("80.00"))]) == []
    order_actions.order_transition(
        actor=people["agent"], order=made[0], action="cancel", reason="客户取消"
    )
    assert actions.contract_visits(found)["used"] == 2
