"""POST /api/v1/warranty/evaluate."""

from __future__ import annotations

import datetime as dt


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
    # 8 March 2025 is a Saturday: with the company calendar the last day moves to Monday
    # (民法典 第二百零三条); without it, it stays.
    assert result["period_ends"]["return_window"] == "2025-03-10"
    plain = api(agent).post("/warranty/evaluate", {**body, "use_calendar": False}).json()
    assert plain["period_ends"]["return_window"] == "2025-03-08"


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
    # Neither voucher nor invoice, and the general rule has no serial format: the law decides
    # (outside 三包, paid repair), with the reason.
    response = api(agent).post("/warranty/evaluate", body)
    assert response.status_code == 200 and response.json()["decision"] == "paid_repair"
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


def test_no_documents_is_a_paid_decision_with_its_reason_never_422(api, agent, data):
    """Issue 15 item 1: neither voucher nor invoice, and no serial format (or a serial without
    a readable date): the law's answer, paid repair outside 三包, with the reason."""
    client = api(agent)
    for policy in ("general", {"serial_format": {"year": [2, 4], "month": [4, 6]}}):
        response = client.post(
            "/warranty/evaluate",
            {
                "policy": policy,
                "unit": {"has_voucher": False, "has_invoice": False, "serial": "X"},
                "service_date": "2025-02-01",
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert response.status_code == 200, response.json()
        result = response.json()
        assert (result["decision"], result["rule"]) == ("paid_repair", "void.no_documents")
        assert result["clause"] == "《部分商品修理更换退货责任规定》(1995)"
        assert result["explanation"]["decision"] == "收费维修"
        assert "三包凭证" in result["explanation"]["reason"]
        assert "void." not in str(result["explanation"])


def test_evaluate_by_unit_uses_the_latest_km_reading_and_accepts_one(api, agent, data, people):
    from aftersales.customers.actions import unit_meter_record

    warranty_policy = {"kind": "car"}
    unit = data["u1"]
    from aftersales.customers import actions

    actions.unit_update(
        actor=agent,
        unit=unit,
        version=unit.version,
        voucher_no="SB1",
        invoice_date=dt.date(2025, 1, 10),
    )
    unit_meter_record(
        actor=agent, unit=unit, kind="km", value=51_000, read_on=dt.date(2025, 6, 1), source="visit"
    )
    body = {"policy": warranty_policy, "unit_id": unit.pk, "service_date": "2025-07-01"}
    result = api(agent).post("/warranty/evaluate", body).json()
    assert result["rule"] == "car.repair_warranty" and result["evidence"]["mileage_km"] == 51000
    result = api(agent).post("/warranty/evaluate", {**body, "mileage_km": 20_000}).json()
    assert result["rule"] == "car.sanbao_period"


def test_an_order_read_through_the_api_explains_its_decision(api, agent, data):
    created = api(agent).post(
        "/orders",
        {
            "customer_id": data["c1"].pk,
            "unit_id": data["u1"].pk,
            "service_type": "repair",
            "priority": "low",
            "channel": "phone",
            "fault_description": "不制冷",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert created.status_code == 201, created.json()
    order = api(agent).get(f"/orders/{created.json()['id']}", HTTP_ACCEPT_LANGUAGE="en").json()
    explained = order["warranty_explanation"]
    assert order["warranty_decision"] == "paid_repair"
    assert explained["decision"] == "Paid repair"
    assert explained["reason"].startswith("Neither 三包 voucher nor invoice")
    assert explained["clause"] == "《部分商品修理更换退货责任规定》(1995)"


def test_every_documented_example_is_answered(api, agent, data):
    from aftersales.api.warranty import EXAMPLES

    expected = {
        "no_documents": "void.no_documents",
        "car_first_week": "car.first_7_days_major_part",
        "phone_battery": "phone.accessory_replaced_twice",
    }
    for name, example in EXAMPLES.items():
        response = api(agent).post("/warranty/evaluate", example["value"])
        assert response.status_code == 200, (name, response.json())
        if name in expected:
            assert response.json()["rule"] == expected[name], name
    car = api(agent).post("/warranty/evaluate", EXAMPLES["car_first_week"]["value"]).json()
    assert car["evidence"]["use_compensation"] == "225.00"  # 150000 × 300 ÷ 1000 × 0.005


def test_an_order_s_main_part_period_is_labelled_with_the_part_s_name(api, agent, data):
    from aftersales.catalog.models import MainComponent
    from aftersales.orders.models import ServiceOrder

    created = api(agent).post(
        "/orders",
        {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "fault_description": "黑屏"},
    )
    assert created.status_code == 201, created.json()
    category = data["u1"].product_model.category
    MainComponent.objects.create(category=category, code="panel", name="显示屏")
    order = ServiceOrder.objects.get(pk=created.json()["id"])
    order.warranty_detail = {
        **order.warranty_detail,
        "period_ends": {"whole_unit": "2027-01-01", "component:panel": "2029-01-01"},
    }
    order.save(update_fields=["warranty_detail"])
    explained = api(agent).get(f"/orders/{order.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    periods = dict(explained["warranty_explanation"]["periods"])
    assert periods["Main part 显示屏 until"] == "2029-01-01"
    assert not any("panel" in label for label in periods)


def test_evaluate_names_a_category_s_main_part_in_its_explanation(api, agent, data, people):
    from aftersales.catalog.models import MainComponent
    from aftersales.warranty.actions import warranty_policy_save

    MainComponent.objects.create(category=data["category"], code="compressor", name="压缩机")
    warranty_policy_save(
        actor=people["service_manager"],
        name="空调压缩机五年",
        category=data["category"],
        whole_unit_months=12,
        components={"compressor": 60},
    )
    body = {
        "category_id": data["category"].pk,
        "unit": {"invoice_date": "2025-03-01"},
        "service_date": "2026-06-01",
    }
    result = api(agent).post("/warranty/evaluate", body, HTTP_ACCEPT_LANGUAGE="en").json()
    assert result["period_ends"]["component:compressor"] == "2030-03-01"
    periods = dict(result["explanation"]["periods"])
    assert periods["Main part 压缩机 until"] == "2030-03-01"
