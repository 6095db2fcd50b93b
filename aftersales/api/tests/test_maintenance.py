"""Maintenance over the API: a plan built and run, a unit's schedule, the checklist, contracts,
and refusals as 4xx JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftersales.fieldwork import actions as field
from aftersales.maintenance.models import MaintenanceVisit

pytestmark = pytest.mark.django_db


def test_a_plan_is_built_activated_and_generated_through_the_api(data, people, api):
    manager = api(people["service_manager"])
    created = manager.post(
        "/maintenance/plans",
        {"name": "WP12", "product_model_id": data["model"].pk, "window_days": 3},
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    plan = manager.post(
        f"/maintenance/plans/{plan_id}/rules", {"kind": "first", "days": 30, "meter": "50"}
    ).json()
    level_id = plan["rules"][0]["levels"][0]["id"]
    task = manager.post(
        f"/maintenance/levels/{level_id}/tasks",
        {"kind": "measure", "text": "机油压力", "low": "200", "high": "550", "unit_label": "kPa"},
    )
    assert task.status_code == 200, task.content
    active = manager.post(f"/maintenance/plans/{plan_id}/transition", {"action": "activate"})
    assert active.json()["status"] == "active"
    from aftersales.customers.models import InstalledUnit

    InstalledUnit.objects.filter(pk=data["u1"].pk).update(
        installation_date=timezone.localdate() - dt.timedelta(days=40)
    )
    run = manager.post(f"/maintenance/plans/{plan_id}/generate")
    assert run.status_code == 200 and run.json()["created"] >= 1
    schedule = manager.get(f"/units/{data['u1'].pk}/maintenance").json()
    assert schedule["plan_id"] == plan_id and schedule["state"] == "ordered"
    assert schedule["services"][0]["seq"] == 1
    assert manager.get("/maintenance/runs").json()[0]["plan_id"] == plan_id


def test_refusals_are_4xx_json(data, people, api):
    manager = api(people["service_manager"])
    bad = manager.post("/maintenance/plans", {"name": "", "product_model_id": None})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    plan_id = manager.post(
        "/maintenance/plans", {"name": "x", "category_id": data["category"].pk}
    ).json()["id"]
    no_rules = manager.post(f"/maintenance/plans/{plan_id}/transition", {"action": "activate"})
    assert no_rules.status_code == 409 and no_rules.json()["code"] == "no_rules"
    unknown = manager.post(f"/maintenance/plans/{plan_id}/transition", {"action": "fly"})
    assert unknown.status_code == 404


def test_the_checklist_through_the_api(plan, data, people, api, walk):
    from aftersales.maintenance import actions

    actions.unit_generate(unit=data["u1"])
    order = walk(MaintenanceVisit.objects.get(unit=data["u1"]).order, "accept")
    field.visit_depart(actor=people["tech"], order=order, eta_minutes=20)
    field.visit_arrive(actor=people["tech"], order=order, latitude=31.23, longitude=121.47)
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    tech = api(people["tech"])
    response = tech.post(
        f"/orders/{order.pk}/checklist",
        {
            "answers": [
                {"task_id": tasks["check"].pk, "done": True},
                {"task_id": tasks["measure"].pk, "value": "100"},
            ],
            "reading": "40",
        },
    )
    assert response.status_code == 200, response.content
    flagged = [e for e in response.json() if e["out_of_limits"]]
    assert len(flagged) == 1
    repair = tech.post(f"/orders/{order.pk}/checklist/{flagged[0]['id']}/repair")
    assert repair.json()["repair_order_id"] is not None


def test_contracts_through_the_api(data, people, api):
    agent = api(people["agent"])
    today = timezone.localdate()
    created = agent.post(
        "/maintenance/contracts",
        {
            "customer_id": data["c1"].pk,
            "unit_ids": [data["u1"].pk],
            "number": "HT-7",
            "starts_on": (today - dt.timedelta(days=300)).isoformat(),
            "ends_on": (today + dt.timedelta(days=60)).isoformat(),
            "parts_pct": 100,
            "price": "2400.00",
        },
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    active = agent.post(f"/maintenance/contracts/{cid}/transition", {"action": "activate"})
    assert active.json()["status"] == "active"
    renewed = agent.post(
        f"/maintenance/contracts/{cid}/renew",
        {"number": "HT-8", "ends_on": (today + dt.timedelta(days=425)).isoformat()},
    )
    assert renewed.status_code == 201 and renewed.json()["unit_ids"] == [data["u1"].pk]
    assert agent.get(f"/maintenance/contracts/{cid}").json()["status"] == "renewed"


def test_campaigns_through_the_api(data, people, api):
    manager = api(people["service_manager"])
    created = manager.post(
        "/maintenance/campaigns",
        {"name": "召回", "kind": "recall", "work": "更换继电器", "serials": [data["u1"].serial]},
    )
    assert created.status_code == 201, created.content
    assert created.json()["units"] == 1
    launched = manager.post(f"/maintenance/campaigns/{created.json()['id']}/launch")
    assert launched.json()["status"] == "launched"
    assert launched.json()["progress"]["reached"] + launched.json()["progress"]["pending"] == 1


def test_acceptance_through_the_api(data, people, api, new_order, walk):
    order = walk(new_order(service_type="installation", fault_description="安装"), "accept")
    field.visit_depart(actor=people["tech"], order=order, eta_minutes=10)
    field.visit_arrive(actor=people["tech"], order=order, latitude=31.2, longitude=121.4)
    tech = api(people["tech"])
    response = tech.post(
        f"/orders/{order.pk}/acceptance",
        {"checklist": [{"item": "安装牢固", "ok": True}], "defects": ["缺少遥控器"]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "defects" and len(body["defects"]) == 1
    refused = tech.post(f"/orders/{order.pk}/acceptance/accept", {"signature": "x"})
    assert refused.status_code == 409 and refused.json()["code"] == "defects_open"
