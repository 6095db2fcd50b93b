"""What an integrator reads and drives: the organisation (scoped, paged) and the technician's
generic steps doing what the field-work steps do."""

from __future__ import annotations

from aftersales.accounts.models import Skill, TechnicianProfile, TechnicianSkill
from aftersales.fieldwork.models import ServiceRecord
from aftersales.orders.models import ServiceOrder


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def test_stations_and_regions_are_listed_within_the_callers_scope(api, people, data):
    everyone = api(people["service_manager"])
    assert sorted(_ids(everyone.get("/stations"))) == sorted([data["s1"].pk, data["s2"].pk])
    assert sorted(_ids(everyone.get("/regions"))) == sorted([data["east"].pk, data["north"].pk])
    station = api(people["station_manager"])
    assert _ids(station.get("/stations")) == [data["s1"].pk]
    assert _ids(station.get("/regions")) == [data["east"].pk]


def test_technicians_are_listed_with_skills_within_scope(api, people, data):
    skill = Skill.objects.create(company=data["company"], code="ac", name="空调")
    profile = TechnicianProfile.objects.create(user=people["tech"], station=data["s1"])
    TechnicianSkill.objects.create(technician=profile, skill=skill)
    everyone = api(people["service_manager"]).get("/technicians").json()["items"]
    by_id = {row["id"]: row for row in everyone}
    assert set(by_id) == {people[k].pk for k in ("tech", "tech_b", "tech_north")}
    assert by_id[people["tech"].pk]["skills"] == ["ac"]
    station = _ids(api(people["station_manager"]).get("/technicians"))
    assert set(station) == {people["tech"].pk, people["tech_b"].pk}


def test_organisation_lists_are_paged_like_every_list(api, people, data):
    client = api(people["service_manager"])
    first = client.get("/technicians?limit=2").json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["id"]
    rest = client.get(f"/technicians?limit=2&after={first['next_after']}").json()
    assert len(rest["items"]) == 1 and rest["next_after"] is None


def test_generic_depart_and_arrive_do_what_the_field_steps_do(api, people, data, new_order, walk):
    order = new_order()
    walk(order, "assign")
    tech = api(people["tech"])
    assert tech.post(f"/orders/{order.pk}/accept", {}).json()["status"] == "accepted"
    departed = tech.post(f"/orders/{order.pk}/depart", {})
    assert departed.status_code == 200 and departed.json()["status"] == "en_route"
    record = ServiceRecord.objects.get(order=order)
    assert record.departed_at is not None and record.eta is not None
    assert tech.post(f"/orders/{order.pk}/arrive", {}).json()["status"] == "on_site"
    record.refresh_from_db()
    assert record.arrived_at is not None
    assert {"eta", "check_in"} <= set(order.events.values_list("action", flat=True))


def test_generic_step_with_a_stale_version_is_409(api, people, data, new_order, walk):
    order = new_order()
    walk(order, "assign")
    response = api(people["tech"]).post(f"/orders/{order.pk}/accept", {"version": 1})
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert ServiceOrder.objects.get(pk=order.pk).status == "assigned"


def test_a_read_only_token_reads_but_may_not_write(db, people, data):
    from django.test import Client

    from aftersales.accounts import actions as org

    _, key = org.api_token_create(actor=people["agent"], name="bi", scope="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/api/v1/orders").status_code == 200
    response = client.post(
        "/api/v1/orders",
        {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "fault_description": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "read_only_token"
    assert ServiceOrder.objects.count() == 0


def test_an_expired_token_is_401(db, people, data):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from aftersales.accounts import actions as org
    from aftersales.accounts.models import ApiToken

    token, key = org.api_token_create(
        actor=people["agent"], name="temp", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_token_cannot_be_made_already_expired_or_with_an_unknown_scope(db, people):
    import datetime as dt

    import pytest
    from django.utils import timezone

    from aftersales.accounts import actions as org
    from aftersales.core.validation import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        org.api_token_create(
            actor=people["agent"],
            name="x",
            scope="admin",
            expires_at=timezone.now() - dt.timedelta(days=1),
        )
    assert set(exc.value.errors) == {"scope", "expires_at"}


def test_the_service_report_pdf_comes_with_a_token(api, people, data, new_order, walk):
    order = walk(new_order(), "complete")
    response = api(people["service_manager"]).get(f"/orders/{order.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content[:5] == b"%PDF-"
    other = api(people["tech_north"]).get(f"/orders/{order.pk}/report.pdf")
    assert other.status_code == 404 and other.json()["code"] == "not_found"


def test_orders_carry_updated_at_and_filter_on_updated_since(api, people, data, new_order):
    import datetime as dt
    from urllib.parse import urlencode

    from django.utils import timezone

    old, fresh = new_order(), new_order()
    long_ago = timezone.now() - dt.timedelta(days=3)
    ServiceOrder.objects.filter(pk=old.pk).update(updated_at=long_ago)
    client = api(people["agent"])
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    page = client.get(f"/orders?{urlencode({'updated_since': since})}").json()
    assert [o["id"] for o in page["items"]] == [fresh.pk]
    assert page["items"][0]["updated_at"]
    everything = client.get("/orders").json()["items"]
    assert {o["id"] for o in everything} == {old.pk, fresh.pk}
    bad = client.get("/orders?updated_since=yesterday")
    assert bad.status_code == 422 and "updated_since" in bad.json()["details"]["fields"]
