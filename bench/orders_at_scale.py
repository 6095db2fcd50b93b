"""Benchmark: order intake throughput through the API, and the queue pages at 1,000,000 orders.

    AFTERSALES_DATA_DIR=/tmp/bench-orders python bench/orders_at_scale.py --orders 1000000
    DATABASE_URL=postgres://... python bench/orders_at_scale.py --orders 1000000

1. Intake: `--creates` orders through POST /api/v1/orders (bearer token, Idempotency-Key, the
   whole request: auth, validation, policy selection, due times on the working calendar, the
   row, the number, the created event), one after another in one process. The same number of
   plain single-row INSERTs into the orders table, each in its own transaction, gives the raw
   database insert rate of the same run; the report gives the ratio.
2. Scale: fills the table to `--orders` rows with bulk inserts (a realistic mix: most orders
   closed, a few percent open in every status, some overdue), then times the queue pages and
   the API list with Django's test client (server time, no network). Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

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
from aftersales.accounts.models import User  # noqa: E402
from aftersales.customers.models import InstalledUnit  # noqa: E402
from aftersales.orders.models import ServiceOrder  # noqa: E402

OPEN_MIX = [
    "registered",
    "triaged",
    "dispatched",
    "assigned",
    "accepted",
    "en_route",
    "on_site",
    "waiting_parts",
    "waiting_customer",
]


def intake(creates: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    agent = User.objects.get(username="agent")
    _token, key = org.api_token_create(actor=agent, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    units = list(InstalledUnit.objects.values_list("pk", "customer_id")[:5000])
    client.post(  # warm
        "/api/v1/orders",
        json.dumps(
            {
                "customer_id": units[0][1],
                "unit_id": units[0][0],
                "fault_description": "x",
                "allow_duplicate": True,
            }
        ),
        content_type="application/json",
    )
    t0 = time.perf_counter()
    for i in range(creates):
        unit_id, customer_id = rng.choice(units)
        body = {
            "customer_id": customer_id,
            "unit_id": unit_id,
            "priority": rng.choice(["high", "medium", "low"]),
            "fault_description": "不制冷",
            "allow_duplicate": True,
        }
        response = client.post(
            "/api/v1/orders",
            json.dumps(body),
            content_type="application/json",
            # a new key per run: a second run on the same database is not a replay
            HTTP_IDEMPOTENCY_KEY=f"bench-{seed}-{_token.pk}-{i}",
        )
        assert response.status_code == 201, response.content
    api_seconds = time.perf_counter() - t0
    company_id = agent.company_id
    t0 = time.perf_counter()
    now = timezone.now()
    # One plain INSERT per order, built from the model's own columns (each at its default
    # unless given), so the baseline follows the schema as it changes.
    columns, params = raw_insert(
        {
            "company_id": company_id,
            "status": "registered",
            "channel": "api",
            "service_type": "repair",
            "priority": "medium",
            "fault_description": "x",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
    )
    sql = (
        f"INSERT INTO {ServiceOrder._meta.db_table} ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for i in range(creates):
            unit_id, customer_id = rng.choice(units)
            row = dict(zip(columns, params, strict=True))
            row.update(number=f"RAW{seed}-{i}", customer_id=customer_id, unit_id=unit_id)
            with transaction.atomic():
                cursor.execute(sql, [row[c] for c in columns])
    raw_seconds = time.perf_counter() - t0
    api_rate = creates / api_seconds
    raw_rate = creates / raw_seconds
    return {
        "creates": creates,
        "api_orders_per_s": round(api_rate, 1),
        "raw_inserts_per_s": round(raw_rate, 1),
        "api_to_raw_ratio": round(api_rate / raw_rate, 3),
    }


def raw_insert(given: dict[str, object]) -> tuple[list[str], list[object]]:
    """Column names and database values of one ServiceOrder row: `given` where named, else
    each field's default (None for nullable fields without one)."""
    columns: list[str] = []
    values: list[object] = []
    for field in ServiceOrder._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname in given:
            value = given[field.attname]
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = "" if field.get_internal_type() in ("CharField", "TextField") else 0
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, values


