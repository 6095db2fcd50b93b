"""An automatic assignment lost with its worker (killed mid-job, queue away) is retried by the
sweep: once per order, only for orders nobody has handled since intake."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.core import clock
from aftersales.dispatch import actions
from aftersales.dispatch.models import DispatchSettings
from aftersales.dispatch.tests.fixtures import NOW, at, spot
from aftersales.orders import actions as orders
from aftersales.orders.models import OrderEvent

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(minutes=11)


@pytest.fixture
def waiting(station_day, customer_order):
    """An order registered at NOW with automatic assignment on, whose job never ran (the
    on-commit trigger is not executed inside the test's transaction: the worker 'died')."""
    station_day["technician"](1)
    DispatchSettings.objects.update_or_create(
        company=station_day["station"].company, defaults={"auto_assign": True}
    )
    with clock.at(NOW, source=""):
        order = customer_order(spot(1), dispatch=False, preferred_start=at(9), preferred_end=at(17))
    assert order.technician_id is None
    return order


def test_the_sweep_assigns_an_order_whose_auto_assignment_was_lost(
    waiting, django_capture_on_commit_callbacks
):
    with clock.at(LATER, source=""), django_capture_on_commit_callbacks(execute=True):
        enqueued = actions.auto_assign_retry_sweep()

    assert enqueued == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.technician_id is not None and waiting.status == "assigned"
    kinds = list(OrderEvent.objects.filter(order=waiting).values_list("kind", "action"))
    assert ("planned", "auto_assign_retry") in kinds and ("planned", "auto_assign") in kinds


def test_the_sweep_enqueues_an_order_exactly_once(waiting, django_capture_on_commit_callbacks):
    with clock.at(LATER, source=""), django_capture_on_commit_callbacks() as callbacks:
        first = actions.auto_assign_retry_sweep()
        second = actions.auto_assign_retry_sweep()

    assert first == [waiting.pk] and second == []
    assert len(callbacks) == 1
    assert OrderEvent.objects.filter(order=waiting, action="auto_assign_retry").count() == 1
    # A sweep much later does not try again (if nobody fitted, the order is the dispatcher's).
    with clock.at(LATER + dt.timedelta(hours=2), source=""):
        assert actions.auto_assign_retry_sweep() == []


def test_the_sweep_leaves_an_order_someone_has_handled(waiting, station_day):
    with clock.at(NOW + dt.timedelta(minutes=3), source=""):
        orders.order_transition(
            actor=station_day["people"]["dispatcher"],
            order=waiting,
            action="dispatch",
            station=station_day["station"],
        )
    with clock.at(LATER, source=""):
        assert actions.auto_assign_retry_sweep() == []


def test_the_sweep_waits_for_the_timeout_and_ignores_old_orders(waiting):
    with clock.at(NOW + dt.timedelta(minutes=5), source=""):
        assert actions.auto_assign_retry_sweep() == []
    with clock.at(NOW + dt.timedelta(days=2), source=""):
        assert actions.auto_assign_retry_sweep() == []


def test_the_sweep_does_nothing_when_the_company_assigns_by_hand(waiting):
    DispatchSettings.objects.filter(company=waiting.company).update(auto_assign=False)
    with clock.at(LATER, source=""):
        assert actions.auto_assign_retry_sweep() == []
