"""Benchmark: KPI figures at scale — the rollup job, the dashboard and the drill-down list.

    AFTERSALES_DATA_DIR=/tmp/bench-kpi python bench/kpi_at_scale.py --orders 100000
    DATABASE_URL=postgres://... python bench/kpi_at_scale.py --orders 100000
    python bench/kpi_at_scale.py --tiny        # smoke test (CI): a few hundred orders

1. Fill: the demo organisation, then `--orders` service orders over the last year with the
   event rows the actions write (created with due times, dispatch, assign, accept, depart,
   arrive, complete, the follow-up result; some cancelled, some revisited, some reopened on
   the same unit), inserted in bulk: about 9 events per order.
2. Rollup: a full rebuild (facts and daily sums from every event), then the incremental job
   after 1% more orders arrive (what the periodic job does), timed.
3. Reads: the company dashboard as the department head and as a station manager, a KPI by
   technician, the drill-down list and the API figures, each `--repeat` times through Django's
   test client (server time, no network): p50 / p95 / max in ms. Prints JSON.
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
from aftersales.accounts.models import User  # noqa: E402
from aftersales.catalog.models import FaultCode  # noqa: E402
from aftersales.customers.models import InstalledUnit  # noqa: E402
from aftersales.kpi import actions  # noqa: E402
from aftersales.orders.models import OrderEvent, ServiceOrder  # noqa: E402


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
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def _event(order_id: int, at: dt.datetime, kind: str, **kw: Any) -> OrderEvent:
    return OrderEvent(order_id=order_id, at=at, kind=kind, **kw)


def fill(total: int, seed: int, *, since_days: int = 365) -> int:
    """Orders and their events in bulk (the rows the actions write)."""
    rng = random.Random(seed)
    agent = User.objects.get(username="agent")
    units = list(InstalledUnit.objects.values_list("pk", "customer_id", "station_id", "region_id"))
    faults = list(FaultCode.objects.values_list("pk", flat=True)) or [None]
    techs: dict[int, list[int]] = {}
    for pk, station_id in User.objects.filter(role=Role.TECHNICIAN).values_list("pk", "station_id"):
        techs.setdefault(station_id, []).append(pk)
    stations = [s for s in techs if s]
    now = timezone.now()
    start = now - dt.timedelta(days=since_days)
    span = (now - start).total_seconds() - 3 * 86400
    made = events = 0
    h = dt.timedelta(hours=1)
    while made < total:
        n = min(5000, total - made)
        plans = []
        batch = []
        for _i in range(n):
            unit_id, customer_id, station_id, region_id = rng.choice(units)
            station_id = station_id if station_id in techs else rng.choice(stations)
            tech = rng.choice(techs[station_id])
            created = start + dt.timedelta(seconds=rng.random() * span)
            fate = rng.random()
            status = "cancelled" if fate < 0.03 else ("accepted" if fate < 0.06 else "closed")
            batch.append(
                ServiceOrder(
                    company_id=agent.company_id,
                    number=f"B{seed}-{made + _i}",
                    status=status,
                    channel="phone",
                    service_type="repair" if rng.random() < 0.8 else "maintenance",
                    priority="medium",
                    customer_id=customer_id,
                    unit_id=unit_id,
                    fault_code_id=rng.choice(faults),
                    station_id=station_id,
                    region_id=region_id,
                    technician_id=tech,
                    created_by=agent,
                    created_at=created,
                    # not before the complete event below (the column only selects orders)
                    completed_at=created + dt.timedelta(hours=40) if status == "closed" else None,
                )
            )
            plans.append((created, status, station_id, tech, rng.random(), rng.random()))
        with transaction.atomic():
            ServiceOrder.objects.bulk_create(batch, batch_size=2000)
            rows: list[OrderEvent] = []
            for order, (created, status, station, tech, r1, r2) in zip(batch, plans, strict=True):
                oid = order.pk
                due = {
                    "respond": (created + 2 * h).isoformat(),
                    "arrive": (created + 24 * h).isoformat(),
                    "resolve": (created + 48 * h).isoformat(),
                }
                rows.append(
                    _event(oid, created, "created", to_status="registered", payload={"due": due})
                )
                rows.append(
                    _event(
                        oid,
                        created + 0.2 * h,
                        "transition",
                        action="dispatch",
                        to_status="dispatched",
                        payload={"station": station},
                    )
                )
                if status == "cancelled":
                    rows.append(
                        _event(
                            oid, created + h, "transition", action="cancel", to_status="cancelled"
                        )
                    )
                    continue
                rows.append(
                    _event(
                        oid,
                        created + 0.4 * h,
                        "transition",
                        action="assign",
                        to_status="assigned",
                        payload={"technician": tech},
                    )
                )
                accept = created + (0.5 + 3 * r1) * h
                rows.append(
                    _event(oid, accept, "transition", action="accept", to_status="accepted")
                )
                if status != "closed":
                    continue
                arrive = accept + (2 + 30 * r2) * h
                rows.append(
                    _event(oid, arrive - h, "transition", action="depart", to_status="en_route")
                )
                rows.append(_event(oid, arrive, "transition", action="arrive", to_status="on_site"))
                done = arrive + (1 + 2 * r1) * h
                rows.append(
                    _event(oid, done, "transition", action="complete", to_status="completed")
                )
                answers = {"fixed": True, "satisfaction": 5 if r2 < 0.8 else 3}
                rows.append(
                    _event(
                        oid,
                        done + 30 * h,
                        "follow_up",
                        action="follow_up_result",
                        payload={"answers": answers},
                    )
                )
                rows.append(
                    _event(
                        oid,
                        done + 30 * h,
                        "transition",
                        action="follow_up",
                        to_status="followed_up",
                    )
                )
                rows.append(
                    _event(oid, done + 31 * h, "transition", action="close", to_status="closed")
                )
            OrderEvent.objects.bulk_create(rows, batch_size=5000)
            events += len(rows)
        made += n
        print(f"  {made:,} orders, {events:,} events", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return events


def measure(repeat: int) -> dict[str, dict[str, float]]:
    head = User.objects.get(username="head")
    manager = User.objects.get(username="station")
    today = timezone.localdate()
    month = f"period_from={today.replace(day=1) - dt.timedelta(days=62)}&period_to={today}"
    cases = [
        ("head", head, f"/kpi/?{month}"),
        ("station manager", manager, f"/kpi/?{month}"),
        ("head", head, f"/kpi/first_time_fix/?{month}&group_by=technician"),
        ("head", head, f"/kpi/first_time_fix/orders/?{month}&part=numerator"),
        ("head", head, f"/api/v1/kpis/first_time_fix?{month}&group_by=station"),
        ("head", head, f"/api/v1/kpis/first_time_fix/orders?{month}&part=denominator"),
    ]
    results = {}
    for label, user, path in cases:
        client = Client()
        client.force_login(user)
        results[f"{label}: {path.split('?')[0]}"] = timed(client, path, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="smoke test: 300 orders, 2 repeats")
    args = parser.parse_args()
    if args.tiny:
        args.orders, args.repeat = 300, 2
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(username="head").exists():
        # the demo organisation, then units in bulk: one unit per two orders (comebacks on
        # the same unit are a few percent, as in life)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from units_at_scale import generate

        generate(max(200, args.orders // 2), args.seed)
    t0 = time.perf_counter()
    events = fill(args.orders, args.seed)
    fill_s = time.perf_counter() - t0
    company_id = User.objects.get(username="head").company_id
    t0 = time.perf_counter()
    actions.kpi_rebuild(company_id=company_id)
    actions.kpi_refresh(company_id=company_id)  # sets the cursor
    rebuild_s = time.perf_counter() - t0
    extra = max(1, args.orders // 100)
    fill(extra, args.seed + 1, since_days=3)
    t0 = time.perf_counter()
    actions.kpi_refresh(company_id=company_id)
    refresh_s = time.perf_counter() - t0
    from aftersales.kpi.models import KpiDaily, KpiFact

    summary = {
        "database": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "orders": ServiceOrder.objects.count(),
        "events": OrderEvent.objects.count(),
        "facts": KpiFact.objects.count(),
        "daily_rows": KpiDaily.objects.count(),
        "fill_s": round(fill_s, 1),
        "events_inserted": events,
        "full_rebuild_s": round(rebuild_s, 1),
        "incremental_refresh_s (1% new orders + open ones)": round(refresh_s, 2),
        "reads": measure(args.repeat),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
