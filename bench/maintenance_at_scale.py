"""Benchmark: maintenance-plan generation over many units (issue 16).

    AFTERSALES_DATA_DIR=/tmp/bench-maint python bench/maintenance_at_scale.py --units 1000000
    DATABASE_URL=postgres://... python bench/maintenance_at_scale.py --units 1000000
    python bench/maintenance_at_scale.py --tiny          # CI smoke test (2,000 units)

Data (into an empty database, or reused when it has the right size): one company, one station,
one product model with an active plan (first service 180 days after installation or at 500 h;
then every 6 months or 500 h; the 1,000 h level), customers with an address, units installed
uniformly over the last 180 days (so about 1/180 of them reach their first service each day:
the steady state of a fleet), and two meter readings for a tenth of the units (a usage rate of
0.5-5 h a day, so some reach 500 h first).

Then two generation runs, as on two nights: today and tomorrow. Each creates the orders due
that day through the order actions and writes every unit's projection. Prints JSON: seconds,
units per second, orders and projection rows written per second, and the pure projection's
cost per unit (the schedule core timed alone). No timing is asserted.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.catalog.models import ProductCategory, ProductModel  # noqa: E402
from aftersales.customers import meters  # noqa: E402
from aftersales.customers.models import (  # noqa: E402
    Address,
    Customer,
    InstalledUnit,
    MeterReading,
)
from aftersales.maintenance import actions, schedule  # noqa: E402
from aftersales.maintenance.models import (  # noqa: E402
    MaintenancePlan,
    MaintenanceVisit,
    UnitSchedule,
)
from aftersales.notifications.models import OutboxMessage  # noqa: E402
from aftersales.orders.models import OrderEvent, ServiceOrder  # noqa: E402


def setup(units: int, seed: int) -> MaintenancePlan:
    rng = random.Random(seed)
    plan = MaintenancePlan.objects.filter(name="bench plan").first()
    if plan is not None and InstalledUnit.objects.count() >= units:
        return plan
    company = org.company_create(actor=None, name="基准公司", code="bench")
    region = org.region_create(actor=None, company=company, name="华东", code="east")
    station = org.station_create(actor=None, region=region, name="一站", code="s1")
    manager = org.user_create(
        actor=None,
        username="bench-manager",
        password="bench-pw-1234",
        role=Role.SERVICE_MANAGER,
        company=company,
    )
    category = ProductCategory.objects.create(company=company, code="engine", name="发动机")
    model = ProductModel.objects.create(category=category, code="WP12", name="潍柴 WP12")
    plan = actions.plan_create(
        actor=manager,
        name="bench plan",
        product_model=model,
        meter_kind="hours",
        window_days=0,
        horizon_days=0,
        working_days_only=False,
    )
    actions.rule_save(actor=manager, plan=plan, kind="first", days=180, meter=500)
    periodic = actions.rule_save(actor=manager, plan=plan, kind="periodic", months=6, meter=500)
    actions.level_save(actor=manager, rule=periodic, name="1000 h", at_meter=1000)
    actions.plan_transition(actor=manager, plan=plan, action="activate")
    today = timezone.localdate()
    started = time.perf_counter()
    batch = 10_000
    have = 0
    while have < units:
        n = min(batch, units - have)
        with transaction.atomic():
            customers = [
                Customer(
                    company=company,
                    name=f"客户{have + i}",
                    phone=f"139{have + i:08d}",
                    region=region,
                    station=station,
                )
                for i in range(n)
            ]
            Customer.objects.bulk_create(customers, batch_size=5000)
            Address.objects.bulk_create(
                [
                    Address(customer=c, region=region, line="上海市", is_default=True)
                    for c in customers
                ],
                batch_size=5000,
            )
            rows = [
                InstalledUnit(
                    company=company,
                    product_model=model,
                    serial=f"WP{have + i:010d}",
                    customer=c,
                    region=region,
                    station=station,
                    installation_date=today - dt.timedelta(days=rng.randrange(1, 181)),
                )
                for i, c in enumerate(customers)
            ]
            InstalledUnit.objects.bulk_create(rows, batch_size=5000)
            readings = []
            for unit in rows[::10]:
                rate = Decimal(rng.randrange(5, 50)) / 10
                days = (today - unit.installation_date).days
                readings.append(
                    MeterReading(
                        unit=unit,
                        kind="hours",
                        value=0,
                        read_on=unit.installation_date,
                        source="import",
                    )
                )
                readings.append(
                    MeterReading(
                        unit=unit, kind="hours", value=rate * days, read_on=today, source="import"
                    )
                )
            MeterReading.objects.bulk_create(readings, batch_size=5000)
        have += n
        print(
            f"  {have:,} units ({have / (time.perf_counter() - started):,.0f}/s)", file=sys.stderr
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return MaintenancePlan.objects.get(pk=plan.pk)


def projection_cost(plan: MaintenancePlan, samples: int, seed: int) -> float:
    """Microseconds per unit of the pure projection (next_due), with readings for a tenth."""
    rng = random.Random(seed)
    rules = actions.rules_of(plan)
    timing = schedule.Timing(window_days=0, horizon_days=0)
    today = timezone.localdate()
    facts = []
    for k in range(samples):
        start = today - dt.timedelta(days=rng.randrange(1, 181))
        readings = []
        if k % 10 == 0:
            readings = [
                meters.Reading(on=start, value=Decimal(0), seq=1),
                meters.Reading(on=today, value=Decimal(3 * (today - start).days), seq=2),
            ]
        facts.append(schedule.UnitFacts(start=start, readings=readings))
    t0 = time.perf_counter()
    for f in facts:
        schedule.next_due(rules, f, timing)
    return (time.perf_counter() - t0) / samples * 1e6


def _rows() -> int:
    return (
        ServiceOrder.objects.count()
        + OrderEvent.objects.count()
        + MaintenanceVisit.objects.count()
        + OutboxMessage.objects.count()
    )


def run(plan: MaintenancePlan, today: dt.date) -> dict[str, Any]:
    orders_before = MaintenanceVisit.objects.count()
    rows_before = _rows()
    started = timezone.now()
    t0 = time.perf_counter()
    result = actions.plan_generate(plan=plan, today=today)
    seconds = time.perf_counter() - t0
    orders = MaintenanceVisit.objects.count() - orders_before
    # Orders, their events, the links and the outbox (reminders are written by the queued job
    # in production; here the queue is not consumed, so they are not counted), plus the
    # projections the run changed.
    written = _rows() - rows_before
    written += UnitSchedule.objects.filter(plan=plan, updated_at__gte=started).count()
    return {
        "day": today.isoformat(),
        "seconds": round(seconds, 2),
        "units": result.units,
        "orders_created": orders,
        "rows_written": written,
        "rows_written_per_s": round(written / seconds),
        "units_per_s": round(result.units / seconds),
        "units_projected_per_s": round(UnitSchedule.objects.filter(plan=plan).count() / seconds),
        "blocked": result.blocked,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--tiny", action="store_true", help="2,000 units (CI smoke test)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--setup-only", action="store_true", help="build the data and stop")
    parser.add_argument(
        "--from-day",
        type=int,
        default=0,
        help="the first night, in days after today (to measure again on a database whose "
        "earlier nights have run)",
    )
    args = parser.parse_args()
    units = 2000 if args.tiny else args.units
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    plan = setup(units, args.seed)
    setup_s = time.perf_counter() - t0
    if args.setup_only:
        print(json.dumps({"units": InstalledUnit.objects.count(), "setup_seconds": setup_s}))
        return
    today = timezone.localdate() + dt.timedelta(days=args.from_day)
    nights = [run(plan, today), run(plan, today + dt.timedelta(days=1))]
    again = run(plan, today + dt.timedelta(days=1))  # a rerun creates nothing
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores",
                "python": platform.python_version(),
                "units": InstalledUnit.objects.count(),
                "setup_seconds": round(setup_s, 1),
                "projection_us_per_unit": round(projection_cost(plan, 20_000, args.seed), 1),
                "nights": nights,
                "rerun": again,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
