"""The monthly rollup: kept by differences, it always equals a sum of the daily rows (random
histories), the figures read through it equal the daily ones, and a run as of a past day
(backfill: `clock.at`) equals the rebuild for that day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.catalog.models import FaultCode
from aftersales.core import clock
from aftersales.kpi import actions, selectors
from aftersales.kpi.models import MONTHLY_ROLLUPS, KpiDaily, KpiMonthly, KpiMonthlyProduct
from aftersales.kpi.tests.test_rollup import (
    BASE,
    _daily_table,
    _events,
    _insert,
    faults,  # noqa: F401 (fixture)
    order_plan,
)
from aftersales.orders.models import ServiceOrder

D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "months", "edges"),
    [
        (D(2025, 6, 1), D(2025, 6, 30), (D(2025, 6, 1), D(2025, 6, 1)), []),
        (D(2025, 6, 2), D(2025, 6, 30), None, [(D(2025, 6, 2), D(2025, 6, 30))]),
        (D(2025, 6, 1), D(2025, 6, 29), None, [(D(2025, 6, 1), D(2025, 6, 29))]),
        (D(2025, 6, 5), D(2025, 6, 5), None, [(D(2025, 6, 5), D(2025, 6, 5))]),
        (
            D(2025, 5, 20),
            D(2025, 8, 3),
            (D(2025, 6, 1), D(2025, 7, 1)),
            [(D(2025, 5, 20), D(2025, 5, 31)), (D(2025, 8, 1), D(2025, 8, 3))],
        ),
        (D(2024, 1, 1), D(2024, 12, 31), (D(2024, 1, 1), D(2024, 12, 1)), []),
        (D(2024, 2, 1), D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 1)), []),
        (
            D(2024, 12, 15),
            D(2025, 1, 31),
            (D(2025, 1, 1), D(2025, 1, 1)),
            [(D(2024, 12, 15), D(2024, 12, 31))],
        ),
    ],
)
def test_split_period(start: D, end: D, months: Any, edges: Any) -> None:
    assert selectors.split_period(start, end) == (months, edges)


def _monthly_table(company_id: int) -> dict[tuple[Any, ...], tuple[Decimal, Decimal, int]]:
    """Every monthly rollup's rows (the rollup's name first in each key)."""
    return {
        (model.__name__, r.kpi, r.month, *(getattr(r, c) for c in dims)): (
            r.num.normalize(),
            r.den.normalize(),
            r.count,
        )
        for model, dims in MONTHLY_ROLLUPS
        for r in model.objects.filter(company_id=company_id)
    }


def _monthly_from_daily(company_id: int) -> dict[tuple[Any, ...], tuple[Decimal, Decimal, int]]:
    """The monthly rows of every rollup computed here, in Python, from the daily rows."""
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for r in KpiDaily.objects.filter(company_id=company_id):
        for model, dims in MONTHLY_ROLLUPS:
            got = sums[
                (model.__name__, r.kpi, r.day.replace(day=1), *(getattr(r, c) for c in dims))
            ]
            got[0] += r.num
            got[1] += r.den
            got[2] += r.count
    return {k: (v[0].normalize(), v[1].normalize(), v[2]) for k, v in sums.items()}


def _orders(plans: list[dict[str, Any]], data: dict[str, Any], people: Any, codes: Any) -> Any:
    pending = []
    for plan in plans:
        order = ServiceOrder.objects.create(
            company=data["company"],
            channel="phone",
            service_type="repair",
            priority="medium",
            customer=data["c1"],
            unit=data[plan["unit"]] if plan["unit"] else None,
            fault_code=codes[plan["fault"]],
            created_at=BASE + dt.timedelta(hours=plan["start_h"]),
        )
        pending.append((order, _events(plan, data, people["tech"])))
    return pending


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(order_plan, min_size=1, max_size=6), gap_days=st.integers(0, 90))
@pytest.mark.django_db
def test_monthly_rollup_equals_a_rebuild_for_random_histories(
    plans: list[dict[str, Any]],
    gap_days: int,
    data: dict[str, Any],
    people: dict[str, Any],
    faults: list[FaultCode],  # noqa: F811
) -> None:
    company_id = data["company"].pk
    with transaction.atomic():
        pending = _orders(plans, data, people, faults)
        for order, evs in pending:
            _insert(order, [e for late, e in evs if not late])
        first = BASE + dt.timedelta(days=20)
        actions.kpi_refresh(company_id=company_id, as_of=first)
        assert _monthly_table(company_id) == _monthly_from_daily(company_id)
        for order, evs in pending:
            _insert(order, [e for late, e in evs if late])
        second = first + dt.timedelta(days=gap_days)
        actions.kpi_refresh(company_id=company_id, as_of=second)
        kept = _monthly_table(company_id)
        assert kept == _monthly_from_daily(company_id)
        actions.kpi_monthly_rebuild(company_id=company_id)
        assert _monthly_table(company_id) == kept
        actions.kpi_rebuild(company_id=company_id, as_of=second)
        assert _monthly_table(company_id) == kept
        # a rebuild of a range moves the monthly rows by the same differences
        actions.kpi_rebuild(
            company_id=company_id,
            day_from=first.date() - dt.timedelta(days=10),
            day_to=first.date() + dt.timedelta(days=40),
            as_of=second,
        )
        assert _monthly_table(company_id) == kept
        transaction.set_rollback(True)


def test_figures_through_the_monthly_rollup_equal_the_daily_ones(
    data: dict[str, Any],
    people: dict[str, Any],
    faults: list[FaultCode],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    company_id = data["company"].pk
    plans = [
        {
            "unit": unit,
            "fault": i % 2,
            "station": station,
            "start_h": start_h,
            "steps": 6,
            "revisit": i % 3 == 0,
            "cancel": False,
            "pause": False,
            "gap_h": 3 + i,
            "score": [None, 2, 4, 5][i % 4],
            "late": "none",
        }
        for i, (unit, station, start_h) in enumerate(
            [("u1", "s1", 0), ("u2", "s2", 24 * 25), ("u1", "s1", 24 * 40), (None, "s2", 24 * 70)]
        )
    ]
    for order, evs in _orders(plans, data, people, faults):
        _insert(order, [e for _late, e in evs])
    actions.kpi_refresh(company_id=company_id, as_of=BASE + dt.timedelta(days=120))
    assert KpiMonthly.objects.exists()
    assert KpiMonthlyProduct.objects.exists()
    # the product rollup is much smaller than the daily rows would be by model and fault
    # code, and only a company-wide view without a station or region reads it
    head, manager = people["department_head"], people["station_manager"]
    assert selectors._uses_monthly("model", {}, head) is KpiMonthlyProduct
    assert selectors._uses_monthly("fault_code", {"category": 1}, None) is KpiMonthlyProduct
    assert selectors._uses_monthly("model", {}, manager) is None
    assert selectors._uses_monthly("model", {"station": 1}, head) is None
    assert selectors._uses_monthly("station", {"service_type": "repair"}, head) is KpiMonthly
    assert selectors._uses_monthly(None, {}, manager) is KpiMonthly
    assert selectors._uses_monthly("technician", {}, head) is None
    cases = [
        (D(2025, 5, 20), D(2025, 9, 3)),
        (D(2025, 6, 1), D(2025, 8, 31)),
        (D(2025, 6, 10), D(2025, 6, 20)),
    ]
    users = [None, people["station_manager"]]
    for code in ("first_time_fix", "satisfaction", "failure_rate"):
        for period in cases:
            for group_by, filters in (
                (None, {}),
                ("station", {}),
                ("region", {}),
                ("month", {}),
                ("model", {}),
                ("fault_code", {}),
                ("category", {"service_type": "repair"}),
                ("model", {"station": data["s1"].pk}),
                ("fault_code", {"service_type": "repair"}),
            ):
                for user in users:
                    args = {
                        "filters": filters,
                        "company_id": company_id,
                        "code": code,
                        "period_from": period[0],
                        "period_to": period[1],
                        "group_by": group_by,
                        "user": user,
                    }
                    through_months = selectors.figures(**args)
                    with monkeypatch.context() as m:
                        m.setattr(selectors, "_uses_monthly", lambda *_a: False)
                        daily_only = selectors.figures(**args)
                    assert through_months == daily_only, (code, period, group_by, filters, user)


@pytest.mark.django_db
def test_refresh_as_of_a_past_day_equals_the_rebuild_for_that_day(
    data: dict[str, Any],
    people: dict[str, Any],
    faults: list[FaultCode],  # noqa: F811
) -> None:
    """A backfill replays the history and runs the periodic job each night under
    `clock.at(that night)`: the tables then equal a rebuild as of the last night, and the open
    orders were judged by the replayed time (a due time not yet passed that night is not
    missed), not by today's."""
    company_id = data["company"].pk
    plans = [
        {
            "unit": "u1" if i % 2 else "u2",
            "fault": i % 2,
            "station": "s1" if i % 2 else "s2",
            "start_h": 24 * 9 * i,
            # some orders stay open: their due times decide with the clock
            "steps": 6 if i % 3 else 3,
            "revisit": False,
            "cancel": False,
            "pause": False,
            "gap_h": 5,
            "score": 5 if i % 2 else None,
            "late": "none",
        }
        for i in range(7)
    ]
    pending = _orders(plans, data, people, faults)
    timeline = sorted(
        ((e["at"], n, order) for order, evs in pending for n, (_late, e) in enumerate(evs)),
        key=lambda t: (t[0], t[1]),
    )
    by_order = {order.pk: [e for _late, e in evs] for order, evs in pending}
    done: dict[int, int] = defaultdict(int)
    night = BASE.replace(hour=23, minute=30)
    last = timeline[-1][0] + dt.timedelta(days=2)
    i = 0
    while night <= last:
        while i < len(timeline) and timeline[i][0] <= night:
            order = timeline[i][2]
            _insert(order, [by_order[order.pk][done[order.pk]]])
            done[order.pk] += 1
            i += 1
        with clock.at(night):
            actions.kpi_refresh(company_id=company_id)  # the job: no as_of, the clock's now
        night += dt.timedelta(days=1)
    as_of = night - dt.timedelta(days=1)
    replayed_daily = _daily_table(company_id)
    replayed_monthly = _monthly_table(company_id)
    assert replayed_monthly == _monthly_from_daily(company_id)
    with clock.at(as_of):
        actions.kpi_rebuild(company_id=company_id)
    assert _daily_table(company_id) == replayed_daily
    assert _monthly_table(company_id) == replayed_monthly
    from aftersales.kpi.models import KpiCursor

    assert KpiCursor.objects.get(company_id=company_id).ran_at == as_of
    # the last order is open and its resolve due time had not passed that night; judged by
    # today's time it is missed, so the tables differ: the job read the replayed clock
    actions.kpi_rebuild(company_id=company_id)
    assert _daily_table(company_id) != replayed_daily
    with clock.at(as_of):
        actions.kpi_rebuild(company_id=company_id)
    assert _daily_table(company_id) == replayed_daily
    # and a snapshot of a closed month taken under the clock is frozen as of then
    with clock.at(as_of):
        snap = actions.kpi_snapshot_take(
            actor=None,
            company_id=company_id,
            code="first_time_fix",
            period_from=D(2025, 6, 1),
            period_to=D(2025, 6, 30),
            group_by="station",
        )
    assert snap.taken_at == as_of


