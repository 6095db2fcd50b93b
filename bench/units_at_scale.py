"""Benchmark: unit search and list pages with 1,000,000 installed units.

    AFTERSALES_DATA_DIR=/tmp/bench-sqlite python bench/units_at_scale.py --units 1000000
    DATABASE_URL=postgres://... python bench/units_at_scale.py --units 1000000

Generates the data set into an empty database (or reuses one of the right size), then times
requests through Django's test client (the whole view: middleware, session, scope, query,
template), so the figures are server time without the network. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

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

from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Station, User  # noqa: E402
from aftersales.catalog.models import ProductModel  # noqa: E402
from aftersales.customers.models import Customer, InstalledUnit  # noqa: E402


def generate(units: int, seed: int) -> None:
    """Demo organisation and catalog, then customers and units in bulk (2 units/customer)."""
    from aftersales.demo.generator import generate as demo

    demo(seed=seed, customers=100)
    rng = random.Random(seed)
    company_id = Customer.objects.values_list("company_id", flat=True).first()
    stations = list(Station.objects.values_list("id", "region_id"))
    models = list(ProductModel.objects.values_list("id", flat=True))
    have = InstalledUnit.objects.count()
    batch = 10_000
    started = time.perf_counter()
    while have < units:
        n = min(batch, units - have)
        with transaction.atomic():
            customers = []
            for _ in range((n + 1) // 2):
                station_id, region_id = rng.choice(stations)
                customers.append(
                    Customer(
                        company_id=company_id,
                        name=rng.choice("王李张刘陈杨黄赵吴周")
                        + rng.choice("伟芳娜敏静丽强磊军洋"),
                        phone=f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
                        region_id=region_id,
                        station_id=station_id,
                    )
                )
            Customer.objects.bulk_create(customers, batch_size=5000)
            rows = []
            for i in range(n):
                c = customers[i // 2]
                rows.append(
                    InstalledUnit(
                        company_id=company_id,
                        product_model_id=rng.choice(models),
                        serial=f"BN{have + i:010d}",
                        customer_id=c.pk,
                        region_id=c.region_id,
                        station_id=c.station_id,
                    )
                )
            InstalledUnit.objects.bulk_create(rows, batch_size=5000)
        have += n
        rate = have / (time.perf_counter() - started)
        print(f"  {have:,} units ({rate:,.0f}/s)", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


def measure(repeat: int, seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    total = InstalledUnit.objects.count()
    agent = User.objects.get(username="agent")
    technician = User.objects.filter(role=Role.TECHNICIAN, username="technician").get()
    results: dict[str, dict[str, float]] = {}
    max_id = InstalledUnit.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for label, user in [("agent (company)", agent), ("technician (station)", technician)]:
        client = Client()
        client.force_login(user)
        serial = f"BN{rng.randrange(total - 200):010d}"
        deep = rng.randrange(max_id // 2, max_id)
        unit_in_scope = (
            InstalledUnit.objects.filter(station_id=user.station_id)
            if user.station_id
            else InstalledUnit.objects
        )
        scoped_serial = unit_in_scope.filter(serial__startswith="BN").values_list(
            "serial", flat=True
        )[rng.randrange(1000)]
        cases = {
            "list page 1 (/units/)": "/units/",
            "list deep page (/units/?after=...)": f"/units/?after={deep}",
            "serial lookup page (/units/?q=<serial>)": f"/units/?q={scoped_serial}",
            "serial prefix page (/units/?q=<prefix>)": f"/units/?q={scoped_serial[:9]}",
            "phone prefix page (/units/?q=138...)": "/units/?q=1381234",
            # The generator uses 100 distinct names for 500,000 customers: a broad search.
            "name prefix page (/units/?q=张伟)": "/units/?q=张伟",
            "API serial lookup (/api/v1/units/lookup)": f"/api/v1/units/lookup?serial={scoped_serial}",
            "API list (/api/v1/units)": "/api/v1/units?limit=25",
            "unit detail page": f"/units/{unit_in_scope.order_by('-id').values_list('id', flat=True)[100]}/",
        }
        del serial
        for name, path in cases.items():
            results[f"{label}: {name}"] = timed(client, path, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    have = InstalledUnit.objects.count()
    if have == 0:
        t0 = time.perf_counter()
        generate(args.units, args.seed)
        print(f"generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    elif have < args.units * 0.99:
        sys.exit(f"database has {have} units; use an empty database")
    summary = {
        "database": connection.vendor,
        "units": InstalledUnit.objects.count(),
        "customers": Customer.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "results": measure(args.repeat, args.seed),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
