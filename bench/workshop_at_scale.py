"""Benchmark: counter intake and the workshop pages at 100,000 open workshop orders.

    AFTERSALES_DATA_DIR=/tmp/bench-ws python bench/workshop_at_scale.py --jobs 100000
    DATABASE_URL=postgres://... python bench/workshop_at_scale.py --jobs 100000
    python bench/workshop_at_scale.py --tiny        # smoke test (CI): a few hundred jobs

1. Fills the tables to `--jobs` open workshop jobs (each with its service order, on site in
   the workshop) spread over the demo's stations and the steps of the bench, with bulk
   inserts, plus the events of each.
2. Times, with Django's test client (server time, no network): counter intake through
   POST /api/v1/workshop/intake (the whole action: order, 三包 decision, job, signature,
   code, events), taking and calling a number, the counter page, the workshop board (a
   station's and the company's), a job page, the hall display and the job list API.
   Prints JSON (p50 / p95 / max in ms)."""

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
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
from units_at_scale import timed  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Station, User  # noqa: E402
from aftersales.customers.models import InstalledUnit  # noqa: E402
from aftersales.demo.generator import _signature_png  # noqa: E402
from aftersales.orders.models import ServiceOrder  # noqa: E402
from aftersales.workshop.models import WorkshopEvent, WorkshopJob  # noqa: E402

STEPS = [
    "received",
    "diagnosing",
    "awaiting_approval",
    "approved",
    "waiting_parts",
    "in_repair",
    "quality_check",
    "ready",
]


