"""The automatic-assignment retry sweep under races (PostgreSQL): two sweeps at once, and a
sweep racing a dispatcher who assigns by hand, never assign an order twice nor enqueue it
twice, and the losing side is refused cleanly (no error in the job)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import pytest

from aftersales.core import clock
from aftersales.dispatch import actions
from aftersales.dispatch.models import DispatchSettings
from aftersales.dispatch.tests.fixtures import NOW, at, spot
from aftersales.orders import actions as orders
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LATER = NOW + dt.timedelta(minutes=11)


@pytest.fixture
def waiting(station_day, customer_order):
    """Three dispatched orders whose automatic assignment was lost (auto-assignment was off
    at intake, so no job ran), then the company turns it on."""
    techs = [station_day["technician"](1) for _ in range(2)]
    with clock.at(NOW, source=""):
        made = [
            customer_order(spot(1 + k / 10), preferred_start=at(9), preferred_end=at(17))
            for k in range(3)
        ]
    DispatchSettings.objects.update_or_create(
        company=station_day["station"].company, defaults={"auto_assign": True}
    )
    assert all(o.status == "dispatched" and o.technician_id is None for o in made)
    return {"orders": made, "technicians": techs}


def _assigns(order: ServiceOrder) -> int:
    return OrderEvent.objects.filter(order=order, action="assign").count()


def _no_failed_job(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if "not enqueued" in r.getMessage()]


def test_two_sweeps_at_once_enqueue_and_assign_each_order_once(waiting, race, caplog):
    caplog.set_level(logging.WARNING)

    def sweep(_i):
        with clock.at(LATER, source=""):
            return actions.auto_assign_retry_sweep()

    enqueued = race(2, sweep)

    assert all(isinstance(r, list) for r in enqueued), enqueued
    ids = [pk for r in enqueued for pk in r]
    assert sorted(ids) == sorted(o.pk for o in waiting["orders"])  # each once, by one sweep
    for order in waiting["orders"]:
        order.refresh_from_db()
        assert order.status == "assigned" and order.technician_id is not None
        assert _assigns(order) == 1
        assert OrderEvent.objects.filter(order=order, action="auto_assign_retry").count() == 1
        assert OrderEvent.objects.filter(order=order, action="auto_assign").count() == 1
    _no_failed_job(caplog)


def test_a_sweep_racing_manual_assignments_never_double_assigns(waiting, station_day, race, caplog):
    caplog.set_level(logging.WARNING)
    dispatcher = station_day["people"]["dispatcher"]
    by_hand = waiting["technicians"][1]

    def work(i):
        with clock.at(LATER, source=""):
            if i == 0:
                return ("sweep", len(actions.auto_assign_retry_sweep()))
            orders.order_assign(
                actor=dispatcher, order=waiting["orders"][i - 1].pk, technician=by_hand
            )
            return ("hand", i - 1)

    outcomes = race(4, work)

    assert [o for o in outcomes if isinstance(o, tuple) and o[0] == "sweep"], outcomes
    refused = Counter(o for o in outcomes if isinstance(o, str))
    assert set(refused) <= {"illegal_transition"}, outcomes  # no other error, no crash
    by_hand_won = {o[1] for o in outcomes if isinstance(o, tuple) and o[0] == "hand"}
    assert len(by_hand_won) + refused["illegal_transition"] == 3
    for k, order in enumerate(waiting["orders"]):
        order.refresh_from_db()
        assert order.status == "assigned" and order.technician_id is not None
        assert _assigns(order) == 1  # one assignment, by hand or automatic, never both
        auto = OrderEvent.objects.filter(order=order, action="auto_assign").exists()
        assert auto == (k not in by_hand_won)
        if k in by_hand_won:
            assert order.technician_id == by_hand.pk
    _no_failed_job(caplog)
