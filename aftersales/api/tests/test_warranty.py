"""POST /api/v1/warranty/evaluate."""

from __future__ import annotations


def test_seeded_policy_decides_return_within_seven_days(api, agent, data):
    body = {
        "policy": "general",
        "unit": {"invoice_date": "2025-03-01"},
        "fault": {"performance": True},
        "service_date": "2025-03-08",
    }
    response = api(agent).post("/warranty/evaluate", body)
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["decision"] == "return"
    assert result["options"] == ["return", "exchange", "free_repair"]
    assert result["rule"] == "general.return_7_days"
    assert result["period_ends"]["return_window"] == "2025-03-08"


def test_inline_policy_with_serial_inference_warns(api, agent, data):
    body = {
        "policy": {
            "name": "空调",
            "whole_unit_months": 72,
            "serial_format": {"year": [2, 4], "month": [4, 6]},
        },
        "unit": {"has_voucher": False, "has_invoice": False, "serial": "KF2401000001"},
        "service_date": "2026-06-01",
    }
    result = api(agent).post("/warranty/evaluate", body, HTTP_ACCEPT_LANGUAGE="en").json()
    assert result["decision"] == "free_repair"
    assert result["warnings"][0]["code"] == "no_voucher_start_inferred_from_serial"
    assert "serial" in result["warnings"][0]["message"]


def test_unit_by_id_uses_its_dates_and_scope(api, agent, data, make_user):
    from aftersales.accounts.choices import Role
    from aftersales.customers import actions

    body = {"unit_id": data["u1"].pk, "service_date": "2024-03-20"}
    # Neither voucher nor invoice, and the general rule has no serial format: cannot decide.
    assert api(agent).post("/warranty/evaluate", body).json()["code"] == "no_serial_format"
    actions.unit_update(actor=agent, unit=data["u1"], version=1, voucher_no="SB1")
    result = api(agent).post("/warranty/evaluate", body).json()
    assert result["decision"] == "free_repair"  # purchased 2024-03-01: the 15 days have passed
    tech_north = make_user(Role.TECHNICIAN, station=data["s2"])
    assert api(tech_north).post("/warranty/evaluate", body).status_code == 404


def test_impossible_facts_are_422_with_a_clear_code(api, agent, data):
    client = api(agent)
    before = client.post(
        "/warranty/evaluate", {"unit": {"invoice_date": "2025-03-01"}, "service_date": "2025-02-01"}
    )
    assert before.status_code == 422 and before.json()["code"] == "service_before_start"
    unknown = client.post(
        "/warranty/evaluate", {"policy": "microwave", "unit": {}, "service_date": "2025-02-01"}
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_policy"
    bad_serial = client.post(
        "/warranty/evaluate",
        {
            "policy": {"serial_format": {"year": [2, 4], "month": [4, 6]}},
            "unit": {"has_voucher": False, "has_invoice": False, "serial": "X"},
            "service_date": "2025-02-01",
        },
    )
    assert bad_serial.status_code == 422 and bad_serial.json()["code"] == "malformed_serial"
    wrong_type = client.post("/warranty/evaluate", {"unit": {}, "service_date": "not a date"})
    assert wrong_type.status_code == 422 and wrong_type.json()["code"] == "invalid"


def test_category_policy_is_used_and_unknown_category_is_422(api, agent, data, people):
    from aftersales.warranty.actions import warranty_policy_save

    warranty_policy_save(
        actor=people["service_manager"],
        name="空调三年",
        category=data["category"],
        whole_unit_months=36,
    )
    body = {
        "category_id": data["category"].pk,
        "unit": {"invoice_date": "2025-03-01"},
        "service_date": "2027-06-01",
    }
    result = api(agent).post("/warranty/evaluate", body).json()
    assert result["decision"] == "free_repair" and result["evidence"]["policy"] == "空调三年"
    body["category_id"] = 999999
    response = api(agent).post("/warranty/evaluate", body)
    assert response.status_code == 422 and response.json()["code"] == "unknown_category"


def test_openapi_documents_the_examples(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/warranty/evaluate"]["post"]["requestBody"]
    assert "repaired_twice" in body["content"]["application/json"]["examples"]