def fill(total: int, seed: int) -> None:
    rng = random.Random(seed)
    agent = User.objects.get(username="agent")
    units = list(InstalledUnit.objects.values_list("pk", "customer_id", "station_id", "region_id"))
    techs: dict[int, list[int]] = {}
    for pk, station_id in User.objects.filter(role=Role.TECHNICIAN).values_list("pk", "station_id"):
        techs.setdefault(station_id, []).append(pk)
    have = ServiceOrder.objects.count()
    now = timezone.now()
    start = now - dt.timedelta(days=3 * 365)
    span = (now - start).total_seconds()
    t0 = time.perf_counter()
    while have < total:
        batch = []
        n = min(10_000, total - have)
        for i in range(n):
            # Older orders are closed; the newest few percent are open.
            frac = (have + i) / total
            created = start + dt.timedelta(seconds=span * frac)
            age_days = (now - created).days
            if age_days > 10:
                status = "cancelled" if rng.random() < 0.04 else "closed"
            else:
                status = rng.choice(OPEN_MIX + ["completed", "followed_up", "closed"])
            unit_id, customer_id, station_id, region_id = rng.choice(units)
            done = status in ("completed", "followed_up", "closed")
            dispatched = status not in ("registered", "triaged")
            tech = (
                rng.choice(techs.get(station_id, [None]))
                if status not in ("registered", "triaged", "dispatched")
                else None
            )
            priority = rng.choice(["high", "medium", "medium", "low"])
            respond_h, resolve_h = (2, 24) if priority == "high" else (12, 72)
            batch.append(
                ServiceOrder(
                    company_id=agent.company_id,
                    number=f"{timezone.localtime(created):%Y%m%d}B{have + i:07d}",
                    status=status,
                    status_before_pause="assigned" if status.startswith("waiting") else "",
                    channel="phone",
                    service_type="repair",
                    priority=priority,
                    customer_id=customer_id,
                    unit_id=unit_id,
                    fault_description="不制冷",
                    region_id=region_id,
                    station_id=station_id if dispatched else None,
                    technician_id=tech,
                    sla_goals={
                        "respond": [respond_h * 60, "working"],
                        "resolve": [resolve_h * 60, "working"],
                    },
                    respond_due=created + dt.timedelta(hours=respond_h * 2),
                    resolve_due=created + dt.timedelta(hours=resolve_h * 2),
                    responded_at=created + dt.timedelta(hours=1) if done else None,
                    arrived_at=created + dt.timedelta(hours=20) if done else None,
                    completed_at=created + dt.timedelta(hours=30) if done else None,
                    closed_at=created + dt.timedelta(days=3) if status == "closed" else None,
                    cancel_reason="客户取消" if status == "cancelled" else "",
                    created_by=agent,
                    created_at=created,
                )
            )
        with transaction.atomic():
            ServiceOrder.objects.bulk_create(batch, batch_size=2000)
        have += n
        print(f"  {have:,} orders ({have / (time.perf_counter() - t0):,.0f}/s)", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(repeat: int) -> dict[str, dict[str, float]]:
    agent = User.objects.get(username="agent")
    dispatcher = User.objects.get(username="dispatcher")
    manager = User.objects.get(username="station")
    technician = User.objects.get(username="technician")
    recent = ServiceOrder.objects.order_by("-id").values_list("number", "unit__serial")[
        min(500, ServiceOrder.objects.count() // 2)
    ]
    results = {}
    cases = [
        ("agent", agent, "/orders/"),
        ("agent", agent, "/orders/?queue=overdue"),
        ("agent", agent, "/orders/?queue=all&priority=high"),
        ("agent", agent, f"/orders/?queue=all&q={recent[0]}"),
        ("agent", agent, f"/orders/?queue=all&q={recent[1]}"),
        ("agent", agent, "/orders/?queue=to_follow_up"),
        # A surname: the newest 500 matching orders in scope, "refine your search" (issue 14).
        ("agent", agent, "/orders/?queue=all&q=" + quote("王")),
        ("station manager", manager, "/orders/?queue=all&q=" + quote("王")),
        ("agent", agent, "/api/v1/orders?queue=all&limit=25&q=" + quote("王")),
        ("dispatcher", dispatcher, "/orders/?queue=unassigned"),
        ("dispatcher", dispatcher, "/orders/?queue=waiting_parts"),
        ("dispatcher", dispatcher, "/orders/?queue=due_soon"),
        ("station manager", manager, "/orders/?queue=unassigned"),
        ("station manager", manager, "/orders/?queue=overdue"),
        ("technician", technician, "/orders/?queue=mine"),
        ("agent", agent, "/api/v1/orders?queue=open&limit=25"),
        ("agent", agent, "/api/v1/orders?queue=overdue&limit=25"),
    ]
    for label, user, path in cases:
        client = Client()
        client.force_login(user)
        results[f"{label}: {path}"] = timed(client, path, repeat)
    oid = ServiceOrder.objects.order_by("-id").values_list("pk", flat=True)[
        min(10, ServiceOrder.objects.count() - 1)
    ]
    client = Client()
    client.force_login(agent)
    results["agent: order page"] = timed(client, f"/orders/{oid}/", repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-intake", action="store_true", help="only fill and measure pages")
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(username="agent").exists():
        from aftersales.demo.generator import generate

        generate(seed=args.seed, customers=args.customers, orders=0)
    summary: dict[str, object] = {
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if not args.skip_intake:
        summary["intake"] = intake(args.creates, args.seed)
        print(json.dumps(summary["intake"]), file=sys.stderr)
    t0 = time.perf_counter()
    fill(args.orders, args.seed)
    summary["fill_seconds"] = round(time.perf_counter() - t0)
    summary["orders"] = ServiceOrder.objects.count()
    summary["open_orders"] = ServiceOrder.objects.exclude(
        status__in=["completed", "followed_up", "closed", "cancelled"]
    ).count()
    summary["results"] = measure(args.repeat)
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
