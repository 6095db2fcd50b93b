"""/api/v1/orders: intake with Idempotency-Key, lists, transitions, versions, errors."""

from __future__ import annotations

from aftersales.orders.models import ServiceOrder


def _create(client, data, **extra):
    body = {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "fault_description": "不制冷"}
    body.update(extra.pop("body", {}))
    return client.post("/orders", body, **extra)


def test_create_answers_201_with_due_times_and_actions(api, people, data):
    response = _create(api(people["agent"]), data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "registered" and body["channel"] == "api"
    assert [d["target"] for d in body["due"]] == ["respond", "arrive", "resolve"]
    assert body["respond_due"] is not None
    assert set(body["actions"]) == {"triage", "cancel"}  # what an agent may do now


def test_same_idempotency_key_gives_the_same_order(api, people, data):
    client = api(people["agent"])
    first = _create(client, data, HTTP_IDEMPOTENCY_KEY="call-42")
    second = _create(client, data, HTTP_IDEMPOTENCY_KEY="call-42")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert ServiceOrder.objects.count() == 1


def test_reused_idempotency_key_with_another_body_is_409(api, people, data):
    client = api(people["agent"])
    _create(client, data, HTTP_IDEMPOTENCY_KEY="call-43")
    response = _create(
        client, data, HTTP_IDEMPOTENCY_KEY="call-43", body={"fault_description": "噪音大"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_possible_duplicate_is_409_until_confirmed(api, people, data):
    client = api(people["agent"])
    first = _create(client, data).json()
    response = _create(client, data)
    assert response.status_code == 409
    assert response.json()["code"] == "possible_duplicate"
    assert response.json()["details"]["orders"][0]["id"] == first["id"]
    assert _create(client, data, body={"allow_duplicate": True}).status_code == 201
    opened = client.get(f"/units/{data['u1'].pk}/open-orders").json()["items"]
    assert len(opened) == 2


def test_bad_input_is_422_with_fields_in_the_users_language(api, people, data):
    response = api(people["agent"]).post(
        "/orders",
        {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "priority": "urgent"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["details"]["fields"]) >= {"priority"}


def test_finance_cannot_create(api, people, data):
    assert _create(api(people["finance"]), data).status_code == 403


def test_transition_endpoints_walk_the_order_and_write_events(api, people, data):
    agent, dispatcher, tech = (api(people[k]) for k in ("agent", "dispatcher", "tech"))
    order = _create(agent, data).json()
    oid = order["id"]
    assert agent.post(f"/orders/{oid}/triage", {}).json()["status"] == "triaged"
    r = dispatcher.post(f"/orders/{oid}/dispatch", {"station_id": data["s1"].pk})
    assert r.json()["station_id"] == data["s1"].pk
    r = dispatcher.post(f"/orders/{oid}/assign", {"technician_id": people["tech"].pk})
    assert r.json()["status"] == "assigned"
    for step, status in [("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_site")]:
        assert tech.post(f"/orders/{oid}/{step}", {}).json()["status"] == status
    r = tech.post(f"/orders/{oid}/wait-parts", {"reason": "压缩机缺货"})
    assert r.json()["status"] == "waiting_parts"
    assert tech.post(f"/orders/{oid}/resume", {}).json()["status"] == "on_site"
    # Completion goes through the visit's record (the field API), not the bare transition.
    refused = tech.post(f"/orders/{oid}/complete", {})
    assert refused.status_code == 409 and refused.json()["code"] == "use_field_work"
    events = agent.get(f"/orders/{oid}/events").json()
    assert [e["to_status"] for e in events][-2:] == ["waiting_parts", "on_site"]
    assert events[0]["kind"] == "created"


def test_illegal_transition_is_409_with_a_clear_code(api, people, data):
    client = api(people["agent"])
    oid = _create(client, data).json()["id"]
    response = client.post(f"/orders/{oid}/follow-up", {})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_stale_version_on_patch_is_409(api, people, data):
    client = api(people["agent"])
    order = _create(client, data).json()
    ok = client.patch(f"/orders/{order['id']}", {"version": order["version"], "priority": "high"})
    assert ok.status_code == 200 and ok.json()["version"] == order["version"] + 1
    stale = client.patch(f"/orders/{order['id']}", {"version": order["version"], "priority": "low"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert ServiceOrder.objects.get(pk=order["id"]).priority == "high"


def test_lists_are_scoped_and_filtered(api, people, data):
    agent = api(people["agent"])
    a = _create(agent, data).json()
    b = agent.post(
        "/orders",
        {
            "customer_id": data["c2"].pk,
            "unit_id": data["u2"].pk,
            "fault_description": "漏水",
            "priority": "high",
        },
    ).json()
    api(people["dispatcher"]).post(f"/orders/{a['id']}/dispatch", {"station_id": data["s1"].pk})
    ids = lambda r: [o["id"] for o in r.json()["items"]]  # noqa: E731
    assert ids(agent.get("/orders")) == [b["id"], a["id"]]
    assert ids(agent.get("/orders?priority=high")) == [b["id"]]
    assert ids(agent.get("/orders?queue=unassigned")) == [b["id"]]
    manager = api(people["station_manager"])
    assert ids(manager.get("/orders")) == [a["id"]]
    assert ids(manager.get("/orders?queue=unassigned")) == [a["id"]]
    assert manager.get(f"/orders/{b['id']}").status_code == 404
    assert ids(agent.get(f"/orders?q={data['u2'].serial}")) == [b["id"]]
    page = agent.get("/orders?limit=1").json()
    assert page["next_after"] == b["id"]
    assert ids(agent.get(f"/orders?limit=1&after={page['next_after']}")) == [a["id"]]


def test_bulk_priority_reports_each_order(api, people, data):
    client = api(people["agent"])
    a = _create(client, data).json()
    r = client.post(
        "/orders/bulk", {"ids": [a["id"], 999999], "operation": "priority", "value": "high"}
    )
    assert r.status_code == 200
    assert r.json()["done"] == [a["id"]] and list(r.json()["failed"]) == ["999999"]


def test_reopen_endpoint_links_the_new_order(api, people, data, walk):
    client = api(people["agent"])
    a = _create(client, data).json()
    walk(ServiceOrder.objects.get(pk=a["id"]), "complete")
    r = client.post(f"/orders/{a['id']}/reopen", {"reason": "又坏了"})
    assert r.status_code == 201 and r.json()["reopened_from_id"] == a["id"]


def test_order_carries_its_warranty_decision_and_managers_override_it(api, people, data):
    order = _create(api(people["agent"]), data).json()
    assert order["warranty_decision"] == "paid_repair"  # no voucher, no invoice
    r = api(people["service_manager"]).post(
        f"/orders/{order['id']}/warranty-override",
        {"decision": "free_repair", "reason": "凭证已核实"},
    )
    assert r.status_code == 200 and r.json()["warranty_decision"] == "free_repair"
    denied = api(people["agent"]).post(
        f"/orders/{order['id']}/warranty-override", {"decision": "paid_repair", "reason": "x"}
    )
    assert denied.status_code == 403


def test_fulfil_refuses_what_the_decision_does_not_allow(api, people, data):
    order = _create(api(people["agent"]), data).json()
    r = api(people["service_manager"]).post(
        f"/orders/{order['id']}/warranty-fulfil", {"outcome": "return"}
    )
    assert r.status_code == 409 and r.json()["code"] == "not_entitled"
