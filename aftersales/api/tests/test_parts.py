"""/api/v1/stock: movements through the API, the ledger and levels, errors and scope."""

from __future__ import annotations

import pytest

from aftersales.accounts.choices import Role

pytestmark = pytest.mark.django_db


def test_receive_issue_and_read_the_ledger_and_levels(api, stock):
    client = api(stock["manager"])
    wh, cap, order = stock["station"].pk, stock["capacitor"].pk, stock["order"].pk
    received = client.post(
        "/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 4, "reason": "采购"}
    )
    assert received.status_code == 201 and received.json()["quantity"] == 4
    issued = client.post(
        "/stock/issues", {"warehouse_id": wh, "part_id": cap, "quantity": 1, "order_id": order}
    )
    assert issued.status_code == 201 and issued.json()["quantity"] == -1

    levels = client.get(f"/stock/levels?warehouse={wh}").json()["items"]
    assert [(lv["part_code"], lv["on_hand"], lv["available"]) for lv in levels] == [
        ("CAP-35", 3, 3)
    ]
    moves = client.get(f"/stock/moves?warehouse={wh}").json()
    assert [m["kind"] for m in moves["items"]] == ["issue", "receipt"]
    assert client.get(f"/stock/moves?order={order}").json()["items"][0]["order_id"] == order


