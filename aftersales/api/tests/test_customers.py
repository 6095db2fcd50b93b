"""API behaviour for customers and units: scope by id, bad input, conflicts."""

import pytest

from aftersales.accounts.choices import Role
from aftersales.core.models import AuditEntry
from aftersales.customers.models import Customer, InstalledUnit


def _counts():
    return (Customer.objects.count(), InstalledUnit.objects.count(), AuditEntry.objects.count())


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.STATION_MANAGER])
def test_station_user_cannot_reach_another_stations_objects_by_id(role, data, make_user, api):
    client = api(make_user(role, station=data["s1"]))
    c2, u2 = data["c2"].pk, data["u2"].pk
    before = _counts()
    for method, path, body in [
        ("get", f"/customers/{c2}", None),
        ("patch", f"/customers/{c2}", {"version": 1, "notes": "x"}),
        ("delete", f"/customers/{c2}", None),
        ("post", f"/customers/{c2}/reveal-phone", {}),
        ("post", f"/customers/{c2}/contacts", {"name": "x", "phone": "13700000000"}),
        ("get", f"/units/{u2}", None),
        ("patch", f"/units/{u2}", {"version": 1, "voucher_no": "x"}),
        ("delete", f"/units/{u2}", None),
    ]:
        args = [] if body is None else [body]
        response = getattr(client, method)(path, *args)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "not_found"
    assert client.get("/units/lookup?serial=KF2401000002").json() == []
    listed = client.get("/units").json()["items"]
    assert [u["id"] for u in listed] == [data["u1"].pk]
    assert _counts() == before
    data["c2"].refresh_from_db()
    assert data["c2"].notes == ""


def test_station_user_cannot_move_a_unit_to_another_stations_customer(data, make_user, api):
    client = api(make_user(Role.STATION_MANAGER, station=data["s1"]))
    response = client.patch(f"/units/{data['u1'].pk}", {"version": 1, "customer_id": data["c2"].pk})
    assert response.status_code == 422
    assert "customer" in response.json()["details"]["fields"]


def test_other_company_sees_nothing(data, make_user, api):
    client = api(make_user(Role.AGENT, company=data["other"]))
    assert client.get(f"/customers/{data['c1'].pk}").status_code == 404
    assert client.get("/customers").json()["items"] == []
    categories = client.get("/catalog/categories").json()["items"]
    assert [c["id"] for c in categories] == [data["other_model"].category_id]


def test_malformed_json_is_400_and_writes_nothing(data, agent, api):
    client = api(agent)
    before = _counts()
    response = client.post("/customers", '{"name": "x", ')
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert _counts() == before


def test_wrong_types_are_422_with_the_field(data, agent, api):
    client = api(agent)
    before = _counts()
    response = client.post(
        "/units",
        {
            "customer_id": "abc",
            "product_model_id": data["model"].pk,
            "serial": "S-1",
            "purchase_date": "yesterday",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {"customer_id", "purchase_date"} <= set(body["details"]["fields"])
    assert _counts() == before


def test_unknown_ids_are_reported(data, agent, api):
    client = api(agent)
    assert client.get("/customers/999999").status_code == 404
    response = client.post(
        "/units", {"customer_id": 999999, "product_model_id": 999999, "serial": "S-1"}
    )
    assert response.status_code == 422
    assert set(response.json()["details"]["fields"]) == {"customer", "product_model"}


def test_duplicate_serial_is_409(data, agent, api):
    client = api(agent)
    before = _counts()
    response = client.post(
        "/units",
        {
            "customer_id": data["c2"].pk,
            "product_model_id": data["model"].pk,
            "serial": "KF2401000001",
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_serial"
    assert _counts() == before


def test_stale_version_is_409(data, agent, api):
    client = api(agent)
    assert (
        client.patch(f"/customers/{data['c1'].pk}", {"version": 1, "notes": "a"}).status_code == 200
    )
    response = client.patch(f"/customers/{data['c1'].pk}", {"version": 1, "notes": "b"})
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    assert response.json()["details"]["current_version"] == 2


def test_errors_are_in_the_users_language(data, agent, api):
    client = api(agent)
    zh = client.get("/customers/999999", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = client.get("/customers/999999", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh == {"code": "not_found", "message": "未找到。"}
    assert en == {"code": "not_found", "message": "Not found."}


def test_phone_is_masked_in_reads_and_revealed_on_request(data, agent, api):
    client = api(agent)
    body = client.get(f"/customers/{data['c1'].pk}").json()
    assert body["phone_masked"] == "138****5678"
    assert "13812345678" not in str(body)
    assert client.post(f"/customers/{data['c1'].pk}/reveal-phone", {}).json() == {
        "phone": "13812345678"
    }


def test_keyset_pagination_walks_every_unit_once(data, agent, api):
    client = api(agent)
    for i in range(5):
        client.post(
            "/units",
            {
                "customer_id": data["c1"].pk,
                "product_model_id": data["model"].pk,
                "serial": f"PAGE-{i}",
            },
        )
    seen, after = [], None
    while True:
        page = client.get("/units?limit=3" + (f"&after={after}" if after else "")).json()
        seen += [u["id"] for u in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == InstalledUnit.objects.count() == 7
    assert seen == sorted(seen, reverse=True)


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/units/lookup" in paths and "/api/v1/import/{kind}" in paths
