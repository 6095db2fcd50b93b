"""Concurrency on PostgreSQL: bookings of the last room in a technician's day, one plan
committed by several dispatchers at once, and a booking racing a commit."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from aftersales.dispatch import actions
from aftersales.dispatch.choices import PlanStatus
from aftersales.dispatch.models import DispatchPlan, Shift, Visit
from aftersales.dispatch.tests.fixtures import DAY, NOW, at, spot
from aftersales.orders.models import OrderEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_bookings_for_the_last_room_of_the_day_one_wins(station_day, customer_order, race):
    tech = station_day["technician"](1)
    # Two hours of work, visits of 90 minutes: room for exactly one.
    Shift.objects.create(
        technician=tech.technician, day=DAY, start=dt.time(10), end=dt.time(12), break_minutes=0
    )
    orders = [customer_order(spot(0.5 + k / 10, 0)) for k in range(10)]
    agent = station_day["people"]["agent"]

    def book(i):
        actions.appointment_book(actor=agent, order=orders[i], start=at(10), end=at(12), now=NOW)
        return "booked"

    outcomes = Counter(race(10, book))
    assert outcomes == {"booked": 1, "slot_unavailable": 9}
    assert Visit.objects.filter(technician=tech, day=DAY, ended_at__isnull=True).count() == 1
    assert OrderEvent.objects.filter(kind="appointment").count() == 1


def test_five_dispatchers_commit_one_plan_once(station_day, customer_order, make_user, race):
    station_day["technician"](1)
    station_day["technician"](1)
    orders = [customer_order(spot(k, 1)) for k in range(1, 5)]
    dispatcher = station_day["people"]["dispatcher"]
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.3, now=NOW
    )

    def commit(i):
        actions.plan_commit(actor=dispatcher, plan=plan.pk, now=NOW)
        return "committed"

    outcomes = Counter(race(5, commit))
    assert outcomes == {"committed": 1, "plan_not_proposed": 4}
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.COMMITTED
    for o in orders:
        assert OrderEvent.objects.filter(order=o, action="assign").count() == 1
        assert Visit.objects.filter(order=o, ended_at__isnull=True).count() == 1


def test_a_booking_racing_a_commit_never_double_books(station_day, customer_order, race):
    tech = station_day["technician"](1)
    Shift.objects.create(
        technician=tech.technician, day=DAY, start=dt.time(10), end=dt.time(12), break_minutes=0
    )
    planned = customer_order(spot(1))
    late_comer = customer_order(spot(1.2))
    dispatcher = station_day["people"]["dispatcher"]
    plan = actions.plan_propose(
        actor=dispatcher, station=station_day["station"], day=DAY, seconds=0.2, now=NOW
    )
    assert plan.result["metrics"]["served"] == 1  # one fits; the other waits

    def work(i):
        if i == 0:
            actions.plan_commit(actor=dispatcher, plan=plan.pk, now=NOW)
            return "committed"
        actions.appointment_book(
            actor=station_day["people"]["agent"],
            order=late_comer if planned.pk in _served(plan) else planned,
            start=at(10),
            end=at(12),
            now=NOW,
        )
        return "booked"

    outcomes = Counter(race(2, work))
    # Whichever goes first wins; the other is refused. Never both.
    assert outcomes in (
        Counter({"committed": 1, "slot_unavailable": 1}),
        Counter({"booked": 1, "plan_stale": 1}),
    )
    assert Visit.objects.filter(technician=tech, day=DAY, ended_at__isnull=True).count() == 1


def _served(plan):
    return {s["order"] for r in plan.result["routes"] for s in r["stops"]}
