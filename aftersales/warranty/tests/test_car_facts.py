"""A unit's car facts — delivery date, purchase price, use — recorded through the unit actions,
the units API and the unit page, and used by the car decisions on the order path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.models import AuditEntry
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions as customer_actions
from aftersales.orders.models import ServiceOrder
from aftersales.warranty import engine
from aftersales.warranty.actions import unit_facts, warranty_policy_save


def _car(people, data):
    warranty_policy_save(
        actor=people["service_manager"], name="家用汽车", kind="car", category=data["category"]
    )


def _set(agent, unit, **kw):
    unit.refresh_from_db()
    return customer_actions.unit_update(actor=agent, unit=unit, version=unit.version, **kw)


def test_unit_create_records_the_car_facts(data, agent):
    unit = customer_actions.unit_create(
        actor=agent,
        customer=data["c1"],
        product_model=data["model"],
        serial="CAR-1",
        purchase_date=dt.date(2025, 3, 1),
        delivery_date="2025-03-10",
        purchase_price="158000.5",
        use="commercial",
    )
    unit.refresh_from_db()
    assert unit.delivery_date == dt.date(2025, 3, 10)
    assert unit.purchase_price == Decimal("158000.50")
    assert unit.use == "commercial"
    audit = AuditEntry.objects.get(action="unit.create", object_id=str(unit.pk))
    assert audit.changes["purchase_price"] == [None, "158000.50"]
    plain = customer_actions.unit_create(
        actor=agent, customer=data["c1"], product_model=data["model"], serial="CAR-2"
    )
    assert (plain.delivery_date, plain.purchase_price, plain.use) == (None, None, "private")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"purchase_price": "-1"}, "purchase_price"),
        ({"purchase_price": "1.234"}, "purchase_price"),
        ({"purchase_price": "abc"}, "purchase_price"),
        ({"use": "rental"}, "use"),
        ({"delivery_date": "2025-02-01", "purchase_date": dt.date(2025, 3, 1)}, "delivery_date"),
        ({"delivery_date": timezone.localdate() + dt.timedelta(days=2)}, "delivery_date"),
    ],
)
def test_car_facts_are_validated(data, agent, fields, bad):
    with pytest.raises(ValidationFailed) as exc:
        customer_actions.unit_create(
            actor=agent,
            customer=data["c1"],
            product_model=data["model"],
            serial="CAR-X",
            **fields,
        )
    assert set(exc.value.errors) == {bad}


def test_unit_update_changes_the_car_facts_with_an_audit_entry(data, agent):
    unit = _set(agent, data["u1"], purchase_price=Decimal("99000"), use="commercial")
    assert (unit.purchase_price, unit.use) == (Decimal("99000.00"), "commercial")
    entry = AuditEntry.objects.filter(action="unit.update").latest("pk")
    assert entry.changes["use"] == ["private", "commercial"]
    with pytest.raises(ValidationFailed) as exc:
        _set(agent, unit, delivery_date="2024-01-01")  # u1 was bought on 2024-03-01
    assert set(exc.value.errors) == {"delivery_date"}


def test_units_api_reads_and_writes_the_car_facts(data, agent, api):
    client = api(agent)
    response = client.post(
        "/units",
        {
            "customer_id": data["c1"].pk,
            "product_model_id": data["model"].pk,
            "serial": "CAR-API",
            "delivery_date": "2025-04-02",
            "purchase_price": "120000.00",
            "use": "commercial",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["delivery_date"] == "2025-04-02" and body["use"] == "commercial"
    assert Decimal(str(body["purchase_price"])) == Decimal("120000.00")
    patched = client.patch(f"/units/{body['id']}", {"version": body["version"], "use": "private"})
    assert patched.status_code == 200 and patched.json()["use"] == "private"
    bad = client.patch(f"/units/{body['id']}", {"version": 2, "purchase_price": "-5"})
    assert bad.status_code == 422 and "purchase_price" in bad.json()["details"]["fields"]
    assert client.get(f"/units/{data['u1'].pk}").json()["use"] == "private"


def test_unit_page_edits_and_shows_the_car_facts(login, agent, data):
    unit = data["u1"]
    client = login(agent)
    form = client.get(f"/units/{unit.pk}/edit/").content.decode()
    assert 'name="delivery_date"' in form and 'name="purchase_price"' in form
    # The date inputs carry their value (ISO, as type="date" needs), so saving keeps it.
    assert 'name="purchase_date" value="2024-03-01"' in form
    assert "出租或其他营运" in form
    response = client.post(
        f"/units/{unit.pk}/edit/",
        {
            "product_model": unit.product_model_id,
            "serial": unit.serial,
            "purchase_date": "2024-03-01",
            "delivery_date": "2024-03-05",
            "purchase_price": "150000",
            "use": "commercial",
            "status": unit.status,
            "version": unit.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert (unit.delivery_date, unit.purchase_price, unit.use) == (
        dt.date(2024, 3, 5),
        Decimal("150000.00"),
        "commercial",
    )
    page = client.get(f"/units/{unit.pk}/").content.decode()
    assert "交付日期" in page and "150000.00" in page and "出租或其他营运" in page
    shown = page.split('data-testid="unit-use">')[1].split("</dd>")[0]
    assert shown == "出租或其他营运"


def test_the_engine_gets_the_units_car_facts(data, agent):
    unit = _set(
        agent,
        data["u1"],
        invoice_date=dt.date(2025, 1, 10),
        delivery_date=dt.date(2025, 1, 20),
        purchase_price=Decimal("100000"),
        voucher_no="SB1",
    )
    facts = unit_facts(unit, mileage_km=2000)
    assert facts.delivery_date == dt.date(2025, 1, 20)
    assert facts.price == Decimal("100000.00") and facts.commercial_use is False
    # A braking failure on day 60 from delivery (day 70 from the invoice): inside the window
    # counted from delivery; the return owes the use compensation on the real price.
    result = engine.evaluate(
        engine.CAR, facts, engine.FaultFacts(early_failure="braking_failure"), dt.date(2025, 3, 20)
    )
    assert result.rule == "car.early_60_days_failure"
    assert result.evidence["start_source"] == "delivery"
    assert result.evidence["use_compensation"] == Decimal("100000.00") * 2000 / 1000 * Decimal(
        "0.005"
    )
    assert "use_compensation_unknown" not in result.warnings


def test_order_path_starts_a_car_at_delivery_and_excludes_commercial_use(
    login, agent, people, data
):
    _car(people, data)
    today = timezone.localdate()
    unit = _set(
        agent,
        data["u1"],
        voucher_no="SB1",
        purchase_date=today - dt.timedelta(days=800),
        invoice_date=today - dt.timedelta(days=800),
        delivery_date=today - dt.timedelta(days=700),
    )
    client = login(agent)
    client.post(
        "/orders/new/",
        {
            "unit": unit.pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "异响",
            "meter_km": "20000",
        },
    )
    order = ServiceOrder.objects.get()
    # 800 days from the invoice is past 2 years; 700 from delivery is inside.
    assert order.warranty_detail["rule"] == "car.sanbao_period"
    assert order.warranty_detail["evidence"]["start_source"] == "delivery"
    taxi = customer_actions.unit_create(
        actor=agent,
        customer=data["c1"],
        product_model=data["model"],
        serial="TAXI-1",
        invoice_date=today - dt.timedelta(days=30),
        voucher_no="SB2",
        use="commercial",
    )
    second_response = client.post(
        "/orders/new/",
        {
            "unit": taxi.pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "异响",
        },
    )
    assert second_response.status_code == 302, second_response.content.decode()[-3000:]
    second = ServiceOrder.objects.latest("pk")
    assert second.warranty_decision == "paid_repair"
    assert second.warranty_detail["rule"] == "car.commercial_use"


def test_the_evaluate_api_by_unit_uses_the_units_car_facts(people, data, agent, api):
    _car(people, data)
    unit = _set(
        agent,
        data["u1"],
        voucher_no="SB1",
        invoice_date=timezone.localdate() - dt.timedelta(days=20),
        use="commercial",
    )
    result = api(agent).post(
        "/warranty/evaluate",
        {"unit_id": unit.pk, "service_date": timezone.localdate().isoformat(), "mileage_km": 900},
    )
    assert result.status_code == 200, result.content
    assert result.json()["rule"] == "car.commercial_use"
    assert result.json()["decision"] == "paid_repair"
