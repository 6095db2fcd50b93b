"""Batched generation: the orders of a batch through `orders.bulk.orders_create_bulk`
(exactly once per key, through either path), and the nightly run as of a past moment (the
backfill runs every periodic job under `clock.at`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.calendars.models import CalendarDay, CalendarYear, CompanyHours
from aftersales.core import clock
from aftersales.customers.models import InstalledUnit
from aftersales.maintenance import actions
from aftersales.maintenance.models import MaintenanceVisit, UnitSchedule
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import actions as order_actions
from aftersales.orders.bulk import OrderRequest, orders_create_bulk
from aftersales.orders.models import OrderEvent, OrderSettings, ServiceOrder
from aftersales.warranty.selectors import decide_for_unit

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def request(data: dict[str, Any], key: str, unit: str = "u1", customer: str = "c1") -> Any:
    return OrderRequest(
        key=key,
        customer=data[customer].pk,
        unit=data[unit].pk,
        service_type="maintenance",
        channel="maintenance_plan",
        priority="low",
        fault_description="首保",
        contract_level="",
    )


def test_a_batch_creates_each_key_once_through_either_path(data, people):
    agent = people["agent"]
    first = orders_create_bulk(actor=agent, requests=[request(data, "k1"), request(data, "k2")])
    assert first.created == {"k1", "k2"}
    order = first.orders["k1"]
    assert order.number.endswith(f"{order.pk:06d}")
    assert order.respond_due is not None  # the service levels like any order
    assert order.warranty_decision != ""
    assert OrderEvent.objects.filter(order=order, kind="created").count() == 1
    again = orders_create_bulk(actor=agent, requests=[request(data, "k1"), request(data, "k3")])
    assert again.created == {"k3"}
    assert again.orders["k1"].pk == order.pk
    # The single path with the same key and fields finds the same order.
    same, made = order_actions.order_create(
        actor=agent,
        customer=data["c1"].pk,
        unit=data["u1"],
        channel="maintenance_plan",
        service_type="maintenance",
        priority="low",
        fault_description="首保",
        allow_duplicate=True,
        idempotency_key="k2",
    )
    assert (same.pk, made) == (first.orders["k2"].pk, False)
    assert ServiceOrder.objects.filter(service_type="maintenance").count() == 3


def test_a_batch_refuses_a_bad_request_and_creates_the_others(data, people):
    result = orders_create_bulk(
        actor=people["agent"],
        requests=[request(data, "good"), request(data, "bad", unit="u2", customer="c1")],
    )
    assert result.created == {"good"}
    assert result.refused["bad"].code == "invalid"
    assert "unit" in result.refused["bad"].details["fields"]


def test_the_nightly_run_as_of_a_past_date_orders_what_was_due_then_and_tells_nobody(
    plan, data, django_capture_on_commit_callbacks
):
    installed = timezone.localdate() - days(100)
    InstalledUnit.objects.filter(pk__in=[data["u1"].pk, data["u2"].pk]).update(
        installation_date=installed
    )
    tz = timezone.get_default_timezone()

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(2, 30), tzinfo=tz)

    # Ten days after installation: the first service (30 days) is not yet within the window
    # (3 days) and horizon (7 days).
    with clock.at(moment(installed + days(10))), django_capture_on_commit_callbacks(execute=True):
        early = actions.generation_run()
    assert [r.created for r in early] == [0]
    assert UnitSchedule.objects.get(unit=data["u1"]).due_on == installed + days(30)
    # Forty days after: both units were due then, and are ordered as of that night.
    past = moment(installed + days(40))
    with clock.at(past), django_capture_on_commit_callbacks(execute=True):
        runs = actions.generation_run()
    assert [r.created for r in runs] == [2]
    assert runs[0].started_at == past
    for unit in (data["u1"], data["u2"]):
        visit = MaintenanceVisit.objects.get(unit=unit)
        assert (visit.seq, visit.due_on) == (1, installed + days(30))
        assert visit.order.created_at == past
        assert visit.order.events.get(kind="created").source == "backfill"
    # The reminders were written for the record but never sent.
    told = OutboxMessage.objects.filter(event="maintenance_due")
    assert told.count() == 2
    assert set(told.values_list("status", flat=True)) == {"suppressed"}
    # A rerun as of the same night creates nothing more.
    with clock.at(past):
        assert [r.created for r in actions.generation_run()] == [0]


def _reads_of(queries: list[dict[str, Any]], *models: Any) -> int:
    tables = [m._meta.db_table for m in models]
    return sum(1 for q in queries if any(f'"{t}"' in q["sql"] for t in tables))


CALENDAR_MODELS = (CalendarDay, CalendarYear, CompanyHours)


@pytest.mark.parametrize("n", [2, 6])
def test_a_batch_reads_the_calendar_and_the_ratios_once_not_per_order(data, people, n):
    agent = people["agent"]
    requests = [request(data, f"q{n}-{i}") for i in range(n)]
    with CaptureQueriesContext(connection) as seen:
        result = orders_create_bulk(actor=agent, requests=requests)
    assert len(result.created) == n
    # One read of the working calendar (hours, days, loaded years) for the whole batch: the
    # due-time plan and every 三包 decision share it; the escalation ratios likewise.
    assert _reads_of(seen.captured_queries, *CALENDAR_MODELS) <= len(CALENDAR_MODELS)
    assert _reads_of(seen.captured_queries, OrderSettings) <= 1
    # The decision is the one the single path takes (it reads the calendar itself).
    order = result.orders[f"q{n}-0"]
    assert (order.warranty_decision, order.warranty_detail["rule"]) == (
        decide_for_unit(data["u1"], fault_code=None, at=order.created_at)[0],
        decide_for_unit(data["u1"], fault_code=None, at=order.created_at)[1]["rule"],
    )


def test_a_generation_run_reads_the_calendar_once_for_all_its_batches(plan, data, monkeypatch):
    InstalledUnit.objects.filter(pk__in=[data["u1"].pk, data["u2"].pk]).update(
        installation_date=timezone.localdate() - days(40)
    )
    monkeypatch.setattr(actions, "BATCH", 1)  # one unit per batch: two batches
    with CaptureQueriesContext(connection) as seen:
        run = actions.plan_generate(plan=plan["plan"])
    assert run.created == 2
    assert _reads_of(seen.captured_queries, *CALENDAR_MODELS) <= len(CALENDAR_MODELS)