def fill(total: int, seed: int) -> None:
    rng = random.Random(seed)
    agent = User.objects.get(username="agent")
    units = list(InstalledUnit.objects.values_list("pk", "customer_id", "station_id", "region_id"))
    stations = list(
        Station.objects.filter(company_id=agent.company_id).values_list("pk", "region_id")
    )
    have = WorkshopJob.objects.count()
    now = timezone.now()
    t0 = time.perf_counter()
    while have < total:
        n = min(5000, total - have)
        orders, jobs, events = [], [], []
        for i in range(n):
            unit_id, customer_id, _s, _r = rng.choice(units)
            station_id, region_id = rng.choice(stations)
            received = now - dt.timedelta(minutes=rng.randint(10, 60 * 24 * 20))
            orders.append(
                ServiceOrder(
                    company_id=agent.company_id,
                    number=f"{timezone.localtime(received):%Y%m%d}W{have + i:07d}",
                    status="on_site",
                    channel="walk_in",
                    service_type="repair",
                    priority="medium",
                    customer_id=customer_id,
                    unit_id=unit_id,
                    fault_description="不开机",
                    region_id=region_id,
                    station_id=station_id,
                    responded_at=received,
                    arrived_at=received,
                    created_by=agent,
                    created_at=received,
                )
            )
        with transaction.atomic():
            ServiceOrder.objects.bulk_create(orders, batch_size=2000)
            for order in orders:
                status = rng.choice(STEPS)
                since = order.created_at + dt.timedelta(
                    minutes=rng.randint(0, int((now - order.created_at).total_seconds() // 60))
                )
                jobs.append(
                    WorkshopJob(
                        company_id=order.company_id,
                        station_id=order.station_id,
                        order=order,
                        status=status,
                        route="counter",
                        received_at=order.created_at,
                        status_since=since,
                        condition="外观完好",
                        ready_at=since if status == "ready" else None,
                        ready_due=order.created_at + dt.timedelta(days=3),
                        created_by=agent,
                        created_at=order.created_at,
                    )
                )
            WorkshopJob.objects.bulk_create(jobs, batch_size=2000)
            for job in jobs:
                events.append(
                    WorkshopEvent(
                        job=job, action="created", to_status="received", at=job.created_at
                    )
                )
            WorkshopEvent.objects.bulk_create(events, batch_size=2000)
        have += n
        print(f"  {have:,} jobs ({have / (time.perf_counter() - t0):,.0f}/s)", file=sys.stderr)
    # Rows filled before jobs had a promised ready time get one (the board counts overdue).
    from django.db.models import F

    WorkshopJob.objects.filter(ready_due__isnull=True, received_at__isnull=False).update(
        ready_due=F("received_at") + dt.timedelta(days=3)
    )
    with connection.cursor() as cursor:
        # VACUUM as well on PostgreSQL: bulk inserts leave the visibility map empty, so no
        # index-only scan is possible until autovacuum gets round to it (production tables
        # are vacuumed by autovacuum; a freshly filled bench table is not yet).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def intake(count: int, seed: int) -> dict[str, float]:
    """Counter intake through the API, `count` times (each a new walk-in)."""
    rng = random.Random(seed)
    desk = User.objects.get(username="station")
    _token, key = org.api_token_create(actor=desk, name="bench-workshop")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    units = list(
        InstalledUnit.objects.filter(customer__station_id=desk.station_id).values_list(
            "pk", "customer_id"
        )[:2000]
    )
    signature = _signature_png()
    samples = []
    for i in range(count + 1):
        unit_id, customer_id = rng.choice(units)
        body = {
            "station_id": desk.station_id,
            "customer_id": customer_id,
            "unit_id": unit_id,
            "fault_description": "不开机",
            "condition": "外观完好",
            "accessories": ["电源线"],
            "signature": signature,
            "allow_duplicate": True,
        }
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/workshop/intake", json.dumps(body), content_type="application/json"
        )
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 201, response.content
        if i:  # the first one warms up
            samples.append(elapsed)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def tickets(count: int) -> dict[str, float]:
    desk = User.objects.get(username="station")
    _token, key = org.api_token_create(actor=desk, name="bench-tickets")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    samples = []
    for _i in range(count):
        t0 = time.perf_counter()
        r1 = client.post(
            "/api/v1/workshop/tickets",
            json.dumps({"station_id": desk.station_id, "purpose": "drop_off"}),
            content_type="application/json",
        )
        r2 = client.post(
            "/api/v1/workshop/tickets/call",
            json.dumps({"station_id": desk.station_id, "desk": "1"}),
            content_type="application/json",
        )
        samples.append((time.perf_counter() - t0) * 1000)
        assert r1.status_code == 201 and r2.status_code == 200
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def measure(repeat: int) -> dict[str, dict[str, float]]:
    agent = User.objects.get(username="agent")
    desk = User.objects.get(username="station")
    technician = User.objects.get(username="technician")
    job = WorkshopJob.objects.filter(station_id=desk.station_id).order_by("-id").first()
    assert job is not None
    cases = [
        ("station manager", desk, "/workshop/counter/"),
        ("station manager", desk, "/workshop/board/"),
        ("technician", technician, "/workshop/board/"),
        ("agent (company)", agent, "/workshop/board/"),
        ("station manager", desk, f"/workshop/jobs/{job.pk}/"),
        ("station manager", desk, f"/workshop/hall/{desk.station_id}/"),
        ("station manager", desk, "/workshop/mail-in/"),
        ("agent (company)", agent, "/api/v1/workshop/jobs"),
        ("station manager", desk, "/api/v1/workshop/jobs"),
    ]
    results = {}
    for label, user, path in cases:
        client = Client()
        client.force_login(user)
        results[f"{label}: {path}"] = timed(client, path, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--intakes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="a smoke test: 300 jobs, few runs")
    args = parser.parse_args()
    if args.tiny:
        args.jobs, args.customers, args.intakes, args.repeat = 300, 300, 5, 3
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(username="agent").exists():
        from aftersales.demo.generator import generate

        generate(seed=args.seed, customers=args.customers, orders=0, open_orders=0)
    assert User.objects.filter(username="station", role=Role.STATION_MANAGER).exists()
    summary: dict[str, object] = {
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    t0 = time.perf_counter()
    fill(args.jobs, args.seed)
    summary["fill_seconds"] = round(time.perf_counter() - t0)
    summary["open_workshop_jobs"] = WorkshopJob.objects.exclude(
        status__in=["handed_over", "delivered", "cancelled"]
    ).count()
    summary["intake_api"] = intake(args.intakes, args.seed)
    summary["take_and_call_number_api"] = tickets(args.intakes)
    summary["results"] = measure(args.repeat)
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
