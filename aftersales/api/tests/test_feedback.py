"""Follow-ups and complaints over the API."""

from __future__ import annotations

import pytest

from aftersales.feedback.actions import follow_up_open
from aftersales.fieldwork.tests.fixtures import finish_simply

pytestmark = pytest.mark.django_db
GOOD = {
    "fixed": True,
    "on_time": True,
    "polite": True,
    "charged_correctly": True,
    "satisfaction": 4,
}


@pytest.fixture
def task(on_site, people):
    order = finish_simply(on_site(), people["tech"])
    return follow_up_open(order=order)


def test_follow_up_queue_call_result_and_amendment(api, people, task):
    agent = api(people["agent"])
    assert [f["id"] for f in agent.get("/follow-ups").json()["items"]] == [task.pk]
    r = agent.post(f"/follow-ups/{task.pk}/calls", {"outcome": "busy"})
    assert r.status_code == 200 and r.json()["attempts"] == 1
    bad = agent.post(f"/follow-ups/{task.pk}/results", {"answers": {"fixed": True}})
    assert bad.status_code == 422 and "satisfaction" in bad.json()["details"]["fields"]
    r = agent.post(f"/follow-ups/{task.pk}/results", {"answers": GOOD})
    assert r.status_code == 201 and r.json()["satisfaction"] == 4
    again = agent.post(f"/follow-ups/{task.pk}/results", {"answers": GOOD})
    assert again.status_code == 409 and again.json()["code"] == "follow_up_closed"
    amended = agent.post(
        f"/follow-up-results/{r.json()['id']}/amend",
        {"answers": {**GOOD, "satisfaction": 5}, "reason": "客户更正"},
    )
    assert amended.status_code == 201 and amended.json()["amends_id"] == r.json()["id"]
    assert agent.get("/follow-ups").json()["items"] == []


def test_follow_ups_are_refused_to_technicians_and_out_of_scope(api, people, task, make_user, data):
    assert api(people["tech"]).get("/follow-ups").status_code == 403
    north = api(make_user("agent", region=data["north"]))
    assert north.get("/follow-ups").json()["items"] == []
    assert north.post(f"/follow-ups/{task.pk}/results", {"answers": GOOD}).status_code == 404


def test_complaint_lifecycle_over_the_api(api, people, data):
    agent = api(people["agent"])
    r = agent.post(
        "/complaints",
        {
            "customer_id": data["c1"].pk,
            "category": "delay",
            "severity": "high",
            "description": "三天没人来",
        },
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    wrong = agent.post(f"/complaints/{cid}/close", {"text": "x"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "illegal_transition"
    assert agent.post(f"/complaints/{cid}/investigate", {}).json()["status"] == "investigating"
    missing = agent.post(f"/complaints/{cid}/propose", {})
    assert missing.status_code == 422
    agent.post(f"/complaints/{cid}/propose", {"text": "明天上门"})
    agent.post(f"/complaints/{cid}/feedback-accepted", {"text": "好"})
    closed = agent.post(f"/complaints/{cid}/close", {"text": "已上门修复"}).json()
    assert (closed["status"], closed["outcome"]) == ("closed", "已上门修复")
    assert agent.get("/complaints?status=closed").json()["items"][0]["id"] == cid
    assert api(people["tech"]).get(f"/complaints/{cid}").status_code == 403