def test_backlog_counted_in_the_database_equals_the_pure_core(
    new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    from aftersales.kpi import dashboards, formulas

    walk(new_order(), "complete")
    walk(new_order(unit=data["u2"], customer=data["c2"]), "accept")
    new_order()
    now = clock.now()
    for later in (dt.timedelta(0), dt.timedelta(days=2), dt.timedelta(days=40)):
        at = now + later
        got = dashboards.backlog_counts(people["department_head"], {}, at)
        rows = selectors.order_rows(
            data["company"].pk, ServiceOrder.objects.values_list("pk", flat=True)
        )
        core = defaultdict(lambda: [0] * len(formulas.AGE_BUCKETS))
        for r in rows:
            one = formulas.backlog([r], at)
            for i, (name, _limit) in enumerate(formulas.AGE_BUCKETS):
                if one.buckets[name]:
                    core[r.dims.station][i] += 1
        assert got == dict(core)
        assert sum(sum(v) for v in got.values()) == 2


def test_the_migration_fills_the_monthly_rows_from_the_daily_ones(
    new_order: Any, walk: Any, data: dict[str, Any]
) -> None:
    import importlib

    from django.apps import apps

    walk(new_order(), "follow_up")
    actions.kpi_refresh(company_id=data["company"].pk)
    kept = _monthly_table(data["company"].pk)
    assert kept
    KpiMonthly.objects.all().delete()
    KpiMonthlyProduct.objects.all().delete()
    module = importlib.import_module("aftersales.kpi.migrations.0010_monthly_product_rollup")
    module.fill(apps, None)
    assert _monthly_table(data["company"].pk) == kept


@pytest.mark.django_db
def test_a_rebuilt_monthly_sum_has_the_column_s_four_places() -> None:
    """36 technicians' days of 23.4087 hours sum to 842.7132 exactly; SQLite sums the decimals
    as floats (842.713199999999), which a rebuild must not keep."""
    KpiDaily.objects.bulk_create(
        KpiDaily(
            company_id=1,
            kpi="mttr_calendar",
            day=dt.date(2026, 3, 2),
            station_id=1,
            technician_id=t,
            service_type="repair",
            num=Decimal("23.4087"),
            den=Decimal("1"),
            count=1,
        )
        for t in range(36)
    )
    [row] = actions.monthly_from_daily(1, KpiMonthly)
    assert (row.month, row.num, row.den, row.count) == (
        dt.date(2026, 3, 1),
        Decimal("842.7132"),
        36,
        36,
    )
    assert str(row.num) == "842.7132"
