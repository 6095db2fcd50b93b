"""Benchmark: the KPI dashboards at 1,000,000 orders and about 10 million event rows.

    AFTERSALES_DATA_DIR=/tmp/bench-kpi1m python bench/kpi_dashboard_at_scale.py --orders 1000000
    DATABASE_URL=postgres://.../kpi1m python bench/kpi_dashboard_at_scale.py --orders 1000000
    python bench/kpi_dashboard_at_scale.py --tiny      # smoke test (CI): 2,000 orders

`bench/kpi_at_scale.py` times the whole path (events read back from the database, the facts,
the daily rows) at 20,000 orders; at this size that path is about half an hour per database on
the shared machine, so this bench takes a fast path for the fill:

1. Fill, in bulk (raw multi-row INSERTs, PostgreSQL `COPY`): the demo organisation, units,
   `--orders` service orders over the last year and the event rows the actions write
   (created with due times, dispatch, assign, accept, depart, arrive, complete, the follow-up
   result, follow-up, close; 3 % cancelled, 3 % still open; some revisits). The same events,
   as plain `formulas.Event` values, go through the real pure core
   (`formulas.order_contributions`, every KPI of every order; a chunk of orders holds every
   order of its units, so the repeat-repair windows see their comebacks) and the facts are
   written with the rollup's own `_insert_facts`. Only the read-back of the events from the
   database is skipped.
2. Rollups, timed: the daily rows from the facts with the job's own code
   (`actions._rebuild_daily` for every (KPI, day)), the monthly rollup from them
   (`kpi_monthly_rebuild`, what a full `kpi_rebuild` does), then the incremental job after
   1,000 new orders (`kpi_refresh`: its first run reads the new events plus every open order
   and fills the watch rows; then, after another 1,000 new orders, the incremental run that
   reads only the new events and the orders whose watch time passed; both move the monthly
   rows by differences), and a check that the monthly rows it kept equal a sum of the daily
   rows. Orders still open are those of the last fortnight (about 50 % of them).
3. Reads through Django's test client (server time): the company dashboard as the department
   head (a closed two-month period, and the last 30 days, which reads days around the whole
   months), as a station manager, a KPI by station, the region comparison, a technician's
   KPI (daily rows) and the drill-down list. p50 / p95 / max in ms; prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# A benchmark calls the API faster than the per-minute limit lets one caller (600/min).
os.environ.setdefault("AFTERSALES_API_RATE_PER_CALLER", "0")
os.environ.setdefault("AFTERSALES_API_RATE_PER_ADDRESS", "0")

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Station, User  # noqa: E402
from aftersales.calendars.selectors import work_calendar  # noqa: E402
from aftersales.catalog.models import FaultCode  # noqa: E402
from aftersales.customers.models import InstalledUnit  # noqa: E402
from aftersales.kpi import actions, formulas  # noqa: E402
from aftersales.kpi.formulas import Dims, Event, OrderRow  # noqa: E402
from aftersales.kpi.models import (  # noqa: E402
    MONTHLY_ROLLUPS,
    KpiDaily,
    KpiFact,
    KpiMonthly,
    KpiMonthlyProduct,
    KpiWatch,
)
from aftersales.orders.models import OrderEvent, ServiceOrder  # noqa: E402

EVENT_COLUMNS = ("order_id", "at", "source", "kind", "action", "from_status", "to_status")
EVENT_COLUMNS_ALL = (*EVENT_COLUMNS, "reason", "payload")


def timed(client: Client, path: str, repeat: int) -> dict[str, float]:
    client.get(path)  # warm
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
    }


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs (SQLite) or COPY (PostgreSQL); values already adapted."""
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        step = max(1, 900 // len(columns))
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            cursor.execute(
                f"INSERT INTO {qn(table)} ({cols}) VALUES {', '.join([marks] * len(chunk))}",  # noqa: S608
                [v for row in chunk for v in row],
            )


def _plan_events(
    created: dt.datetime, status: str, station: int, tech: int, r1: float, r2: float
) -> list[Event]:
    """The events the actions write for one order (as in bench/kpi_at_scale.py)."""
    h = dt.timedelta(hours=1)
    due = {
        "respond": (created + 2 * h).isoformat(),
        "arrive": (created + 24 * h).isoformat(),
        "resolve": (created + 48 * h).isoformat(),
    }
    out = [
        Event(created, "created", to_status="registered", payload={"due": due}),
        Event(
            created + 0.2 * h,
            "transition",
            "dispatch",
            to_status="dispatched",
            payload={"station": station},
        ),
    ]
    if status == "cancelled":
        out.append(Event(created + h, "transition", "cancel", to_status="cancelled"))
        return out
    out.append(
        Event(
            created + 0.4 * h,
            "transition",
            "assign",
            to_status="assigned",
            payload={"technician": tech},
        )
    )
    accept = created + (0.5 + 3 * r1) * h
    out.append(Event(accept, "transition", "accept", to_status="accepted"))
    if status != "closed":
        return out
    arrive = accept + (2 + 30 * r2) * h
    out.append(Event(arrive - h, "transition", "depart", to_status="en_route"))
    out.append(Event(arrive, "transition", "arrive", to_status="on_site"))
    done = arrive + (1 + 2 * r1) * h
    if r2 < 0.1:  # a second visit
        out.append(Event(done, "transition", "revisit", to_status="accepted"))
        out.append(Event(done + 20 * h, "transition", "depart", to_status="en_route"))
        out.append(Event(done + 21 * h, "transition", "arrive", to_status="on_site"))
        done += 22 * h
    out.append(Event(done, "transition", "complete", to_status="completed"))
    answers = {"fixed": r1 > 0.05, "satisfaction": 5 if r2 < 0.8 else 3}
    out.append(Event(done + 30 * h, "follow_up", "follow_up_result", payload={"answers": answers}))
    out.append(Event(done + 30 * h, "transition", "follow_up", to_status="followed_up"))
    out.append(Event(done + 31 * h, "transition", "close", to_status="closed"))
    return out


def fill(total: int, seed: int, *, since_days: int = 365, prefix: str = "K") -> dict[str, Any]:
    """Orders, their events and their facts (the real pure core), in bulk."""
    rng = random.Random(seed)
    agent = User.objects.get(username="agent")
    company_id = agent.company_id
    assert company_id is not None
    regions = dict(Station.objects.values_list("id", "region_id"))
    units = list(
        InstalledUnit.objects.order_by("pk").values_list(
            "pk", "customer_id", "station_id", "product_model_id", "product_model__category_id"
        )
    )
    faults = list(FaultCode.objects.values_list("pk", flat=True)) or [None]
    techs: dict[int, list[int]] = {}
    for pk, station_id in User.objects.filter(role=Role.TECHNICIAN).values_list("pk", "station_id"):
        techs.setdefault(station_id, []).append(pk)
    stations = [s for s in techs if s]
    calendar = work_calendar(company_id)
    now = timezone.now()
    start = now - dt.timedelta(days=since_days)
    span = (now - start).total_seconds() - 3 * 86400
    ops = connection.ops
    chunk_orders = 5000
    chunks = max(1, -(-total // chunk_orders))
    per_chunk = max(1, len(units) // chunks)
    made = events = facts = 0
    seconds = {"orders_events": 0.0, "pure_core": 0.0, "facts": 0.0}
    next_id = (ServiceOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for k in range(chunks):
        n = min(chunk_orders, total - made)
        # every order of a unit falls in the chunk that owns the unit
        own_units = units[(k * per_chunk) % len(units) :][:per_chunk] or units
        order_rows: list[ServiceOrder] = []
        event_rows: list[tuple[Any, ...]] = []
        core_rows: list[OrderRow] = []
        for i in range(n):
            oid = next_id + made + i
            unit_id, customer_id, station_id, model_id, category_id = rng.choice(own_units)
            station_id = station_id if station_id in techs else rng.choice(stations)
            tech = rng.choice(techs[station_id])
            created = start + dt.timedelta(seconds=rng.random() * span)
            fate = rng.random()
            # open: only orders of the last fortnight (as in life; the job looks at every
            # open order each run)
            recent = (now - created).days < 14
            status = (
                "cancelled" if fate < 0.03 else ("accepted" if fate < 0.5 and recent else "closed")
            )
            service_type = "repair" if rng.random() < 0.8 else "maintenance"
            fault = rng.choice(faults)
            evs = _plan_events(created, status, station_id, tech, rng.random(), rng.random())
            completed = next((e.at for e in evs if e.action == "complete"), None)
            order_rows.append(
                ServiceOrder(
                    pk=oid,
                    company_id=company_id,
                    number=f"{prefix}{seed}-{made + i}",
                    status=status,
                    channel="phone",
                    service_type=service_type,
                    priority="medium",
                    customer_id=customer_id,
                    unit_id=unit_id,
                    fault_code_id=fault,
                    station_id=station_id,
                    region_id=regions.get(station_id),
                    technician_id=tech,
                    created_by_id=agent.pk,
                    created_at=created,
                    completed_at=completed,
                )
            )
            for e in evs:
                event_rows.append(
                    (
                        oid,
                        ops.adapt_datetimefield_value(e.at),
                        "",
                        e.kind,
                        e.action,
                        "",
                        e.to_status,
                        "",
                        json.dumps(dict(e.payload), ensure_ascii=False),
                    )
                )
            fallback = Dims(
                station=station_id,
                technician=tech,
                region=regions.get(station_id),
                model=model_id,
                fault_code=fault,
                category=category_id,
                service_type=service_type,
            )
            core_rows.append(
                OrderRow(
                    id=oid,
                    events=tuple(evs),
                    service_type=service_type,
                    unit=unit_id,
                    dims=formulas.attributed(evs, fallback, regions),
                )
            )
        t0 = time.perf_counter()
        with transaction.atomic():
            ServiceOrder.objects.bulk_create(order_rows, batch_size=1000)
            _insert(OrderEvent._meta.db_table, EVENT_COLUMNS_ALL, event_rows)
        t1 = time.perf_counter()
        contributions = formulas.order_contributions(core_rows, as_of=now, calendar=calendar)
        t2 = time.perf_counter()
        with transaction.atomic():
            actions._insert_facts([actions._fact_row(company_id, c) for c in contributions])
        t3 = time.perf_counter()
        seconds["orders_events"] += t1 - t0
        seconds["pure_core"] += t2 - t1
        seconds["facts"] += t3 - t2
        made += n
        events += len(event_rows)
        facts += len(contributions)
        if k % 20 == 0 or made == total:
            print(f"  {made:,} orders, {events:,} events, {facts:,} facts", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM "
                + connection.ops.quote_name(ServiceOrder._meta.db_table)
                + "))",
                [ServiceOrder._meta.db_table],
            )
    return {"orders": made, "events": events, "facts": facts, **seconds}


def measure(repeat: int) -> dict[str, dict[str, float]]:
    head = User.objects.get(username="head")
    manager = User.objects.get(username="station")
    today = timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    closed = f"period_from={start}&period_to={end}"
    recent = f"period_from={today - dt.timedelta(days=30)}&period_to={today}"
    tech = User.objects.filter(role=Role.TECHNICIAN).order_by("pk").first()
    assert tech is not None
    cases = [
        ("head, two closed months", head, f"/kpi/?{closed}"),
        ("head, last 30 days", head, f"/kpi/?{recent}"),
        ("station manager, two closed months", manager, f"/kpi/?{closed}"),
        (
            "head, first-time fix by station",
            head,
            f"/kpi/first_time_fix/?{closed}&group_by=station",
        ),
        ("head, region comparison", head, f"/kpi/regions/?{closed}"),
        (
            "head, first-time fix by technician",
            head,
            f"/kpi/first_time_fix/?{closed}&group_by=technician",
        ),
        ("head, drill-down list", head, f"/kpi/first_time_fix/orders/?{closed}&part=numerator"),
        ("head, API by station", head, f"/api/v1/kpis/first_time_fix?{closed}&group_by=station"),
    ]
    results = {}
    for label, user, path in cases:
        client = Client()
        client.force_login(user)
        try:
            results[f"{label}: {path.split('?')[0]}"] = timed(client, path, repeat)
        except Exception as exc:  # noqa: BLE001 (reported, the other reads still measured)
            results[f"{label}: {path.split('?')[0]}"] = {"error": str(exc)}  # type: ignore[dict-item]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="smoke test: 2,000 orders")
    args = parser.parse_args()
    if args.tiny:
        args.orders, args.repeat = 2000, 2
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    if not User.objects.filter(username="head").exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from units_at_scale import generate

        generate(max(300, args.orders // 3), args.seed)
    units_s = time.perf_counter() - t0
    company_id = User.objects.get(username="head").company_id
    assert company_id is not None
    t0 = time.perf_counter()
    filled = fill(args.orders, args.seed)
    fill_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # the rollups from the facts, with the job's code
    touched = set(
        KpiFact.objects.filter(company_id=company_id).values_list("kpi", "day").distinct()
    )
    t0 = time.perf_counter()
    with transaction.atomic():
        daily_rows = actions._rebuild_daily(company_id, touched, monthly=False)
    daily_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    monthly_rows = actions.kpi_monthly_rebuild(company_id=company_id)
    monthly_s = time.perf_counter() - t0
    with transaction.atomic():
        from aftersales.kpi.models import KpiCursor

        KpiCursor.objects.update_or_create(
            company_id=company_id,
            defaults={
                "order_event_id": OrderEvent.objects.order_by("-pk")
                .values_list("pk", flat=True)
                .first()
                or 0
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    extra = min(1000, max(10, args.orders // 100))
    fill(extra, args.seed + 1, since_days=3, prefix="N")
    # the first run reads the new orders and every open order (what every run did before
    # the watch rows; it fills them), the next one only new events and passed watches
    t0 = time.perf_counter()
    actions.kpi_refresh(company_id=company_id)
    first_refresh_s = time.perf_counter() - t0
    fill(extra, args.seed + 2, since_days=3, prefix="M")
    t0 = time.perf_counter()
    actions.kpi_refresh(company_id=company_id)
    refresh_s = time.perf_counter() - t0

    def plain(rows: Any, dims: tuple[str, ...]) -> Counter[tuple[Any, ...]]:
        return Counter(
            (r.kpi, r.month, *(getattr(r, c) for c in dims), r.num, r.den, r.count) for r in rows
        )

    # the monthly rows the job moved by differences equal a sum of the daily rows
    kept = [
        plain(model.objects.filter(company_id=company_id), dims) for model, dims in MONTHLY_ROLLUPS
    ]
    rebuilt = [
        plain(actions.monthly_from_daily(company_id, model), dims)
        for model, dims in MONTHLY_ROLLUPS
    ]
    summary = {
        "database": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "orders": ServiceOrder.objects.count(),
        "events": OrderEvent.objects.count(),
        "units": InstalledUnit.objects.count(),
        "facts": KpiFact.objects.count(),
        "daily_rows": KpiDaily.objects.count(),
        "monthly_rows": KpiMonthly.objects.count(),
        "monthly_product_rows": KpiMonthlyProduct.objects.count(),
        "open_orders": ServiceOrder.objects.filter(status="accepted").count(),
        "units_s": round(units_s, 1),
        "fill_s": round(fill_s, 1),
        "fill_parts_s": {k: round(v, 1) for k, v in filled.items() if isinstance(v, float)},
        "daily_from_facts_s": round(daily_s, 1),
        "daily_rows_written": daily_rows,
        "monthly_rebuild_from_daily_s": round(monthly_s, 1),
        "monthly_rows_rebuilt": monthly_rows,
        "monthly_kept_by_the_job_equals_a_rebuild": kept == rebuilt,
        f"first_refresh_s ({extra} new orders + every open order)": round(first_refresh_s, 1),
        f"incremental_refresh_s ({extra} new orders + passed watches)": round(refresh_s, 1),
        "watched_orders": KpiWatch.objects.count(),
        "reads": measure(args.repeat),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
