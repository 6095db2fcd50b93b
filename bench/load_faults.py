"""Load with faults against the multi-process deployment of `scripts/cluster`.

    scripts/cluster start
    .venv/bin/python bench/load_faults.py --seconds 300 --threads 8 > /tmp/load.json
    scripts/cluster stop

Agents register orders (POST /api/v1/orders with an Idempotency-Key) that the dispatcher sends
to a station, dispatchers read the unassigned queue and assign technicians, technicians read their
orders, and the portal's sign-in page is read, from `--threads` threads for `--seconds` seconds
(bounded in time and in requests, loopback only). Meanwhile the fault schedule SIGKILLs a Huey
consumer, restarts a web process, restarts Redis and restarts PostgreSQL. A client that meets a
connection error or a 5xx retries the same request with the same key, as an integrator would.

Afterwards it waits for the queue to drain and checks the invariants on the database: every
order has exactly one created event; every order a client was told about (201) exists once, and
each idempotency key made one order; stock levels equal the ledger; no outbox message is lost
(all sent or failed with a reason) or duplicated. Prints JSON: requests, errors by kind, p50/p95
per kind of request, recovery time after each fault (from the fault to the next successful
order), and the invariants. Exits 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "scripts" / "cluster"


def cluster_env() -> dict[str, str]:
    text = subprocess.run([str(CLUSTER), "env"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for line in text.splitlines():
        if line.startswith("export "):
            key, _, value = line[7:].partition("=")
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "aftersales.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=env["AFTERSALES_DATA_DIR"],
    ).stdout


SETUP = """
import json
from aftersales.accounts import actions as org
from aftersales.accounts.models import User, Station
from aftersales.customers.models import InstalledUnit
out = {}
for name in ("agent", "dispatcher", "technician"):
    user = User.objects.get(username=name)
    _t, key = org.api_token_create(actor=user, name="load")
    out[name] = key
