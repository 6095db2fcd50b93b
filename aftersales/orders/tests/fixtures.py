"""People around an order: one per role, technicians at station s1 and s2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aftersales.accounts.choices import Role
from aftersales.orders import actions
from aftersales.orders.models import ServiceOrder


@pytest.fixture
def people(data: dict[str, Any], make_user: Callable[..., Any], agent: Any) -> dict[str, Any]:
    return {
        "agent": agent,
        "dispatcher": make_user(Role.DISPATCHER),
        "tech": make_user(Role.TECHNICIAN, station=data["s1"]),
        "tech_b": make_user(Role.TECHNICIAN, station=data["s1"]),
        "tech_north": make_user(Role.TECHNICIAN, station=data["s2"]),
        "station_manager": make_user(Role.STATION_MANAGER, station=data["s1"]),
        "service_manager": make_user(Role.SERVICE_MANAGER),
        "department_head": make_user(Role.DEPARTMENT_HEAD),
        "finance": make_user(Role.FINANCE),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def new_order(data: dict[str, Any], people: dict[str, Any]) -> Callable[..., ServiceOrder]:
    def make(**kw: Any) -> ServiceOrder:
        fields: dict[str, Any] = {
            "actor": people["agent"],
            "customer": data["c1"],
            "unit": data["u1"],
            "fault_description": "不制冷",
            "allow_duplicate": True,
        }
        fields.update(kw)
        order, _created = actions.order_create(**fields)
        return order

    return make


SATISFIED = {
    "fixed": True,
    "on_time": True,
    "polite": True,
    "charged_correctly": True,
    "satisfaction": 5,
}


@pytest.fixture
def walk(people: dict[str, Any], data: dict[str, Any]) -> Callable[..., ServiceOrder]:
    """Take an order through the happy path up to (and including) `until`."""
    steps = [
        ("triage", "agent", {}),
        ("dispatch", "dispatcher", {"station": "s1"}),
        ("assign", "dispatcher", {"technician": "tech"}),
        ("accept", "tech", {}),
        ("depart", "tech", {}),
        ("arrive", "tech", {}),
        ("complete", "tech", {}),
        ("follow_up", "agent", {}),
        ("close", "agent", {}),
    ]

    def run(order: ServiceOrder, until: str) -> ServiceOrder:
        for action, who, extra in steps:
            if action == "complete":  # through the visit's record, as on the phone
                from aftersales.fieldwork.tests.fixtures import finish_simply

                order = finish_simply(order, people[who])
                if action == until:
                    break
                continue
            if action == "follow_up":  # with the customer's answers, as in the queue
                from aftersales.feedback.actions import follow_up_open, follow_up_record

                task = follow_up_open(order=order)
                follow_up_record(actor=people[who], follow_up=task, answers=SATISFIED)
                order = type(order).objects.get(pk=order.pk)
                if action == until:
                    break
                continue
            kw = {}
            if "station" in extra:
                kw["station"] = data[extra["station"]]
            if "technician" in extra:
                kw["technician"] = people[extra["technician"]]
            order = actions.order_transition(actor=people[who], order=order, action=action, **kw)
            if action == until:
                break
        return order

    return run
