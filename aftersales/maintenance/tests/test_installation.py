"""An installation order creates or activates its unit: the serial checked against the
model's format, the first installation date set (the 三包 period and the plans count from it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.customers.models import InstalledUnit, MeterReading
from aftersales.maintenance import actions
from aftersales.orders import actions as order_actions
from aftersales.warranty.models import WarrantyPolicy

pytestmark = pytest.mark.django_db


def installation(people, data, **kw):
    order, _made = order_actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        service_type="installation",
        fault_description="新机安装",
        **kw,
    )
    return order


def test_an_installation_order_creates_its_unit_once(data, people):
    order = installation(people, data)
    unit = actions.installation_unit(
        actor=people["agent"], order=order, serial="kf2612000777", product_model=data["model"]
    )
    assert (unit.serial, unit.customer_id, unit.installation_date) == (
        "KF2612000777",
        data["c1"].pk,
        timezone.localdate(),
    )
    order.refresh_from_db()
    assert order.unit_id == unit.pk
    assert order.events.filter(kind="edit", payload__unit=[None, unit.pk]).exists()
    again = actions.installation_unit(
        actor=people["agent"], order=order, serial="KF2612000777", product_model=data["model"]
    )
    assert again.pk == unit.pk
    assert InstalledUnit.objects.filter(serial="KF2612000777").count() == 1
    with pytest.raises(ApplicationError) as refused:
        actions.installation_unit(actor=people["agent"], order=order, serial="KF0000000001")
    assert "serial" in refused.value.details["fields"]


def test_the_serial_must_fit_the_models_format(data, people):
    WarrantyPolicy.objects.create(
        company=data["company"],
        product_model=data["model"],
        name="按型号",
        serial_format={"year": [2, 4], "month": [4, 6]},
    )
    order = installation(people, data)
    with pytest.raises(ApplicationError) as refused:
        actions.installation_unit(
            actor=people["agent"], order=order, serial="KF2699000001", product_model=data["model"]
        )
    assert "serial" in refused.value.details["fields"]
    assert (
        actions.installation_unit(
            actor=people["agent"], order=order, serial="KF2611000001", product_model=data["model"]
        ).installation_date
        == timezone.localdate()
    )


def test_an_installation_activates_the_named_unit_with_its_first_date_only(data, people):
    InstalledUnit.objects.filter(pk=data["u1"].pk).update(installation_date=None)
    order = installation(people, data, unit=data["u1"])
    first = timezone.localdate() - dt.timedelta(days=2)
    unit = actions.installation_unit(actor=people["agent"], order=order, installed_on=first)
    assert unit.installation_date == first
    later = actions.installation_unit(actor=people["agent"], order=order)
    assert later.installation_date == first  # a second call does not move it


def test_only_an_installation_order_installs(data, people, new_order):
    with pytest.raises(ApplicationError) as refused:
        actions.installation_unit(actor=people["agent"], order=new_order(), serial="X1")
    assert refused.value.code in ("not_acceptance", "not_installation")


def test_the_installation_unit_through_the_api(data, people, api):
    order = installation(people, data)
    client = api(people["agent"])
    answer = client.post(
        f"/orders/{order.pk}/installation/unit",
        {
            "serial": "KF2612000888",
            "product_model_id": data["model"].pk,
            "meter_kind": "km",
            "meter_value": "35",
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["serial"], body["status"]) == ("KF2612000888", "in_service")
    reading = MeterReading.objects.get(unit_id=body["unit_id"])
    assert (reading.kind, reading.value) == ("km", 35)
    assert body["installation_date"] == timezone.localdate().isoformat()
    refused = client.post(f"/orders/{order.pk}/installation/unit", {"serial": "KF0000000009"})
    assert refused.status_code == 422 and "serial" in refused.json()["details"]["fields"]
