"""The workshop API: the counter, the bench, mail-in and loaners; role and station scope."""

from __future__ import annotations

import pytest

from aftersales.accounts.choices import Role
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.workshop.models import WorkshopStation

pytestmark = pytest.mark.django_db


def test_walk_in_through_the_api(api, people, data, step) -> None:
    desk = api(people["station_manager"])
    t = desk.post("/workshop/tickets", {"station_id": data["s1"].pk, "purpose": "drop_off"})
    assert t.status_code == 201 and t.json()["label"] == "A001"
    called = desk.post("/workshop/tickets/call", {"station_id": data["s1"].pk, "desk": "1"})
    assert called.json()["status"] == "called"
    assert (
        desk.post("/workshop/tickets/call", {"station_id": data["s1"].pk, "desk": "1"}).status_code
        == 204
    )
    hall = desk.get(f"/workshop/hall/{data['s1'].pk}").json()
    assert hall["called"][0]["label"] == "A001"
    r = desk.post(
        "/workshop/intake",
        {
            "station_id": data["s1"].pk,
            "customer_id": data["c1"].pk,
            "unit_id": data["u1"].pk,
            "fault_description": "不开机",
            "condition": "完好",
            "accessories": ["电源线"],
            "signature": drawn_signature(),
            "ticket_id": t.json()["id"],
        },
    )
    assert r.status_code == 201, r.content
    job_id, code = r.json()["job"]["id"], r.json()["pickup_code"]
    tech = api(people["tech"])
    j = tech.post(f"/workshop/jobs/{job_id}/steps/diagnose", {}).json()
    assert j["status"] == "diagnosing" and j["next_steps"] == []  # paid: a quote first
    refused = tech.post(f"/workshop/jobs/{job_id}/steps/qc_pass", {})
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    assert api(people["tech_north"]).get(f"/workshop/jobs/{job_id}").status_code == 404
    assert api(people["finance"]).get("/workshop/jobs").status_code == 403
    listed = api(people["agent"]).get("/workshop/jobs").json()
    assert [x["id"] for x in listed] == [job_id]
    r = tech.post(f"/workshop/jobs/{job_id}/tests", {"name": "通电", "passed": True})
    assert r.status_code == 200
    assert code.isdigit()


def test_mail_in_through_the_api(api, people, data) -> None:
    WorkshopStation.objects.create(station=data["s1"], mail_in_address="上海维修中心")
    agent = api(people["agent"])
    r = agent.post(
        "/workshop/mail-in",
        {
            "station_id": data["s1"].pk,
            "customer_id": data["c1"].pk,
            "unit_id": data["u1"].pk,
            "fault_description": "不充电",
            "return_address": "上海",
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "awaiting_unit"
    job_id = r.json()["id"]
    r = agent.post(
        f"/workshop/jobs/{job_id}/shipments",
        {"direction": "inbound", "carrier": "顺丰", "tracking_no": "SF1", "weight_kg": "1.1"},
    )
    assert r.status_code == 201 and r.json()["shipments"][0]["tracking_url"].endswith("SF1")
    assert agent.get("/workshop/mail-in/match?reference=SF1").json()["job_id"] == job_id
    r = api(people["station_manager"]).post(
        f"/workshop/jobs/{job_id}/receive", {"condition": "完好"}
    )
    assert r.status_code == 200 and r.json()["job"]["status"] == "received"


def test_roles(api, people, make_user, data) -> None:
    tech = api(people["tech"])
    assert (
        tech.post(
            "/workshop/tickets", {"station_id": data["s1"].pk, "purpose": "pickup"}
        ).status_code
        == 403
    )
    assert api(people["dispatcher"]).get("/workshop/loans/overdue").status_code == 403
    north = api(make_user(Role.STATION_MANAGER, station=data["s2"]))
    r = north.post("/workshop/tickets", {"station_id": data["s1"].pk, "purpose": "pickup"})
    assert r.status_code == 404
