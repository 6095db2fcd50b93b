"""A car policy's periods, limits and wear parts: editable on the policy page and through the
API, never below the 2021 rule, and applied by the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.core.validation import ValidationFailed
from aftersales.warranty import engine
from aftersales.warranty.actions import policy_for, warranty_policy_save
from aftersales.warranty.models import WarrantyPolicy

BASE = {
    "kind": "car",
    "whole_unit_months": 12,
    "start_event": "invoice",
    "return_days": 7,
    "exchange_days": 15,
    "repair_count_threshold": 2,
    "max_repair_days": 30,
    "max_parts_wait_days": 90,
    "shipping_allowance_days": 30,
}


def wear_rows(*rows, total=3):
    """The wear-part rows of the policy form: (code, months, km)."""
    data = {"wear_parts-TOTAL_FORMS": total, "wear_parts-INITIAL_FORMS": 0}
    for k, (code, months, km) in enumerate(rows):
        data |= {f"wear_parts-{k}-code": code, f"wear_parts-{k}-months": months}
        data[f"wear_parts-{k}-km"] = km
    return data


def test_the_page_saves_a_cars_periods_and_wear_parts(login, people, data):
    manager = login(people["service_manager"])
    page = manager.get("/warranty/new/").content.decode()
    assert 'name="car_months"' in page and 'data-testid="wear-part-rows"' in page
    assert 'name="wear_parts"' not in page  # rows, not code:months/km text
    assert "汽车：三包有效期（月）" in page
    response = manager.post(
        "/warranty/new/",
        {
            **BASE,
            "name": "家用汽车",
            "category": data["category"].pk,
            "car_months": 36,
            "car_km": 100000,
            "car_loaner_after_days": 3,
            **wear_rows(("brake_pad", 12, 30000), ("wiper_blade", 6, "")),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = WarrantyPolicy.objects.get(name="家用汽车")
    assert (row.car_months, row.car_km, row.car_loaner_after_days) == (36, 100000, 3)
    # Left empty: the rule.
    assert (row.car_repair_months, row.car_max_same_fault_repairs) == (36, 4)
    assert row.wear_parts == {"brake_pad": [12, 30000], "wiper_blade": [6, 0]}
    policy = policy_for(
        company_id=row.company_id, product_model_id=None, category_id=data["category"].pk
    )
    assert policy.car_months == 36 and policy.wear_parts["brake_pad"] == (12, 30000)
    edit = manager.get(f"/warranty/{row.pk}/").content.decode()
    assert 'name="wear_parts-0-code" value="brake_pad"' in edit
    assert 'name="wear_parts-0-km" value="30000"' in edit and 'value="100000"' in edit
    assert 'name="wear_parts-1-code" value="wiper_blade"' in edit
    # A wear part past its own period: paid.
    unit = engine.UnitFacts(invoice_date=dt.date(2025, 1, 1), mileage_km=10_000)
    worn = engine.evaluate(
        policy, unit, engine.FaultFacts(wear_part="wiper_blade"), dt.date(2025, 8, 1)
    )
    assert worn.rule == "car.wear_part_expired"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"car_months": 12}, "car_months"),
        ({"car_km": 40000}, "car_km"),
        ({"car_repair_months": 24}, "car_repair_months"),
        ({"car_loaner_after_days": 7}, "car_loaner_after_days"),
        ({"car_max_repair_days": 35}, "car_max_repair_days"),
        ({"car_max_same_fault_repairs": 5}, "car_max_same_fault_repairs"),
        (wear_rows(("engine", 6, "")), "wear_parts-0-code"),
        (wear_rows(("brake_pad", "x", "")), "wear_parts-0-months"),
        (wear_rows(("brake_pad", 6, -1)), "wear_parts-0-km"),
        (wear_rows(("brake pad!", 6, "")), "wear_parts-0-code"),
        (wear_rows(("brake_pad", "", "")), "wear_parts-0-months"),
    ],
)
def test_the_page_refuses_a_car_promise_below_the_rule(login, people, fields, bad):
    response = login(people["service_manager"]).post(
        "/warranty/new/", {**BASE, "name": "少于法规", **fields}
    )
    assert response.status_code == 200
    assert not WarrantyPolicy.objects.filter(name="少于法规").exists()
    text = response.content.decode()
    # The error is shown under the field (the row's cell).
    after = text.split(f'id="id_{bad}"')[1]
    assert 'class="invalid-feedback' in after.split('class="mb-')[0].split("</td>")[0]


@pytest.mark.parametrize(
    "wear",
    [
        {"braking": [6, 0]},
        {"brake_pad": [0, 0]},
        {"brake_pad": [6, -1]},
        {"bad code!": [6, 0]},
        {"brake_pad": "six"},
    ],
)
def test_the_action_checks_wear_parts(people, wear):
    with pytest.raises(ValidationFailed) as exc:
        warranty_policy_save(actor=people["service_manager"], name="x", kind="car", wear_parts=wear)
    assert set(exc.value.errors) == {"wear_parts"}


def test_the_api_reads_creates_and_edits_a_car_policy(people, data, api, agent):
    client = api(people["service_manager"])
    created = client.post(
        "/warranty/policies",
        {
            "name": "汽车 API",
            "kind": "car",
            "category_id": data["category"].pk,
            "car_repair_km": 100000,
            "wear_parts": {"brake_pad": [12, 30000]},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["car_repair_km"] == 100000 and body["car_months"] == 24
    assert body["wear_parts"] == {"brake_pad": [12, 30000]}
    pid = body["id"]
    patched = client.patch(f"/warranty/policies/{pid}", {"car_max_repair_days": 20})
    assert patched.status_code == 200 and patched.json()["car_max_repair_days"] == 20
    below = client.patch(f"/warranty/policies/{pid}", {"car_months": 18})
    assert below.status_code == 422 and "car_months" in below.json()["details"]["fields"]
    wear = client.patch(f"/warranty/policies/{pid}", {"wear_parts": {"engine": [6, 0]}})
    assert wear.status_code == 422 and "wear_parts" in wear.json()["details"]["fields"]
    row = WarrantyPolicy.objects.get(pk=pid)
    assert (row.car_months, row.car_max_repair_days) == (24, 20)
    assert [p["id"] for p in client.get("/warranty/policies").json()] == [pid]
    assert client.get(f"/warranty/policies/{pid}").json()["name"] == "汽车 API"
    # The policies are a manager's: an agent is refused.
    assert api(agent).get("/warranty/policies").status_code == 403


def test_the_evaluate_api_takes_a_cars_periods_inline_never_below_the_rule(api, agent):
    client = api(agent)
    body = {
        "policy": {"kind": "car", "car_months": 36},
        "unit": {"invoice_date": "2024-01-01", "mileage_km": 10000},
        "service_date": "2026-06-01",
    }
    result = client.post("/warranty/evaluate", body)
    assert result.status_code == 200, result.content
    assert result.json()["rule"] == "car.sanbao_period"  # 29 months: inside 36
    body["policy"]["car_months"] = 12
    assert client.post("/warranty/evaluate", body).status_code == 422
