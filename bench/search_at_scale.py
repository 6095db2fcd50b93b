"""Benchmark: searching as agents search (issue 14) with 1,000,000 installed units: the last
four digits of a phone, a middle part of a serial, part of a company's name, a surname.

    AFTERSALES_DATA_DIR=/tmp/search-sqlite python bench/search_at_scale.py --units 1000000
    DATABASE_URL=postgres://... python bench/search_at_scale.py --units 1000000
    python bench/search_at_scale.py --tiny          # a smoke test (CI): 2,000 units

Generates the data into an empty database (or reuses one of the right size): the demo
organisation, then customers (one in ten a company: city + short name + kind, e.g.
杭州海川餐饮有限公司) and two units each, in bulk, with the substring indexes built after
the load. Times the pages through Django's test client (middleware, session, scope, query,
template: server time without the network) and prints a JSON summary.
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
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from aftersales.accounts.models import Station, User  # noqa: E402
from aftersales.catalog.models import ProductModel  # noqa: E402
from aftersales.customers import search  # noqa: E402
from aftersales.customers.models import Customer, InstalledUnit  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国志晓东海燕红梅丹玉金凤文斌俊浩欣宇轩"
CITIES = ["上海", "杭州", "南京", "苏州", "宁波", "无锡"]
BRANDS = [
    "海川",
    "金桥",
    "华联",
    "天成",
    "宏达",
    "福临",
    "鑫源",
    "永安",
    "瑞丰",
    "新世纪",
    "百盛",
    "东方",
    "恒信",
    "嘉禾",
    "明珠",
    "锦江",
]
KINDS = ["餐饮有限公司", "物业管理有限公司", "酒店", "商贸有限公司", "超市", "连锁便利店"]
PREFIXES = ["KF", "XQ", "TV", "JS", "BX", "RS"]


def drop_search_structures() -> None:
    """Bulk loading is faster without the substring indexes; they are built after."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, _table, _column in search.TRIGRAM:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(f"DROP INDEX IF EXISTS {search.LAST4_INDEX}")
        else:
            for fts, _table, _column in search.FTS:
                for kind in ("ai", "ad", "au"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{kind}")


def generate(units: int, seed: int) -> None:
    from aftersales.demo.generator import generate as demo

    demo(seed=seed, customers=20, open_orders=0)
    drop_search_structures()
    rng = random.Random(seed)
    company_id = Customer.objects.values_list("company_id", flat=True).first()
    stations = list(Station.objects.values_list("id", "region_id"))
    models = list(ProductModel.objects.values_list("id", flat=True))
    have = InstalledUnit.objects.count()
    batch = 10_000
    started = time.perf_counter()
    serial_no = 0
    while have < units:
        n = min(batch, units - have)
        with transaction.atomic():
            customers = []
            for _ in range((n + 1) // 2):
                station_id, region_id = rng.choice(stations)
                if rng.random() < 0.1:
                    name = rng.choice(CITIES) + rng.choice(BRANDS) + rng.choice(KINDS)
                else:
                    name = rng.choice(SURNAMES) + "".join(
                        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
                    )
                customers.append(
                    Customer(
                        company_id=company_id,
                        name=name,
                        phone=f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
                        region_id=region_id,
                        station_id=station_id,
                    )
                )
            Customer.objects.bulk_create(customers, batch_size=5000)
            rows = []
            for i in range(n):
                c = customers[i // 2]
                serial_no += 1
                rows.append(
                    InstalledUnit(
                        company_id=company_id,
                        product_model_id=rng.choice(models),
                        # 7919 is prime to 10**7: the numbers are a permutation (unique).
                        serial=f"{rng.choice(PREFIXES)}{rng.randint(20, 26)}"
                        f"{rng.randint(1, 12):02d}{serial_no * 7919 % 10**7:07d}",
                        customer_id=c.pk,
                        region_id=c.region_id,
                        station_id=c.station_id,
                    )
                )
            InstalledUnit.objects.bulk_create(rows, batch_size=5000)
        have += n
        rate = have / (time.perf_counter() - started)
        print(f"  {have:,} units ({rate:,.0f}/s)", file=sys.stderr)
    t0 = time.perf_counter()
    search.ensure_search_structures(connection)
    print(f"  substring indexes built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
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
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def _can_create(user: User) -> bool:
    from aftersales.accounts.permissions import Perm, has_perm

    return has_perm(user, Perm.ORDER_CREATE)


def measure(repeat: int, seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed + 1)
    agent = User.objects.get(username="agent")
    technician = User.objects.get(username="technician")
    results: dict[str, dict[str, float]] = {}
    for label, user in [("agent (company)", agent), ("technician (station)", technician)]:
        client = Client()
        client.force_login(user)
        units = InstalledUnit.objects.filter(serial__regex=r"^[A-Z]{2}[0-9]{11}$")
        customers = Customer.objects.all()
        if user.station_id:
            units = units.filter(station_id=user.station_id)
            customers = customers.filter(station_id=user.station_id)
        count = units.count()
        serial = units.order_by("id").values_list("serial", flat=True)[rng.randrange(count)]
        phone = customers.order_by("id").values_list("phone", flat=True)[
            rng.randrange(customers.count())
        ]
        company = (
            customers.filter(name__endswith="有限公司").values_list("name", flat=True).first()
            or "杭州海川餐饮有限公司"
        )
        short = company[2:4]  # the short name, e.g. 海川
        cases = {
            "last 4 of a phone (/units/?q=5678)": f"/units/?q={phone[-4:]}",
            "middle of a serial (/units/?q=<7 chars>)": f"/units/?q={serial[4:11]}",
            "company short name, 2 chars (/customers/?q=海川)": f"/customers/?q={quote(short)}",
            "company name part, 4 chars (/customers/?q=海川餐饮)": "/customers/?q="
            + quote(company[2:6]),
            "surname, 1 char (/customers/?q=王)": "/customers/?q=" + quote("王"),
            "intake live search, last 4 (/orders/new/search/?q=5678)": "/orders/new/search/?q="
            + phone[-4:],
            "intake live search, serial part": f"/orders/new/search/?q={serial[5:11]}",
            "orders list, name part (/orders/?q=海川餐饮)": "/orders/?queue=open&q="
            + quote(company[2:6]),
        }
        for name, path in cases.items():
            if "/orders/new/" in path and not _can_create(user):
                continue
            results[f"{label}: {name}"] = timed(client, path, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="2,000 units, 5 repeats (smoke test)")
    args = parser.parse_args()
    if args.tiny:
        args.units, args.repeat = 2_000, 5
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
