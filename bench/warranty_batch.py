"""Benchmark: the daily warranty batch — evaluate 100,000 units.

    python bench/warranty_batch.py --units 100000            # the pure engine, facts in memory
    AFTERSALES_DATA_DIR=/tmp/bench-sqlite python bench/warranty_batch.py --db --units 100000
                                                          # the real batch on the 1M-unit bench DB

Builds realistic facts in memory (purchase dates over four years, a third with earlier
repairs, some without documents, TVs with component periods, some cars), then times
`engine.evaluate` over all of them in one process. Prints JSON: units per second and the
decision mix."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aftersales.warranty import engine  # noqa: E402

SERIALS = engine.SerialFormat(year=(2, 4), month=(4, 6))


def facts(
    rng: random.Random, today: dt.date
) -> tuple[engine.Policy, engine.UnitFacts, engine.FaultFacts]:
    sold = today - dt.timedelta(days=rng.randint(0, 4 * 365))
    policy = rng.choice([engine.GENERAL, engine.COLOUR_TV, engine.BICYCLE, engine.CAR])
    policy = replace(policy, serial_format=SERIALS)
    repairs = tuple(
        engine.Repair(
            date=sold + dt.timedelta(days=rng.randint(0, max(0, (today - sold).days))),
            fault=rng.choice(["E1", "E2", "brake"]),
            performance=rng.random() < 0.7,
            days_in_repair=rng.randint(0, 20),
            days_waiting_parts=rng.randint(0, 5),
        )
        for _ in range(rng.choice([0, 0, 1, 2, 3]))
    )
    documents = rng.random() > 0.08
    unit = engine.UnitFacts(
        invoice_date=sold if documents else None,
        has_voucher=documents,
        has_invoice=documents,
        serial=f"KF{sold:%y%m}{rng.randrange(10**6):06d}",
        mileage_km=rng.randint(0, 80_000),
        repairs=repairs,
    )
    fault = engine.FaultFacts(
        performance=rng.random() < 0.8,
        component=rng.choice([None, "tube", "frame"]),
        misuse=rng.random() < 0.03,
    )
    return policy, unit, fault


def database_batch(units: int) -> dict[str, object]:
    """`warranty.batch.warranty_batch` over the first `units` units of the bench database:
    reading units and their repair orders in chunks, resolving policies, evaluating, writing
    `warranty_until`."""
    from aftersales import datadir

    datadir.setup()
    from django.core.management import call_command
    from django.db import connection

    from aftersales.accounts.models import Company
    from aftersales.customers.models import InstalledUnit
    from aftersales.warranty.batch import warranty_batch

    call_command("migrate", interactive=False, verbosity=0)
    # The unit generator leaves dates and vouchers empty; give the first `units` units an
    # invoice date over four years and a voucher (8 % without), as the in-memory run does.
    rng = random.Random(1)
    today = dt.date(2026, 11, 22)
    for start in range(0, units, 5000):
        rows = list(InstalledUnit.objects.order_by("pk")[start : start + 5000])
        for unit in rows:
            documents = rng.random() > 0.08
            unit.invoice_date = (
                today - dt.timedelta(days=rng.randint(0, 4 * 365)) if documents else None
            )
            unit.voucher_no = "SB" if documents else ""
            unit.warranty_until = None
        InstalledUnit.objects.bulk_update(rows, ["invoice_date", "voucher_no", "warranty_until"])
    company_id = Company.objects.values_list("pk", flat=True).first()
    t0 = time.perf_counter()
    stats = warranty_batch(company_id=company_id, limit=units)
    seconds = time.perf_counter() - t0
    return {
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "seconds": round(seconds, 2),
        "units_per_s": round(stats["units"] / seconds),
        **stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", action="store_true", help="run the database batch")
    args = parser.parse_args()
    if args.db:
        print(json.dumps(database_batch(args.units), indent=1))
        return
    rng = random.Random(args.seed)
    today = dt.date(2026, 11, 22)
    cases = [facts(rng, today) for _ in range(args.units)]
    t0 = time.perf_counter()
    decisions = Counter(engine.evaluate(p, u, f, today).decision for p, u, f in cases)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "units": args.units,
                "seconds": round(seconds, 2),
                "units_per_s": round(args.units / seconds),
                "decisions": dict(decisions),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