out["units"] = list(InstalledUnit.objects.values_list("pk", "customer_id")[:300])
station = User.objects.get(username="dispatcher").station or Station.objects.order_by("pk").first()
out["station"] = station.pk
out["technicians"] = list(User.objects.filter(role="technician", station=station).values_list("pk", flat=True))
# A file saved by this process must be readable by any other (object storage, not local disk).
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
out["probe"] = default_storage.save("cluster-check/probe.txt", ContentFile(b"seen by all"))
out["storage"] = type(default_storage._wrapped).__name__
print("JSON" + json.dumps(out))
"""


class Client:
    def __init__(self, host: str, port: int, token: str | None) -> None:
        self.host, self.port, self.token = host, port, token

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            return response.status, payload
        finally:
            conn.close()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter[str] = Counter()
        self.created: dict[str, int] = {}  # idempotency key -> order id told to the client
        self.last_order_ok = 0.0
        self.order_ok_times: list[float] = []
        self.dispatched: list[int] = []  # orders sent to the station, to assign

    def add(self, kind: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.outcomes[f"{kind} {status}"] += 1


def with_retry(stats: Stats, kind: str, fn: Any, deadline: float) -> tuple[int, Any]:
    """Call, retrying on a connection error or a 5xx (the same request, the same key)."""
    while True:
        t = time.perf_counter()
        try:
            status, payload = fn()
        except (OSError, http.client.HTTPException) as exc:
            stats.add(kind, type(exc).__name__, time.perf_counter() - t)
            if time.time() > deadline:
                return 0, None
            time.sleep(0.5)
            continue
        stats.add(kind, status, time.perf_counter() - t)
        if status >= 500 and time.time() < deadline:
            time.sleep(0.5)
            continue
        return status, payload


def worker(
    n: int, host: str, port: int, setup: dict[str, Any], stats: Stats, stop: float, cap: int
) -> None:
    rng = random.Random(n)
    agent = Client(host, port, setup["agent"])
    dispatcher = Client(host, port, setup["dispatcher"])
    technician = Client(host, port, setup["technician"])
    anonymous = Client(host, port, None)
    done = 0
    while time.time() < stop and done < cap:
        done += 1
        roll = rng.random()
        retry_until = time.time() + 60  # keep retrying a started write past the load window
        if roll < 0.4:
            unit_id, customer_id = rng.choice(setup["units"])
            key = f"load-{uuid.uuid4().hex}"
            body = {
                "customer_id": customer_id,
                "unit_id": unit_id,
                "fault_description": "负载测试：不制冷",
                "allow_duplicate": True,
            }
            status, payload = with_retry(
                stats,
                "create order",
                lambda body=body, key=key: agent.call("POST", "/api/v1/orders", body, key),
                retry_until,
            )
            if status in (200, 201) and payload:
                with stats.lock:
                    stats.created[key] = payload["id"]
                    stats.order_ok_times.append(time.time())
                oid = payload["id"]
                status, _payload = with_retry(
                    stats,
                    "dispatch order",
                    lambda oid=oid: dispatcher.call(
                        "POST", f"/api/v1/orders/{oid}/dispatch", {"station_id": setup["station"]}
                    ),
                    retry_until,
                )
                if status == 200:
                    with stats.lock:
                        stats.dispatched.append(oid)
        elif roll < 0.6:
            status, payload = with_retry(
                stats,
                "unassigned queue",
                lambda: dispatcher.call("GET", "/api/v1/orders?queue=unassigned&limit=25"),
                retry_until,
            )
            with stats.lock:
                oid = stats.dispatched.pop() if stats.dispatched else None
            if status == 200 and oid and setup["technicians"]:
                with_retry(
                    stats,
                    "assign technician",
                    lambda oid=oid: dispatcher.call(
                        "POST",
                        f"/api/v1/orders/{oid}/assign",
                        {"technician_id": rng.choice(setup["technicians"])},
                    ),
                    retry_until,
                )
        elif roll < 0.8:
            with_retry(
                stats,
                "technician orders",
                lambda: technician.call("GET", "/api/v1/orders?limit=25"),
                retry_until,
            )
        else:
            with_retry(
                stats, "portal page", lambda: anonymous.call("GET", "/portal/login/"), retry_until
            )


CHECKS = """
import json
from collections import Counter
from aftersales.core.invariants import violations
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import ServiceOrder
told = json.loads(open(PATH).read())
found = violations()
ids = Counter(told.values())
existing = set(ServiceOrder.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))
found["order_told_but_missing"] = sorted(set(ids) - existing)[:100]
found["one_key_made_two_orders"] = []
found["two_keys_made_one_order"] = [pk for pk, n in ids.items() if n > 1][:100]
stuck = OutboxMessage.objects.exclude(status__in=["sent", "failed"]).values_list("pk", flat=True)
found["outbox_not_delivered"] = list(stuck[:100])
dupes = Counter(OutboxMessage.objects.exclude(dedupe_key=None).values_list("dedupe_key", flat=True))
found["outbox_duplicated"] = [k for k, n in dupes.items() if n > 1][:100]
from django.core.files.storage import default_storage
found["upload_not_seen_by_another_process"] = [] if default_storage.open(PROBE).read() == b"seen by all" else [1]
print("JSON" + json.dumps({"orders": ServiceOrder.objects.count(), "outbox": OutboxMessage.objects.count(), "violations": found}))
"""


def fault_schedule(seconds: float) -> list[tuple[float, str, list[str]]]:
    return [
        (seconds * 0.15, "worker killed (SIGKILL)", ["kill-worker", "1"]),
        (seconds * 0.35, "web process restarted", ["restart-web", "1"]),
        (seconds * 0.55, "Redis restarted", ["restart-redis"]),
        (seconds * 0.75, "PostgreSQL restarted", ["restart-pg"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per thread")
    parser.add_argument("--drain-seconds", type=float, default=150)
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()
    env = cluster_env()
    base = env["AFTERSALES_BASE_URL"].removeprefix("http://")
    host, _, port = base.partition(":")
    raw = manage(env, "shell", "-c", SETUP)
    setup = json.loads(raw[raw.index("JSON") + 4 :])
    stats = Stats()
    start = time.time()
    stop = start + args.seconds
    threads = [
        threading.Thread(
            target=worker,
            args=(n, host, int(port), setup, stats, stop, args.max_requests),
            daemon=True,
        )
        for n in range(args.threads)
    ]
    for t in threads:
        t.start()
    faults = []
    for at, name, command in [] if args.no_faults else fault_schedule(args.seconds):
        time.sleep(max(0.0, start + at - time.time()))
        t0 = time.time()
        subprocess.run([str(CLUSTER), *command], check=True, capture_output=True)
        faults.append({"fault": name, "at_s": round(t0 - start, 1), "started": t0})
    for t in threads:
        t.join(timeout=args.seconds + 120)
    for fault in faults:
        after = [x for x in stats.order_ok_times if x > fault["started"]]
        fault["recovery_s"] = round(after[0] - fault["started"], 2) if after else None
        del fault["started"]
    # Let the workers finish what the load queued (the outbox sweep runs every minute).
    told_path = Path(env["AFTERSALES_DATA_DIR"]) / "load-told.json"
    told_path.write_text(json.dumps(stats.created))
    deadline = time.time() + args.drain_seconds
    while True:
        raw = manage(
            env,
            "shell",
            "-c",
            f"PATH = {str(told_path)!r}\nPROBE = {setup['probe']!r}\n" + CHECKS,
        )
        result = json.loads(raw[raw.index("JSON") + 4 :])
        pending = result["violations"]["outbox_not_delivered"]
        if not pending or time.time() > deadline:
            break
        time.sleep(5)
    latency = {
        kind: {
            "n": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(sorted(values)[int(len(values) * 0.95) - 1] * 1000, 1)
            if len(values) >= 20
            else None,
        }
        for kind, values in sorted(stats.latency.items())
    }
    broken = {k: v for k, v in result["violations"].items() if v}
    summary = {
        "seconds": args.seconds,
        "threads": args.threads,
        "requests": sum(stats.outcomes.values()),
        "outcomes": dict(sorted(stats.outcomes.items())),
        "latency": latency,
        "orders_created_by_load": len(stats.created),
        "orders_in_database": result["orders"],
        "outbox_messages": result["outbox"],
        "upload_storage": setup["storage"],
        "faults": faults,
        "invariants_broken": broken,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if broken:
        sys.exit(1)


if __name__ == "__main__":
    main()
