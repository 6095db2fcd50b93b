"""Benchmark: the read path of orders against a bare Django view over the same rows (issue 21).

    AFTERSALES_DATA_DIR=/tmp/bench-read python bench/read_path.py            # demo, 400 requests each
    python bench/read_path.py --tiny                                          # CI smoke test
    AFTERSALES_DATA_DIR=/tmp/bench-read python bench/read_path.py --wrk 10   # the issue's way

Loads the demo into an empty database (or reuses it), then serves, in one process through the
whole middleware stack (Django's test client: no network, no web server), side by side:
- `GET /api/v1/orders/{id}` and `GET /api/v1/orders?limit=25` with a bearer token,
- the order page `/orders/{id}/` and the list `/orders/` signed in,
- a bare view at `/bench-bare/orders/{id}` and `/bench-bare/orders?limit=25` that reads the same
  rows with one query and answers `JsonResponse` (no authentication, no scope check, no schema).
Prints JSON: requests per second of each and the ratio product / bare, the issue's measure
(its targets with wrk against gunicorn: detail >= 0.4x, list >= 0.25x). In-process figures
leave out the server and the network, so they show what the application itself costs.

`--wrk SECONDS` measures the issue's way instead: gunicorn (2 sync workers) serves this module
(the site plus the bare views) on a local port, and `wrk` (Debian package `wrk`; 1 thread,
8 connections) loads each URL for SECONDS, bare and product alternating, three rounds; the
medians and their ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

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

# The stricter reference (`--wrk` only): the bare views alone, served by a second gunicorn with
# the middleware of a new Django project (`startproject`) instead of the product's stack, so the
# product's middleware counts against the product.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class _ReferenceUrls:
    urlpatterns = urlpatterns[:2]


_wsgi: Any = None


def application(environ: dict[str, Any], start_response: Any) -> Any:
    """The WSGI entry gunicorn serves in `--wrk` mode: the site plus the bare views."""
    global _wsgi
    if _wsgi is None:
        from django.core.wsgi import get_wsgi_application

        if os.environ.get("BENCH_READ_REFERENCE") == "startproject":
            settings.MIDDLEWARE = STARTPROJECT_MIDDLEWARE
            settings.ROOT_URLCONF = _ReferenceUrls
        else:
            settings.ROOT_URLCONF = __name__
        settings.ALLOWED_HOSTS = ["*"]
        _wsgi = get_wsgi_application()
    return _wsgi(environ, start_response)


def wrk_rounds(urls: dict[str, tuple[str, str, dict[str, str]]], seconds: int) -> dict[str, float]:
    """Requests per second of each URL under wrk against gunicorn (2 workers), medians of three
    alternating rounds. Each URL names its server: "site" (the product's settings, the site
    plus the bare views) or "reference" (the bare views with a new project's middleware)."""
    import re
    import shutil
    import socket
    import statistics
    import subprocess

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    here = Path(__file__).resolve().parent
    ports: dict[str, int] = {}
    servers = []
    for name, reference in (("site", ""), ("reference", "startproject")):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports[name] = s.getsockname()[1]
        servers.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "--chdir",
                    str(here),
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{ports[name]}",
                    "--log-level",
                    "warning",
                    f"{Path(__file__).stem}:application",
                ],
                env={
                    **os.environ,
                    "PYTHONPATH": str(here.parent),
                    "BENCH_READ_REFERENCE": reference,
                },
            )
        )
    try:
        for port in ports.values():
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
        found: dict[str, list[float]] = {name: [] for name in urls}
        for _round in range(3):
            for name, (server, url, headers) in urls.items():
                target = f"http://127.0.0.1:{ports[server]}{url}"
                cmd = ["wrk", "-t1", "-c8", f"-d{seconds}s", target]
                for key, value in headers.items():
                    cmd[1:1] = ["-H", f"{key}: {value}"]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                if bad:
                    raise SystemExit(f"{name}: {bad.group(1)} failed responses\n{out}")
                match = re.search(r"Requests/sec:\s+([\d.]+)", out)
                assert match is not None, out
                found[name].append(float(match.group(1)))
        return {name: statistics.median(v) for name, v in found.items()}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


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
    parser.add_argument(
        "--wrk", type=int, default=0, metavar="SECONDS", help="wrk against gunicorn instead"
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
    if args.wrk:
        auth = {"Authorization": f"Bearer {key}"}
        rps = wrk_rounds(
            {
                "bare detail": ("site", f"/bench-bare/orders/{order.pk}", {}),
                "bare detail, startproject middleware": (
                    "reference",
                    f"/bench-bare/orders/{order.pk}",
                    {},
                ),
                "api detail": ("site", f"/api/v1/orders/{order.pk}", auth),
                "bare list 25": ("site", "/bench-bare/orders?limit=25", {}),
                "bare list 25, startproject middleware": (
                    "reference",
                    "/bench-bare/orders?limit=25",
                    {},
                ),
                "api list 25": ("site", "/api/v1/orders?limit=25", auth),
            },
            args.wrk,
        )
        print(
            json.dumps(
                {
                    "machine": f"{platform.processor() or platform.machine()}, "
                    f"{os.cpu_count()} cores",
                    "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                    "orders": ServiceOrder.objects.count(),
                    "server": "gunicorn, 2 sync workers; wrk -t1 -c8, 3 rounds, medians",
                    "rps": {k: round(v, 1) for k, v in rps.items()},
                    "ratios": {
                        "api detail / bare": round(rps["api detail"] / rps["bare detail"], 3),
                        "api list / bare": round(rps["api list 25"] / rps["bare list 25"], 3),
                        "api detail / bare with startproject middleware": round(
                            rps["api detail"] / rps["bare detail, startproject middleware"], 3
                        ),
                        "api list / bare with startproject middleware": round(
                            rps["api list 25"] / rps["bare list 25, startproject middleware"], 3
                        ),
                    },
                },
                indent=1,
            )
        )
        return
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
