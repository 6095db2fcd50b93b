"""The settlement flow over the API: finance generates a month, the station manager disputes a
line, the service manager answers, finance approves and pays (twice: once paid)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.billing.tests.conftest import NOV

pytestmark = pytest.mark.django_db


def test_the_settlement_flow_through_the_api(
    month: dict[str, Any],
    completed: Any,
    people: dict[str, Any],
    api: Any,
    make_user: Any,
    data: dict[str, Any],
) -> None:
    order = completed(dt.datetime(2026, 11, 10, 10, 0))
    finance, sm, mgr = (
        api(people["finance"]),
        api(people["station_manager"]),
        api(people["service_manager"]),
    )
    # The preview says which rule priced the order and why.
    r = finance.get(f"/settlement/preview/{order.pk}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(line["kind"], line["amount"]) for line in body["lines"]] == [
        ("labour", "80.00"),
        ("travel", "18.00"),
    ]
    labour = next(e for e in body["explain"] if e["kind"] == "labour")
    assert labour["winner"] == month["rules"]["labour_ac"].pk and len(labour["candidates"]) == 2
    # The station manager may not generate.
    r = sm.post("/settlement/statements/generate", {"period": NOV.isoformat()})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = finance.post("/settlement/statements/generate", {"period": NOV.isoformat()})
    assert r.status_code == 200, r.content
    st = next(s for s in r.json() if s["station_id"] == month["station"].pk)
    assert st["total"] == "98.00"
    assert finance.post(f"/settlement/statements/{st['id']}/send").status_code == 200
    detail = sm.get(f"/settlement/statements/{st['id']}").json()
    travel = next(line for line in detail["lines"] if line["fee_kind"] == "travel")
    r = sm.post(
        f"/settlement/statements/{st['id']}/disputes",
        {"lines": [{"line_id": travel["id"], "reason": "实际30公里", "claimed_amount": "30.00"}]},
    )
    assert r.status_code == 200 and r.json()["status"] == "disputed"
    # Another station's manager sees nothing of it.
    other = api(make_user("station_manager", station=data["s2"]))
    assert other.get(f"/settlement/statements/{st['id']}").status_code == 404
    r = mgr.post(
        f"/settlement/lines/{travel['id']}/answer",
        {"answer": "partly", "amount": "24.00", "reason": "按导航26公里"},
    )
    assert r.status_code == 200 and r.json()["final_amount"] == "24.00"
    r = finance.post(f"/settlement/statements/{st['id']}/approve")
    assert r.json()["status"] == "approved" and r.json()["total"] == "104.00"
    first = finance.post(f"/settlement/statements/{st['id']}/pay", {"reference": "B-1"}).json()
    again = finance.post(f"/settlement/statements/{st['id']}/pay", {"reference": "B-1"}).json()
    assert first["id"] == again["id"] and first["amount"] == "104.00"
    acc = sm.get(f"/settlement/stations/{month['station'].pk}/account").json()
    assert acc["balance"] == "104.00" and len(acc["entries"]) == 1


def test_a_manual_line_and_an_unknown_kind(
    month: dict[str, Any], completed: Any, people: dict[str, Any], api: Any
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    finance = api(people["finance"])
    st = finance.post(
        "/settlement/statements/generate",
        {"period": NOV.isoformat(), "station_id": month["station"].pk},
    ).json()[0]
    r = finance.post(
        f"/settlement/statements/{st['id']}/lines",
        {"kind": "manual", "amount": "50", "reason": "十一月: 协助总部培训"},
    )
    assert r.status_code == 201 and r.json()["amount"] == "50.00"
    r = finance.post(
        f"/settlement/statements/{st['id']}/lines",
        {"kind": "assessment_bonus", "amount": "50", "reason": "x"},
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_kind"
    r = finance.post(
        f"/settlement/statements/{st['id']}/lines", {"kind": "fee", "amount": "50", "reason": "x"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_kind"
