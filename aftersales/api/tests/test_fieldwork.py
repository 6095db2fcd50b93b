"""The field-work API: a visit walked by the technician's app, refusals, retries, the fee
schedule and the settings."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from aftersales.fieldwork.models import FeeItem, SitePhoto
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


def _jpeg(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(out, "JPEG")
    out.name = name
    out.seek(0)
    return out


def test_a_visit_over_the_api(api, people, new_order, walk):
    order = walk(new_order(), "assign")
    tech = api(people["tech"])
    base = f"/orders/{order.pk}/field"
    assert tech.post(f"{base}/accept").json()["status"] == "accepted"
    assert tech.post(f"{base}/depart", {"eta_minutes": 15}).json()["status"] == "en_route"
    state = tech.post(f"{base}/arrive", {"latitude": 31.23, "longitude": 121.47}).json()
    assert state["status"] == "on_site"
    assert state["missing"] == ["condition", "diagnosis", "cause"]
    r = tech.post(
        f"{base}/condition", {"complete": True, "tampered": False, "signature": drawn_signature()}
    )
    assert r.status_code == 200 and r.json()["record"]["condition_checked"] is True
    tech.post(f"{base}/diagnosis", {"diagnosis": "传感器脱落", "cause": "product_fault"})
    # Photos come as multipart.
    client = Client(HTTP_AUTHORIZATION=tech.client.defaults["HTTP_AUTHORIZATION"])
    r = client.post(
        f"/api/v1/orders/{order.pk}/field-photos", {"kind": "after", "photos": [_jpeg()]}
    )
    assert r.status_code == 200 and r.json()["record"]["photos"] == 1
    # Finishing, sent twice with the same Idempotency-Key, completes once.
    body = {"result": "fixed", "signature": drawn_signature(), "rating": 5}
    for _ in range(2):
        r = tech.post(f"{base}/finish", body, HTTP_IDEMPOTENCY_KEY="fin-1")
        assert r.status_code == 200 and r.json()["status"] == "completed"
    assert OrderEvent.objects.filter(order=order, action="complete").count() == 1


def test_finishing_without_the_required_items_is_422_with_what_is_missing(api, people, on_site):
    order = on_site()
    r = api(people["tech"]).post(f"/orders/{order.pk}/field/finish", {"result": "replaced_part"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid"
    assert body["details"]["missing"] == ["condition", "diagnosis", "cause", "parts", "signature"]
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"


def test_rule_refusals_are_409_with_their_codes(api, people, on_site):
    order = on_site()
    tech = api(people["tech"])
    r = tech.post(f"/orders/{order.pk}/field/no-show", {})
    assert r.status_code == 409 and r.json()["code"] == "too_early"
    tech.post(
        f"/orders/{order.pk}/field/diagnosis",
        {"diagnosis": "人为损坏", "cause": "not_product_fault"},
    )
    fee = FeeItem.objects.create(
        company=order.company, code="SM", name="上门费", kind="travel", price=50
    )
    r = tech.post(f"/orders/{order.pk}/field/quote", {"fee_items": [fee.pk]})
    assert r.status_code == 409 and r.json()["code"] == "acknowledgement_required"


def test_quote_with_quantities_over_the_api(api, people, on_site):
    order = on_site()
    tech = api(people["tech"])
    fee = FeeItem.objects.create(
        company=order.company, code="WX", name="工时", kind="labour", price=80
    )
    tech.post(f"/orders/{order.pk}/field/diagnosis", {"diagnosis": "x", "cause": "product_fault"})
    r = tech.post(
        f"/orders/{order.pk}/field/quote",
        {"fee_items": [fee.pk], "quantities": {f"fee:{fee.pk}": "2.5"}},
    )
    assert r.json()["record"]["quote"]["total"] == "200.00"


def test_other_technicians_and_unknown_steps_get_404(api, people, on_site):
    order = on_site()
    assert api(people["tech_north"]).post(f"/orders/{order.pk}/field/call").status_code == 404
    assert api(people["tech_b"]).get(f"/orders/{order.pk}/field").status_code == 404
    assert api(people["tech"]).post(f"/orders/{order.pk}/field/explode").status_code == 404
    assert SitePhoto.objects.count() == 0


def test_fee_schedule_is_kept_by_service_managers(api, people):
    manager, tech = api(people["service_manager"]), api(people["tech"])
    body = {"code": "SM", "name": "上门费", "kind": "travel", "price": "50"}
    assert tech.post("/fees", body).status_code == 403
    r = manager.post("/fees", body)
    assert r.status_code == 201 and r.json()["price"] == "50.00"
    assert manager.post("/fees", body).status_code == 422  # the code is taken
    bad = manager.post("/fees", {**body, "code": "X", "price": "-1"})
    assert bad.status_code == 422 and "price" in bad.json()["details"]["fields"]
    part = manager.post("/fees", {**body, "code": "Y", "kind": "part"})
    assert part.status_code == 422 and "kind" in part.json()["details"]["fields"]
    fee_id = r.json()["id"]
    assert manager.put(f"/fees/{fee_id}", {**body, "price": "60"}).json()["price"] == "60.00"
    assert [f["code"] for f in tech.get("/fees").json()] == ["SM"]


def test_field_settings_keep_the_thirty_minute_floor(api, people):
    manager = api(people["service_manager"])
    assert manager.get("/field/settings").json()["absent_minutes"] == 30
    r = manager.patch("/field/settings", {"absent_minutes": 10})
    assert r.status_code == 422
    assert manager.patch("/field/settings", {"absent_minutes": 45}).json()["absent_minutes"] == 45
    assert api(people["tech"]).patch("/field/settings", {"absent_minutes": 60}).status_code == 403


def test_fee_schedule_of_another_company_is_invisible(api, people, org_tree, make_user):
    FeeItem.objects.create(company=org_tree["other"], code="Z", name="别家", kind="labour", price=1)
    other_admin = make_user("admin", company=org_tree["other"])
    assert [f["code"] for f in api(other_admin).get("/fees").json()] == ["Z"]
    assert api(people["tech"]).get("/fees").json() == []
