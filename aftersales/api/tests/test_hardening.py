"""The API as an integrator and an attacker drive it: every refusal is a 4xx JSON
`{code, message}` in the caller's language, and nothing is written."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from aftersales.customers.models import Customer
from aftersales.orders.models import ServiceOrder

BIG = 2**63 + 7
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message"} and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def _order_body(data, **extra):
    body = {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "fault_description": "不制冷"}
    body.update(extra)
    return body


# Numbers beyond what the database stores


@pytest.mark.parametrize(
    "path",
    [
        f"/orders/{BIG}",
        f"/orders/{BIG}/events",
        f"/customers/{BIG}",
        f"/orders?station={BIG}",
        f"/orders?after={BIG}",
        f"/customers?after={BIG}",
        f"/stock/requests?after={BIG}",
        f"/catalog/models?category_id={BIG}",
        f"/stock/moves?warehouse={BIG}",
        f"/dispatch/visits?station={BIG}",
    ],
)
def test_a_huge_id_in_a_path_or_filter_is_4xx_not_500(api, people, data, path):
    client = api(people["service_manager"])
    response = client.get(path, **EN)
    assert 400 <= response.status_code < 500, response.content
    _error(response, response.status_code)


def test_a_huge_id_in_a_body_is_422_and_nothing_is_written(api, people, data):
    response = api(people["agent"]).post("/orders", _order_body(data, customer_id=BIG), **EN)
    body = _error(response, 422, "out_of_range")
    assert body["details"]["fields"] == {"customer_id": "A number is out of range."}
    assert ServiceOrder.objects.count() == 0


def test_a_huge_id_inside_a_list_is_422(api, people, data):
    response = api(people["agent"]).post(
        "/orders/bulk", {"ids": [1, BIG], "operation": "priority", "value": "high"}
    )
    assert _error(response, 422, "out_of_range")["details"]["fields"] == {"ids.1": "数值超出范围。"}


def test_a_huge_id_on_a_write_path_is_4xx(api, people, data):
    response = api(people["agent"]).post(f"/orders/{BIG}/triage", {})
    assert 400 <= response.status_code < 500
    _error(response, response.status_code)


# Control characters


def test_control_characters_in_a_name_are_refused_and_nothing_is_written(api, people, data):
    before = Customer.objects.count()
    response = api(people["agent"]).post(
        "/customers", {"name": "王\x07五", "phone": "13800000009"}, **ZH
    )
    body = _error(response, 422, "invalid")
    assert body["details"]["fields"] == {"name": "不能包含控制字符。"}
    assert Customer.objects.count() == before


def test_line_breaks_and_tabs_are_text(api, people, data):
    response = api(people["agent"]).post(
        "/orders", _order_body(data, fault_description="不制冷\n\t外机不转\r\n")
    )
    assert response.status_code == 201, response.content


def test_control_characters_in_a_query_are_refused(api, people, data):
    response = api(people["agent"]).get("/customers?q=%E5%BC%A0%00", **EN)
    assert _error(response, 422, "invalid")["details"]["fields"] == {
        "q": "Control characters are not allowed."
    }


def test_a_lone_surrogate_is_refused(api, people, data):
    response = api(people["agent"]).post(
        "/customers", '{"name": "\\ud800", "phone": "13800000009"}'
    )
    _error(response, 422, "invalid")


def test_exports_survive_control_characters_already_stored(api, people, data):
    Customer.objects.filter(pk=data["c1"].pk).update(name="张\x01三\x1b", notes="=1+1")
    response = api(people["admin"]).get("/export/customers.xlsx")
    assert response.status_code == 200, response.content
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "张三" in values


# Bodies that are not objects


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", "0", '"text"', "true", "null"])
def test_a_body_that_is_not_an_object_is_422(api, people, data, raw):
    response = api(people["agent"]).post("/orders", raw, **EN)
    body = _error(response, 422)
    assert body["code"] in ("not_an_object", "invalid")
    assert ServiceOrder.objects.count() == 0


def test_an_array_body_is_refused_even_where_every_field_has_a_default(api, people, data, walk):
    response = api(people["agent"]).post("/orders/1/triage", "[]", **ZH)
    body = _error(response, 422, "not_an_object")
    assert body["message"] == "请求内容必须是 JSON 对象。"


def test_malformed_json_is_400(api, people, data):
    _error(api(people["agent"]).post("/orders", "{not json"), 400, "malformed_json")


# Unknown filter values


@pytest.mark.parametrize(
    "path,field",
    [
        ("/orders?status=bogus", "status"),
        ("/orders?queue=bogus", "queue"),
        ("/orders?priority=urgent", "priority"),
        ("/orders?service_type=x", "service_type"),
        ("/stock/moves?kind=x", "kind"),
        ("/stock/returns?status=x", "status"),
        ("/stock/requests?status=x", "status"),
        ("/complaints?status=x", "status"),
    ],
)
def test_an_unknown_filter_value_is_422_naming_the_field(api, people, data, path, field):
    response = api(people["service_manager"]).get(path, **EN)
    assert field in _error(response, 422, "invalid")["details"]["fields"]


def test_known_filter_values_still_filter(api, people, data):
    client = api(people["agent"])
    client.post("/orders", _order_body(data, priority="high"))
    assert len(client.get("/orders?priority=high&status=registered").json()["items"]) == 1
    assert client.get("/orders?priority=low").json()["items"] == []


# Credentials


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer as_not-a-token"}])
def test_a_write_without_valid_credentials_is_401_and_writes_nothing(data, headers):
    client = Client(**headers)
    response = client.post(
        "/api/v1/orders", _order_body(data), content_type="application/json", **ZH
    )
    body = _error(response, 401, "unauthenticated")
    assert body["message"] == "请先登录或提供有效的令牌。"
    assert ServiceOrder.objects.count() == 0


def test_a_read_without_credentials_is_401(db):
    _error(Client().get("/api/v1/orders"), 401, "unauthenticated")


def test_a_signed_in_session_without_csrf_token_is_still_refused(login, people, data):
    client = login(people["agent"])
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/orders", _order_body(data), content_type="application/json")
    _error(response, 403)
    assert ServiceOrder.objects.count() == 0


# Paths, methods, sizes


def test_an_unknown_path_under_the_api_is_json_404(api, people, data):
    body = _error(api(people["agent"]).get("/no-such-thing", **ZH), 404, "not_found")
    assert body["message"] == "未找到。" or body["message"]
    _error(Client().get("/api/v2/orders"), 404, "not_found")


def test_a_wrong_method_is_json_405_with_allow(api, people, data):
    response = api(people["agent"]).delete("/orders", **EN)
    body = _error(response, 405, "method_not_allowed")
    assert body["message"] == "This method is not allowed here."
    assert "GET" in response["Allow"]


def test_an_oversized_body_is_json_413(api, people, data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(people["agent"]).post(
        "/orders", _order_body(data, fault_description="长" * 2000), **EN
    )
    _error(response, 413, "too_large")
    assert ServiceOrder.objects.count() == 0


# Validation in the caller's language


def test_validation_details_are_in_chinese_under_zh_hans(api, people, data):
    response = api(people["agent"]).post(
        "/orders", {"customer_id": "abc", "unit_id": data["u1"].pk}, **ZH
    )
    body = _error(response, 422, "invalid")
    assert body["message"] == "部分字段填写有误。"
    assert body["details"]["fields"] == {"customer_id": "请输入整数。"}


def test_validation_details_are_in_english_under_en(api, people, data):
    response = api(people["agent"]).post("/orders", {"unit_id": data["u1"].pk}, **EN)
    assert _error(response, 422, "invalid")["details"]["fields"] == {
        "customer_id": "This field is required."
    }


def test_a_limit_out_of_bounds_says_the_bound(api, people, data):
    response = api(people["agent"]).get("/orders?limit=500", **ZH)
    assert _error(response, 422)["details"]["fields"] == {"limit": "不能大于 200。"}


# Idempotency keys


def test_another_users_idempotency_key_neither_returns_their_order_nor_reveals_it(
    api, people, data, make_user
):
    mine = api(people["agent"]).post("/orders", _order_body(data), HTTP_IDEMPOTENCY_KEY="call-7")
    assert mine.status_code == 201
    same_body = api(make_user("agent")).post(
        "/orders", _order_body(data, allow_duplicate=True), HTTP_IDEMPOTENCY_KEY="call-7"
    )
    assert same_body.status_code == 201, same_body.json()
    assert same_body.json()["id"] != mine.json()["id"]
    other_body = api(make_user("agent")).post(
        "/orders",
        _order_body(data, fault_description="噪音大", allow_duplicate=True),
        HTTP_IDEMPOTENCY_KEY="call-7",
    )
    assert other_body.status_code == 201  # not 409 idempotency_key_reused: nothing leaks
    assert ServiceOrder.objects.count() == 3


@pytest.mark.parametrize(
    "change",
    [
        {"contract_level": "gold"},
        {
            "preferred_start": "2026-05-01T09:00:00+08:00",
            "preferred_end": "2026-05-01T12:00:00+08:00",
        },
        {"channel": "phone"},
        {"allow_duplicate": True},
    ],
)
def test_the_key_fingerprint_covers_every_field(api, people, data, change):
    client = api(people["agent"])
    first = client.post("/orders", _order_body(data), HTTP_IDEMPOTENCY_KEY="call-8")
    assert first.status_code == 201
    again = client.post("/orders", _order_body(data, **change), HTTP_IDEMPOTENCY_KEY="call-8")
    _error(again, 409, "idempotency_key_reused")
    assert ServiceOrder.objects.count() == 1


def test_names_with_control_characters_are_refused_on_pages_too(people, data):
    from aftersales.core.validation import ValidationFailed
    from aftersales.customers import actions

    with pytest.raises(ValidationFailed) as exc:
        actions.customer_create(actor=people["agent"], name="王\x1b五", phone="13800000009")
    assert set(exc.value.errors) == {"name"}


# The OpenAPI document


def test_every_schema_name_in_the_openapi_document_is_one_model():
    """ninja names a component after its class: two classes of one name would be documented
    as one (wrong fields for one of the endpoints)."""
    import inspect
    import pkgutil
    from importlib import import_module

    from pydantic import BaseModel

    import aftersales.api
    from aftersales.api.main import api as ninja_api

    owners: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(aftersales.api.__path__):
        module = import_module(f"aftersales.api.{info.name}")
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseModel)
                and obj.__module__ == module.__name__
            ):
                owners.setdefault(name, set()).add(module.__name__)
    assert {n: m for n, m in owners.items() if len(m) > 1} == {}
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    assert {"UnitIn", "WarrantyUnitIn", "VisitMoveIn", "StockMoveIn", "FieldVisitOut"} <= set(
        components
    )