def test_too_many_is_409_with_what_is_available(api, stock):
    client = api(stock["manager"])
    wh, cap = stock["station"].pk, stock["capacitor"].pk
    client.post("/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 2})
    response = client.post(
        "/stock/issues",
        {"warehouse_id": wh, "part_id": cap, "quantity": 3, "order_id": stock["order"].pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["details"]["available"] == 2
    assert "库存" in response.json()["message"]


def test_low_stock_lists_levels_at_or_below_their_minimum(api, stock):
    client = api(stock["manager"])
    wh, cap = stock["station"].pk, stock["capacitor"].pk
    client.post("/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 2})
    set_ = client.put(
        "/stock/levels", {"warehouse_id": wh, "part_id": cap, "min_level": 2, "max_level": 10}
    )
    assert set_.status_code == 200
    assert [lv["part_id"] for lv in client.get("/stock/levels?low=true").json()["items"]] == [cap]
    client.post("/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 1})
    assert client.get("/stock/levels?low=true").json()["items"] == []


def test_transfer_and_reservation_through_the_api(api, stock):
    client = api(stock["manager"])
    cap = stock["capacitor"].pk
    client.post(
        "/stock/receipts", {"warehouse_id": stock["central"].pk, "part_id": cap, "quantity": 5}
    )
    shipped = client.post(
        "/stock/transfers",
        {
            "source_id": stock["central"].pk,
            "target_id": stock["station"].pk,
            "part_id": cap,
            "quantity": 5,
        },
    )
    assert shipped.status_code == 201 and shipped.json()["status"] == "in_transit"
    got = client.post(f"/stock/transfers/{shipped.json()['id']}/receive")
    assert got.status_code == 200 and got.json()["status"] == "received"
    assert client.post(f"/stock/transfers/{shipped.json()['id']}/receive").status_code == 409

    held = client.post(
        "/stock/reservations",
        {
            "warehouse_id": stock["station"].pk,
            "part_id": cap,
            "quantity": 2,
            "order_id": stock["order"].pk,
        },
    )
    assert held.status_code == 201
    level = client.get(f"/stock/levels?warehouse={stock['station'].pk}").json()["items"][0]
    assert (level["reserved"], level["available"]) == (2, 3)
    released = client.post(f"/stock/reservations/{held.json()['id']}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"


def test_scope_other_stations_and_agents(api, stock, make_user):
    north = make_user(Role.STATION_MANAGER, station=stock["people"]["tech_north"].station)
    client = api(north)
    assert client.get("/stock/warehouses").json()["items"] == []
    response = client.post(
        "/stock/receipts",
        {"warehouse_id": stock["station"].pk, "part_id": stock["capacitor"].pk, "quantity": 1},
    )
    assert response.status_code == 404
    agent = api(stock["people"]["agent"])
    assert len(agent.get("/stock/warehouses").json()["items"]) == 3  # may look
    assert (
        agent.post(
            "/stock/receipts",
            {"warehouse_id": stock["station"].pk, "part_id": stock["capacitor"].pk, "quantity": 1},
        ).status_code
        == 403
    )
    created = api(stock["manager"]).post(
        "/stock/warehouses", {"kind": "regional", "code": "R-E", "name": "华东库"}
    )
    assert created.status_code == 422 and "region" in created.json()["details"]["fields"]


def test_parts_request_through_the_api(api, stock):
    tech = api(stock["people"]["tech"])
    manager = api(stock["manager"])
    cap = stock["capacitor"].pk
    manager.post(
        "/stock/receipts", {"warehouse_id": stock["central"].pk, "part_id": cap, "quantity": 1}
    )
    submitted = tech.post(
        "/stock/requests",
        {"target_id": stock["van"].pk, "lines": [{"part_id": cap, "quantity": 2}]},
    )
    assert submitted.status_code == 201, submitted.json()
    body = submitted.json()
    assert (body["status"], body["value"], body["approver_level"]) == (
        "submitted",
        "70.00",
        "station_manager",
    )
    rid = body["id"]
    assert [r["id"] for r in tech.get("/stock/requests").json()["items"]] == [rid]

    approved = manager.post(
        f"/stock/requests/{rid}/approve", {"source_id": stock["central"].pk, "reason": "同意"}
    )
    assert approved.status_code == 200
    line = approved.json()["lines"][0]
    assert (line["approved"], line["shipped"], line["backordered"]) == (2, 1, 1)
    assert [e["action"] for e in approved.json()["events"]] == ["submit", "approve", "ship"]
    again = manager.post(f"/stock/requests/{rid}/approve", {"source_id": stock["central"].pk})
    assert again.status_code == 409 and again.json()["code"] == "request_decided"

    manager.post(
        "/stock/receipts", {"warehouse_id": stock["central"].pk, "part_id": cap, "quantity": 3}
    )
    shipped = manager.post(f"/stock/requests/{rid}/ship", {"source_id": stock["central"].pk})
    assert shipped.json()["lines"][0]["backordered"] == 0


def test_old_part_returns_through_the_api(api, stock):
    from aftersales.orders.models import ServiceOrder

    manager = api(stock["manager"])
    wh, cap, order = stock["station"].pk, stock["capacitor"].pk, stock["order"]
    ServiceOrder.objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    manager.post("/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 1})
    manager.post(
        "/stock/issues",
        {"warehouse_id": wh, "part_id": cap, "quantity": 1, "order_id": order.pk},
    )
    [row] = manager.get("/stock/returns").json()["items"]
    assert (row["status"], row["overdue"], row["chargeback"]) == ("open", False, None)
    station = api(stock["people"]["station_manager"])
    assert station.post(f"/stock/returns/{row['id']}/ship", {"shipment": "SF1"}).status_code == 200
    assert station.post(f"/stock/returns/{row['id']}/receive").status_code == 403
    assert manager.post(f"/stock/returns/{row['id']}/receive").status_code == 200
    inspected = manager.post(f"/stock/returns/{row['id']}/inspect", {"outcome": "wrong_part"})
    assert inspected.status_code == 200
    assert (inspected.json()["outcome"], inspected.json()["chargeback"]) == ("wrong_part", "35.00")


def test_return_days_are_set_by_managers(api, stock):
    manager = api(stock["manager"])
    assert manager.get("/stock/settings").json() == {"return_days": 30}
    assert manager.put("/stock/settings", {"return_days": 10}).json() == {"return_days": 10}
    assert manager.put("/stock/settings", {"return_days": 0}).status_code == 422
    station = api(stock["people"]["station_manager"])
    assert station.put("/stock/settings", {"return_days": 5}).status_code == 403
    assert station.get("/stock/settings").json() == {"return_days": 10}
