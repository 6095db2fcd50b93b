"""Benchmark: the read path of orders against a bare Django view over the same rows (issue 21).

    AFTERSALES_DATA_DIR=/tmp/bench-read python bench/read_path.py            # demo, 400 requests each
    python bench/read_path.py --tiny                                          # CI smoke test

Loads the demo into an empty database (or reuses it), then serves, in one process through the
whole middleware stack (Django's test client: no network, no web server), side by side:
- `GET /api/v1/orders/{id}` and `GET /api/v1/orders?limit=25` with a bearer token,
- the order page `/orders/{id}/` and the list `/orders/` signed in,
- a bare view at `/bench-bare/orders/{id}` and `/bench-bare/orders?limit=25` that reads the same
  rows with one query and answers `JsonResponse` (no authentication, no scope check, no schema).
Prints JSON: requests per second of each and the ratio product / bare, the issue's measure
(its targets with wrk against gunicorn: detail >= 0.4x, list >= 0.25x). In-process figures
leave out the server and the network, so they show what the application itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
os.environ.setdefault("AFTERSALES_API_RATE_PER_CALLER", "0")
os.environ.setdefault("AFTERSALES_API_RATE_PER_ADDRESS", "0")
if "--tiny" in sys.argv and "DATABASE_URL" not in os.environ:
    import tempfile

    os.environ.setdefault("AFTERSALES_DATA_DIR", tempfile.mkdtemp(prefix="bench-read-"))

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import User  # noqa: E402
from aftersales.orders.models import ServiceOrder  # noqa: E402

FIELDS = (
    "id",
    "number",
    "status",
    "priority",
    "service_type",
    "customer_id",
    "unit_id",
    "station_id",
    "technician_id",
    "created_at",
    "updated_at",
    "version",
)


def bare_detail(request: HttpRequest, pk: int) -> JsonResponse:
    row = ServiceOrder.objects.values(*FIELDS).get(pk=pk)
    return JsonResponse(row)


def bare_list(request: HttpRequest) -> JsonResponse:
    limit = int(request.GET.get("limit", "25"))
    rows = list(ServiceOrder.objects.order_by("-id").values(*FIELDS)[:limit])
    return JsonResponse({"items": rows})


# The site's URLs plus the bare views (this process only).
urlpatterns = [
    path("bench-bare/orders/<int:pk>", bare_detail),
    path("bench-bare/orders", bare_list),
    path("", include("aftersales.urls")),
]


def rate(client: Client, url: str, n: int, **headers: str) -> float:
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    start = time.perf_counter()
    for _ in range(n):
        client.get(url, **headers)
    return n / (time.perf_counter() - start)


def profile(client: Client, url: str, n: int, top: int, **headers: str) -> dict[str, object]:
    """Where one endpoint's time goes: the queries of one request (count and SQL) and the
    functions with the most cumulative time over `n` requests (cProfile)."""
    import cProfile
    import io
    import pstats

    from django.db import connection

    client.get(url, **headers)
    sql: list[str] = []

    def log(execute, query, params, many, context):  # type: ignore[no-untyped-def]
        sql.append(query if len(query) < 400 else query[:150] + " ... " + query[-250:])
        return execute(query, params, many, context)

    with connection.execute_wrapper(log):
        client.get(url, **headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(url, **headers)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return {
        "queries": len(sql),
        "sql": sql,
        "profile": out.getvalue().splitlines(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="TOP", help="print where the time goes"
    )
    args = parser.parse_args()
    if args.tiny:
        args.requests, args.orders = 10, 20
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    if not ServiceOrder.objects.exists():
        from aftersales.demo.generator import generate

        generate(seed=1, customers=max(40, args.orders // 2), orders=args.orders, open_orders=8)
    manager = User.objects.filter(role=Role.SERVICE_MANAGER, is_active=True).first()
    assert manager is not None
    _token, key = org.api_token_create(actor=manager, name="bench read path")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    order = ServiceOrder.objects.filter(company_id=manager.company_id).order_by("-id").first()
    assert order is not None
    api, web, bare = Client(), Client(), Client()
    web.force_login(manager)
    n = args.requests
    if args.profile:
        urls = {
            "api detail": (api, f"/api/v1/orders/{order.pk}", bearer),
            "api list 25": (api, "/api/v1/orders?limit=25", bearer),
            "page detail": (web, f"/orders/{order.pk}/", {}),
            "page list": (web, "/orders/", {}),
            "bare detail": (bare, f"/bench-bare/orders/{order.pk}", {}),
        }
        found = {
            k: profile(c, u, max(1, n // 4), args.profile, **h) for k, (c, u, h) in urls.items()
        }
        print(json.dumps(found, indent=1, ensure_ascii=False))
        return
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "orders": ServiceOrder.objects.count(),
        "requests_each": n,
        "rps": {
            "bare detail": rate(bare, f"/bench-bare/orders/{order.pk}", n),
            "api detail": rate(api, f"/api/v1/orders/{order.pk}", n, **bearer),
            "page detail": rate(web, f"/orders/{order.pk}/", max(1, n // 4)),
            "bare list 25": rate(bare, "/bench-bare/orders?limit=25", n),
            "api list 25": rate(api, "/api/v1/orders?limit=25", n, **bearer),
            "page list": rate(web, "/orders/", max(1, n // 4)),
        },
    }
    rps = result["rps"]
    result["ratios"] = {
        "api detail / bare": rps["api detail"] / rps["bare detail"],
        "api list / bare": rps["api list 25"] / rps["bare list 25"],
        "page detail / bare": rps["page detail"] / rps["bare detail"],
        "page list / bare": rps["page list"] / rps["bare list 25"],
    }
    result["rps"] = {k: round(v, 1) for k, v in rps.items()}
    result["ratios"] = {k: round(v, 3) for k, v in result["ratios"].items()}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
