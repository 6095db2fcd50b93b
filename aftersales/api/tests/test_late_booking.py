"""A window after the promised arrival time: the API and the appointment page ask for the
reason (422 naming `reason`, in the caller's language) and keep it with the booking."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.dispatch.models import Visit
from aftersales.dispatch.tests.fixtures import TZ, spot
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_slot(api, crew, customer_order, soon):
    """An order promised for 08:00 on `soon`, and a window offered after it."""
    order = customer_order(spot(2, 1))
    due = dt.datetime.combine(soon, dt.time(8), tzinfo=TZ)
    ServiceOrder.objects.filter(pk=order.pk).update(arrive_due=due)
    slots = api(crew["people"]["agent"]).get(
        f"/orders/{order.pk}/slots?first={soon.isoformat()}&days=1"
    )
    late = [s for s in slots.json() if dt.datetime.fromisoformat(s["start"]) > due]
    assert late, slots.json()
    return order, late[0]


def test_the_api_asks_for_the_reason_of_a_late_booking(api, crew, late_slot):
    order, slot = late_slot
    client = api(crew["people"]["agent"])
    window = {"start": slot["start"], "end": slot["end"]}
    refused = client.post(f"/orders/{order.pk}/appointment", window, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert "promised arrival time" in refused.json()["details"]["fields"]["reason"]
    assert not Visit.objects.filter(order=order).exists()
    zh = client.post(f"/orders/{order.pk}/appointment", window, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "承诺" in zh.json()["details"]["fields"]["reason"]

    booked = client.post(f"/orders/{order.pk}/appointment", {**window, "reason": "客户出差"})
    assert booked.status_code == 200, booked.json()
    event = OrderEvent.objects.get(order=order, kind="appointment")
    assert event.reason == "客户出差" and event.payload["late_booking"] is True


def test_the_appointment_page_refuses_a_late_window_without_a_reason(login, crew, late_slot):
    order, slot = late_slot
    client = login(crew["people"]["agent"])
    value = f"{slot['start']}/{slot['end']}"
    refused = client.post(
        f"/orders/{order.pk}/appointment/",
        {"slot": value, "version": order.version},
        follow=True,
    )
    assert "承诺上门时间" in refused.content.decode()
    assert not Visit.objects.filter(order=order).exists()
    client.post(
        f"/orders/{order.pk}/appointment/",
        {"slot": value, "version": order.version, "reason": "客户出差"},
    )
    assert Visit.objects.filter(order=order, ended_at__isnull=True).count() == 1
