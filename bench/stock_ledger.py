"""Benchmark: the stock ledger at 10 million rows on PostgreSQL.

    DATABASE_URL=postgres://.../bench_stock python bench/stock_ledger.py [--rows 10000000]

Loads (once; reused when present) 20 warehouses x 5,000 parts with the ledger's rows spread
over the last year (COPY, then levels computed from the ledger), then times, 20 runs each,
median and worst:
- on hand of one part in one warehouse, as the product reads it (the level row) and as the
  ledger says it (SUM over the pair's rows);
- all 5,000 parts of one warehouse, both ways;
- the balance of one part at a past moment (`on_hand_at`);
- the check a back-dated issue makes (the pair's movements after a moment);
- that the levels equal the ledger for a warehouse (the consistency check).
Prints JSON."""

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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from aftersales.accounts.models import Company  # noqa: E402
from aftersales.catalog.models import Part  # noqa: E402
from aftersales.parts.ledger import headroom  # noqa: E402
from aftersales.parts.models import StockLevel, StockMove, Warehouse  # noqa: E402
from aftersales.parts.selectors import on_hand_at  # noqa: E402

WAREHOUSES, PARTS = 20, 5000


def load(rows: int, parts_count: int = 5000) -> None:
    if StockMove.objects.exists():
        return
    company = Company.objects.create(name="bench", code="bench")
    whs = Warehouse.objects.bulk_create(
        Warehouse(company=company, code=f"W{i:02d}", name=f"W{i}", kind="station")
        for i in range(WAREHOUSES)
    )
    parts = Part.objects.bulk_create(
        (Part(company=company, code=f"P{i:05d}", name=f"part {i}") for i in range(parts_count)),
        batch_size=5000,
    )
    rng = random.Random(1)
    now = timezone.now()
    per_pair = max(1, rows // (WAREHOUSES * parts_count))
    year = 365 * 24 * 3600
    cols = "company_id, warehouse_id, part_id, kind, quantity, at, recorded_at, serial, old_serial, reason, charge_customer, source"
    with (
        connection.cursor() as cur,
        cur.connection.cursor().copy(f"COPY parts_stockmove ({cols}) FROM STDIN") as copy,
    ):
        for w in whs:
            for p in parts:
                balance = 0
                start = now - dt.timedelta(seconds=year)
                step = year / (per_pair + 1)
                for k in range(per_pair):
                    at = start + dt.timedelta(seconds=step * (k + 1))
                    if balance > 0 and rng.random() < 0.5:
                        q = -rng.randint(1, balance)
                        kind = "issue"
                    else:
                        q = rng.randint(1, 10)
                        kind = "receipt"
                    balance += q
                    copy.write_row((company.pk, w.pk, p.pk, kind, q, at, at, "", "", "", False, ""))
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO parts_stocklevel (warehouse_id, part_id, on_hand, reserved, min_level, max_level) "
            "SELECT warehouse_id, part_id, SUM(quantity), 0, 0, 0 FROM parts_stockmove "
            "GROUP BY warehouse_id, part_id"
        )
        cur.execute("ANALYZE parts_stockmove; ANALYZE parts_stocklevel;")


def timed(fn, runs: int = 20) -> dict[str, float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(out), 2), "max_ms": round(max(out), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--parts", type=int, default=PARTS, help="parts per warehouse")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    load(args.rows, args.parts)
    loaded = time.perf_counter() - t
    rng = random.Random(2)
    whs = list(Warehouse.objects.values_list("pk", flat=True))
    parts = list(Part.objects.values_list("pk", flat=True))
    now = timezone.now()

    def one_level():
        return StockLevel.objects.get(
            warehouse_id=rng.choice(whs), part_id=rng.choice(parts)
        ).on_hand

    def one_ledger():
        on_hand_at(rng.choice(whs), rng.choice(parts), now)

    def warehouse_levels():
        list(
            StockLevel.objects.filter(warehouse_id=rng.choice(whs)).values_list(
                "part_id", "on_hand"
            )
        )

    def warehouse_ledger():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT part_id, SUM(quantity) FROM parts_stockmove WHERE warehouse_id = %s "
                "GROUP BY part_id",
                [rng.choice(whs)],
            )
            cur.fetchall()

    def past_balance():
        on_hand_at(rng.choice(whs), rng.choice(parts), now - dt.timedelta(days=rng.randint(1, 300)))

    def backdated_check():
        w, p = rng.choice(whs), rng.choice(parts)
        level = StockLevel.objects.get(warehouse_id=w, part_id=p)
        later = list(
            StockMove.objects.filter(warehouse_id=w, part_id=p, at__gt=now - dt.timedelta(days=30))
            .order_by("at", "id")
            .values_list("quantity", flat=True)
        )
        headroom(level.on_hand, later)

    def consistency():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM parts_stocklevel l LEFT JOIN (SELECT part_id, SUM(quantity) s "
                "FROM parts_stockmove WHERE warehouse_id = %s GROUP BY part_id) m "
                "ON m.part_id = l.part_id WHERE l.warehouse_id = %s AND l.on_hand <> COALESCE(m.s, 0)",
                [whs[0], whs[0]],
            )
            assert cur.fetchone()[0] == 0

    results = {
        "one part, level row": timed(one_level),
        "one part, SUM of its ledger rows": timed(one_ledger),
        "warehouse of 5,000 parts, level rows": timed(warehouse_levels),
        "warehouse of 5,000 parts, SUM of the ledger": timed(warehouse_ledger, runs=5),
        "one part at a past moment (ledger)": timed(past_balance),
        "back-dated issue check (30 days)": timed(backdated_check),
        "levels equal the ledger, one warehouse": timed(consistency, runs=3),
    }
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM parts_stockmove")
        total = cur.fetchone()[0]
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    print(
        json.dumps(
            {
                "rows": total,
                "pairs": WAREHOUSES * PARTS,
                "load_seconds": round(loaded, 1),
                "postgres": version,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
