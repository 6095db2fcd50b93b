"""A booking after the promised arrival time needs a reason; a visit placed by hand stays
within the technician's shift."""

from __future__ import annotations

import pytest

from aftersales.core.errors import ApplicationError
from aftersales.dispatch import actions
from aftersales.dispatch.models import Visit
from aftersales.dispatch.tests.fixtures import NOW, at, spot
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def promised(station_day, customer_order):
    """An order whose service level promises arrival by 11:00 on the day."""
    station_day["technician"](1)
    order = customer_order(spot(1))
    ServiceOrder.objects.filter(pk=order.pk).update(arrive_due=at(11))
    return order


def test_a_booking_after_the_promised_arrival_needs_a_reason(station_day, promised):
    agent = station_day["people"]["agent"]
    with pytest.raises(ApplicationError) as err:
        actions.appointment_book(actor=agent, order=promised, start=at(14), end=at(16), now=NOW)
    assert err.value.status == 422 and "reason" in err.value.details["fields"]
    assert "承诺上门时间（2026-12-01 11:00）" in str(err.value.details["fields"]["reason"])
    assert not Visit.objects.exists()
    assert not OrderEvent.objects.filter(order=promised, kind="appointment").exists()

    actions.appointment_book(
        actor=agent, order=promised, start=at(14), end=at(16), now=NOW, reason="客户上午不在家"
    )
    event = OrderEvent.objects.get(order=promised, kind="appointment")
    assert event.payload["late_booking"] is True and event.reason == "客户上午不在家"


def test_a_window_within_the_promise_needs_no_reason(station_day, promised):
    agent = station_day["people"]["agent"]
    actions.appointment_book(actor=agent, order=promised, start=at(10), end=at(12), now=NOW)
    event = OrderEvent.objects.get(order=promised, kind="appointment")
    assert event.payload["late_booking"] is False


def test_the_customer_may_ask_for_a_later_window(station_day, promised):
    agent = station_day["people"]["agent"]
    actions.appointment_book(
        actor=agent, order=promised, start=at(14), end=at(16), now=NOW, by_customer=True
    )
    event = OrderEvent.objects.get(order=promised, kind="appointment")
    assert event.payload["late_booking"] is True and event.payload["by_customer"] is True


@pytest.mark.parametrize("hour", [7, 8.5, 17.75])
def test_a_visit_cannot_be_placed_outside_the_technicians_shift(station_day, customer_order, hour):
    tech = station_day["technician"](1)  # works 09:00-18:00
    order = customer_order(spot(1))
    with pytest.raises(ApplicationError) as err:
        actions.visit_move(
            actor=station_day["people"]["dispatcher"],
            order=order,
            technician=tech.pk,
            start=at(hour),
            now=NOW,
        )
    assert err.value.code == "outside_shift"
    assert "09:00–18:00" in str(err.value.message)
    assert not Visit.objects.exists()
    order.refresh_from_db()
    assert order.technician_id is None


def test_a_visit_within_the_shift_is_placed(station_day, customer_order):
    tech = station_day["technician"](1)
    order = customer_order(spot(1))
    visit = actions.visit_move(
        actor=station_day["people"]["dispatcher"],
        order=order,
        technician=tech.pk,
        start=at(10),
        now=NOW,
    )
    assert visit.planned_start == at(10) and visit.technician_id == tech.pk
