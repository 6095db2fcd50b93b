"""Intake: the 三包 decision with its reason for a document-less unit (never an error), and the
car's km reading asked for, recorded and used."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from aftersales.customers import actions as customer_actions
from aftersales.customers.models import MeterReading
from aftersales.orders.models import ServiceOrder
from aftersales.warranty.actions import warranty_policy_save


def _intake(client, unit, **extra):
    return client.post(
        "/orders/new/",
        {
            "unit": unit.pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "异响",
            **extra,
        },
    )


def test_intake_shows_the_paid_decision_and_its_reason_for_a_unit_without_documents(
    login, agent, data
):
    client = login(agent)
    page = client.get(f"/orders/new/?unit={data['u1'].pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert (
        "收费维修" in text
        and "既无三包凭证也无有效发票" in text
        and "《部分商品修理更换退货责任规定》(1995)" in text
        and "(1995)?" not in text
    )
    assert "void.no_documents" not in text and 'data-testid="intake-meter"' not in text
    response = _intake(client, data["u1"])
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.warranty_decision == "paid_repair"
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "既无三包凭证也无有效发票" in detail and "void.no_documents" not in detail


def test_intake_asks_a_car_for_its_km_records_it_and_decides_with_it(login, agent, people, data):
    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", category=data["category"]
    )
    unit = data["u1"]
    customer_actions.unit_update(
        actor=agent,
        unit=unit,
        version=unit.version,
        voucher_no="SB1",
        invoice_date=timezone.localdate() - dt.timedelta(days=200),
    )
    client = login(agent)
    assert (
        'data-testid="intake-meter"' in client.get(f"/orders/new/?unit={unit.pk}").content.decode()
    )
    response = _intake(client, unit, meter_km="55000")
    assert response.status_code == 302
    reading = MeterReading.objects.get(unit=unit)
    assert reading.value == 55000 and reading.source == "customer"
    order = ServiceOrder.objects.get()
    # Over 50,000 km: outside the 三包 period, inside the repair warranty.
    assert order.warranty_detail["rule"] == "car.repair_warranty"
    assert order.warranty_detail["evidence"]["mileage_km"] == 55000
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "55000" in page and "car.repair_warranty" not in page


def test_a_lower_km_reading_at_intake_is_refused_on_the_field(login, agent, people, data):
    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", category=data["category"]
    )
    unit = data["u1"]
    customer_actions.unit_meter_record(
        actor=agent,
        unit=unit,
        kind="km",
        value=20_000,
        read_on=timezone.localdate(),
        source="visit",
    )
    response = _intake(login(agent), unit, meter_km="1000")
    assert response.status_code == 422
    assert not ServiceOrder.objects.exists() and MeterReading.objects.count() == 1


def test_intake_asks_the_km_for_a_unit_created_inline_when_its_model_is_a_car(
    login, agent, people, data
):
    client = login(agent)
    model = data["model"].pk
    # The general rule: no km asked, also when the model is chosen.
    assert (
        'data-testid="intake-new-meter"'
        not in client.get(f"/orders/new/?new_model={model}").content.decode()
    )
    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", product_model=data["model"]
    )
    page = client.get("/orders/new/").content.decode()
    # The model select asks the page again on change (htmx) for the km field.
    assert 'hx-select="#new-unit-meter"' in page and 'data-testid="intake-new-meter"' not in page
    chosen = client.get(f"/orders/new/?new_model={model}", HTTP_HX_REQUEST="true")
    assert 'data-testid="intake-new-meter"' in chosen.content.decode()
    assert "里程表读数（公里）" in chosen.content.decode()
    response = client.post(
        "/orders/new/",
        {
            "new_name": "王五",
            "new_phone": "13900001111",
            "new_model": model,
            "new_serial": "CAR-NEW-1",
            "meter_km": "1200",
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "异响",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    order = ServiceOrder.objects.get()
    reading = MeterReading.objects.get(unit=order.unit)
    assert (reading.value, reading.source, reading.reference) == (1200, "customer", "intake")


def test_a_bad_km_for_an_inline_car_is_shown_on_the_inline_field(login, agent, people, data):
    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", product_model=data["model"]
    )
    response = login(agent).post(
        "/orders/new/",
        {
            "new_name": "王五",
            "new_phone": "13900001111",
            "new_model": data["model"].pk,
            "new_serial": "CAR-NEW-2",
            "meter_km": "-5",
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="intake-new-meter"' in text
    assert (
        "invalid-feedback"
        in text.split('data-testid="intake-new-meter"')[1].split("</div></div>")[0]
    )
    assert not ServiceOrder.objects.exists()
