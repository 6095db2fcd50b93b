"""Benchmark: the history import, rows per second through the live actions.

    AFTERSALES_DATA_DIR=/tmp/bench-ih python bench/import_history.py --orders 2000
    DATABASE_URL=postgres://... python bench/import_history.py --orders 2000
    python bench/import_history.py --orders 2000 --workshop-every 10   # 1 in 10 a walk-in
    python bench/import_history.py --tiny        # smoke test (CI): 20 orders, 5 walk-ins

Writes a legacy JSON Lines file of `--orders` historical orders (one customer with a unit per
five orders; each order with its full life: created, dispatched, assigned, accepted, departed,
checked in, diagnosis, completed, follow-up, closed: 10 rows; with `--workshop-every N` every
Nth order is instead a walk-in repaired at the station's workshop: job, bench diagnosis, quote,
acceptance, repair, quality check, payment, pickup: 11 rows), then times
`history_import_apply` on it (every row replayed through the actions at its own time, in
committed batches). Prints JSON: rows, seconds, rows/s, orders/s, and the hours 1,000,000
orders would take at that rate; exits non-zero if any row was refused (so the smoke run
catches a change that breaks the replay)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Company  # noqa: E402
from aftersales.catalog.models import ProductCategory, ProductModel  # noqa: E402
from aftersales.fieldwork.models import FeeItem  # noqa: E402
from aftersales.imports import actions  # noqa: E402
from aftersales.imports.tests.legacy import jsonl, order_rows, walk_in  # noqa: E402


def legacy(orders: int, technician: str, workshop_every: int = 0) -> str:
    """`orders` orders; with `workshop_every` N, every Nth is a walk-in workshop repair."""
    rows: list[dict] = []
    start = dt.date(2021, 1, 4)
    for n in range(orders):
        if n % 5 == 0:
            c = n // 5
            rows.append(
                {
                    "kind": "customer",
                    "id": f"C-{c}",
                    "at": "2021-01-01T09:00:00+08:00",
                    "name": f"客户{c}",
                    "phone": f"139{c:08d}",
                }
            )
            rows.append(
                {
                    "kind": "unit",
                    "id": f"U-{c}",
                    "at": "2021-01-01T09:10:00+08:00",
                    "customer": f"C-{c}",
                    "model": "KFR-35GW",
                    "serial": f"KF21{c:08d}",
                    "purchase_date": "2021-01-01",
                }
            )
        day = start + dt.timedelta(days=(n * 3) % 1000)
        c = n // 5
        if workshop_every and n % workshop_every == workshop_every - 1:
            rows += walk_in(
                f"WO-{n}", f"WS-{n}", day, technician=technician, customer=f"C-{c}", unit=f"U-{c}"
            )
        else:
            rows += order_rows(n, day, technician=technician, customer=f"C-{c}", unit=f"U-{c}")
    return jsonl(rows)


def setup() -> tuple[object, str]:
    company = Company.objects.filter(code="bench").first()
    if company is None:
        company = org.company_create(actor=None, name="基准公司", code="bench")
        region = org.region_create(actor=None, company=company, name="华东", code="east")
        station = org.station_create(actor=None, region=region, name="上海一站", code="sh-1")
        category = ProductCategory.objects.create(company=company, code="ac", name="空调")
        ProductModel.objects.create(category=category, code="KFR-35GW", name="挂式空调")
        FeeItem.objects.create(
            company=company, code="L1", name="维修工时", kind="labour", price=Decimal("80.00")
        )
        org.user_create(
            actor=None,
            username="bench-tech",
            password="pw-bench-1234",
            role=Role.TECHNICIAN,
            company=company,
            station=station,
        )
        org.user_create(
            actor=None,
            username="bench-admin",
            password="pw-bench-1234",
            role=Role.ADMIN,
            company=company,
        )
    from aftersales.accounts.models import User

    return User.objects.get(username="bench-admin"), "bench-tech"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=actions.BATCH)
    parser.add_argument(
        "--workshop-every", type=int, default=0, help="every Nth order a walk-in workshop repair"
    )
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    orders = 20 if args.tiny else args.orders
    workshop_every = 4 if args.tiny else args.workshop_every
    call_command("migrate", verbosity=0)
    admin, technician = setup()
    text = legacy(orders, technician, workshop_every)
    job = actions.history_import_create(actor=admin, name="bench.jsonl", data=text.encode())  # type: ignore[arg-type]
    t0 = time.perf_counter()
    done = actions.history_import_apply(import_id=job.pk, batch=args.batch)
    seconds = time.perf_counter() - t0
    rows = done.total
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
                "orders": orders,
                "rows": rows,
                "applied": done.applied,
                "refused": done.refused,
                "workshop_jobs": orders // workshop_every if workshop_every else 0,
                "seconds": round(seconds, 1),
                "rows_per_s": round(rows / seconds, 1),
                "orders_per_s": round(orders / seconds, 2),
                "hours_for_1m_orders": round(1_000_000 / (orders / seconds) / 3600, 1),
            },
            indent=2,
        )
    )
    if done.refused or done.applied != rows:  # the smoke run fails on a refused row
        sys.exit(f"{done.refused} rows refused, {done.applied} of {rows} applied")


if __name__ == "__main__":
    main()
