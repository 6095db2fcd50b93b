"""Benchmark: one month's station statements for 100,000 completed orders across 500 stations.

    AFTERSALES_DATA_DIR=/tmp/bench-settle python bench/settlement_at_scale.py
    DATABASE_URL=postgres://... python bench/settlement_at_scale.py
    python bench/settlement_at_scale.py --tiny        # CI smoke: 300 orders, 5 stations

Fills a fresh database with stations (with coordinates and grades), customers with addresses,
eight fee rules (labour by category, travel by bands and per km, remote allowance, urgent and
night surcharges, a cap) and `--orders` orders completed in November 2026, then times
`statements_generate` for the month (every station, one transaction each: the frozen snapshot,
the fee lines with formulas, the adjustment lines, the digest), then the same again
(regeneration before sending, which must give the same digests). Prints JSON.
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
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Station  # noqa: E402
from aftersales.billing import actions  # noqa: E402
from aftersales.billing.models import StatementLine, StationTerms  # noqa: E402
from aftersales.customers.models import Address, Customer  # noqa: E402
from aftersales.orders.models import ServiceOrder  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
NOV = dt.date(2026, 11, 1)


def fill(orders: int, stations: int, seed: int) -> object:
    rng = random.Random(seed)
    company = org.company_create(actor=None, name="压测电器", code="bench")
    region = org.region_create(actor=None, company=company, name="华东", code="east")
    finance = org.user_create(
        actor=None,
        username="finance",
        password="bench-password-1",
        role=Role.FINANCE,
        company=company,
    )
    Station.objects.bulk_create(
        [
            Station(
                company=company,
                region=region,
                name=f"网点{i:03d}",
                code=f"s{i:03d}",
                latitude=30 + rng.random() * 2,
                longitude=120 + rng.random() * 2,
            )
            for i in range(stations)
        ]
    )
    station_rows = list(Station.objects.filter(company=company).order_by("id"))
    StationTerms.objects.bulk_create(
        [StationTerms(station=s, grade=rng.choice("ABC")) for s in station_rows]
    )
    per_station = max(1, orders // stations)
    households = max(1, per_station // 2)
    customers = []
    for s in station_rows:
        for _j in range(households):
            n = len(customers)
            customers.append(
                Customer(company=company, name=f"客户{n}", phone=f"139{n:08d}", station=s)
            )
    Customer.objects.bulk_create(customers, batch_size=5000)
    customers = list(Customer.objects.filter(company=company).order_by("id"))
    addresses = []
    for c in customers:
        st = station_rows[(c.pk - customers[0].pk) // households]
        addresses.append(
            Address(
                customer=c,
                line="测试路",
                latitude=st.latitude + (rng.random() - 0.5) * 0.8,
                longitude=st.longitude + (rng.random() - 0.5) * 0.8,
                is_default=True,
            )
        )
    Address.objects.bulk_create(addresses, batch_size=5000)
    address_of = dict(
        Address.objects.filter(customer__company=company).values_list("customer_id", "pk")
    )
    rows = []
    start = dt.datetime(2026, 11, 1, tzinfo=SH)
    for i in range(orders):
        si = i % stations
        c = customers[si * households + rng.randrange(households)]
        done = start + dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
        rows.append(
            ServiceOrder(
                company=company,
                number=f"B{i:08d}",
                status="closed",
                channel="phone",
                service_type=rng.choice(["repair"] * 6 + ["installation", "maintenance"]),
                priority=rng.choice(["medium"] * 8 + ["high"]),
                customer=c,
                address_id=address_of[c.pk],
                region=region,
                station=station_rows[si],
                created_at=done - dt.timedelta(hours=5),
                completed_at=done,
                closed_at=done + dt.timedelta(days=1),
            )
        )
    with transaction.atomic():
        ServiceOrder.objects.bulk_create(rows, batch_size=5000)
    day = dt.date(2026, 1, 1)
    for code, kind, criteria, params in [
        ("labour", "labour", {}, {"hours": "1.5", "rate": "40"}),
        ("labour-inst", "labour", {"service_type": "installation"}, {"amount": "120"}),
        ("labour-a", "labour", {"service_type": "repair", "station_grade": "A"}, {"amount": "85"}),
        (
            "travel",
            "travel",
            {},
            {"bands": [["10", "0"], ["30", "20"], ["50", "40"]], "per_km": "1.2"},
        ),
        ("remote", "remote", {}, {"amount": "30", "min_km": "40"}),
        ("urgent", "urgent", {}, {"percent": "20"}),
        ("night", "night", {}, {"percent": "30"}),
        ("cap", "cap", {}, {"amount": "200"}),
    ]:
        actions.fee_rule_create(
            actor=finance,
            code=code,
            name=code,
            kind=kind,
            valid_from=day,
            criteria=criteria,
            params=params,
        )
    return finance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--tiny", action="store_true", help="300 orders, 5 stations (CI smoke)")
    args = parser.parse_args()
    if args.tiny:
        args.orders, args.stations = 300, 5
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    finance = fill(args.orders, args.stations, args.seed)
    fill_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    first = actions.statements_generate(actor=finance, period=NOV)
    generate_s, generate_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    again = actions.statements_generate(actor=finance, period=NOV)
    regenerate_s = time.perf_counter() - t0
    assert [s.digest for s in first] == [s.digest for s in again], "regeneration differs"
    lines = StatementLine.objects.count()
    total = sum((s.total for s in again), Decimal(0))
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "orders": args.orders,
                "stations": args.stations,
                "statements": len(first),
                "lines": lines,
                "total_yuan": str(total),
                "fill_s": round(fill_s, 1),
                "generate_s": round(generate_s, 1),
                # CPU time of this process only (the machine is shared; a database server's
                # own work is not in it).
                "generate_cpu_s": round(generate_cpu_s, 1),
                "regenerate_s": round(regenerate_s, 1),
                "orders_per_s": round(args.orders / generate_s),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
