"""Claims, refunds, invoices, station grades and the settings over the API."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.billing.tests.test_claims import warranty_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_claims_listed_and_read_by_scope(
    warranty_order: dict[str, Any],  # noqa: F811
    people: dict[str, Any],
    api: Any,
    make_user: Any,
    data: dict[str, Any],
) -> None:
    mgr = api(people["service_manager"])
    made = mgr.post("/billing/claims", {"order_id": warranty_order["order"].pk}).json()
    listed = mgr.get("/billing/claims").json()
    assert [c["id"] for c in listed["items"]] == [made["id"]] and listed["next_after"] is None
    assert len(listed["items"][0]["lines"]) == 3
    assert mgr.get("/billing/claims?status=decided").json()["items"] == []
    bad = mgr.get("/billing/claims?status=nonsense")
    assert bad.status_code == 422 and "status" in bad.json()["details"]["fields"]
    assert mgr.get(f"/billing/claims/{made['id']}").json()["claimed"] == "398.00"
    other = api(make_user("station_manager", station=data["s2"]))
    assert other.get("/billing/claims").json()["items"] == []
    assert other.get(f"/billing/claims/{made['id']}").status_code == 404


def test_station_terms_and_settings_over_the_api(
    month: dict[str, Any], people: dict[str, Any], api: Any
) -> None:
    finance, sm = api(people["finance"]), api(people["station_manager"])
    station = month["station"]
    r = finance.put(
        f"/settlement/station-terms/{station.pk}", {"grade": "B", "payout_mode": "credit"}
    )
    assert r.status_code == 200 and r.json()["grade"] == "B"
    mine = sm.get("/settlement/station-terms").json()
    assert [(t["station_id"], t["payout_mode"]) for t in mine] == [(station.pk, "credit")]
    assert sm.put(f"/settlement/station-terms/{station.pk}", {"grade": "A"}).status_code == 403
    got = finance.get("/settlement/settings").json()
    assert got["answer_days"] == 5 and got["assessment_amounts"] == {}
    r = finance.put(
        "/settlement/settings", {"answer_days": 3, "assessment_amounts": {"A": "300", "D": "-50"}}
    )
    assert r.status_code == 200
    assert r.json()["answer_days"] == 3 and r.json()["dispute_days"] == 7
    assert r.json()["assessment_amounts"] == {"A": "300.00", "D": "-50.00"}
    bad = finance.put("/settlement/settings", {"answer_days": 0, "penalty_high": "1e40"})
    assert bad.status_code == 422 and set(bad.json()["details"]["fields"]) == {
        "answer_days",
        "penalty_high",
    }
    assert sm.get("/settlement/settings").status_code == 403
    assert finance.get("/billing/refunds").json() == {"items": [], "next_after": None}
    assert finance.get("/billing/invoices").json() == {"items": [], "next_after": None}
    assert finance.get("/billing/refunds?status=nonsense").status_code == 422
