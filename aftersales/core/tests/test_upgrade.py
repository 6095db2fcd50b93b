"""An upgrade keeps the data: a database built and filled by the previous release (its own code,
migrations and demo data) migrates forward with this release and keeps its rows and invariants.

The previous release is the last commit that landed before this one's work (stop 12); the test
takes its tree from the repository's history, so it needs a clone with history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import aftersales

PREVIOUS_RELEASE = "f62b962"
REPO = Path(aftersales.__file__).resolve().parents[1]

COUNTS = """
import json
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts.models import StockMove
print("JSON" + json.dumps({
    "customers": Customer.objects.count(),
    "units": InstalledUnit.objects.count(),
    "orders": ServiceOrder.objects.count(),
    "events": OrderEvent.objects.count(),
    "moves": StockMove.objects.count(),
    "numbers": sorted(ServiceOrder.objects.values_list("number", flat=True))[:20],
}))
"""


def _run(code_root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aftersales.cli", *args],
        cwd=code_root,
        env={**env, "PYTHONPATH": str(code_root)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def database_url():
    """A new empty database of the kind this run uses (SQLite file, or PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield ""
        return
    import psycopg

    name = f"upgrade_{uuid.uuid4().hex[:10]}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_database_of_the_previous_release_upgrades_with_its_data(tmp_path, database_url):
    have = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True,
    )
    assert have.returncode == 0, "the upgrade test needs the repository with its history"
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", PREVIOUS_RELEASE, "aftersales"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        "AFTERSALES_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "upgrade-test",
        "LOG_LEVEL": "WARNING",
    }

    _run(old, env, "migrate", "--noinput", "-v", "0")
    _run(old, env, "demo", "--customers", "30", "--orders", "40", "--open-orders", "4")
    raw = _run(old, env, "shell", "-v", "0", "-c", COUNTS)
    before = json.loads(raw[raw.index("JSON") + 4 :])
    assert before["orders"] >= 40 and before["events"] > before["orders"]

    _run(REPO, env, "migrate", "--noinput", "-v", "0")
    raw = _run(REPO, env, "shell", "-v", "0", "-c", COUNTS)
    after = json.loads(raw[raw.index("JSON") + 4 :])
    assert after == before
    assert "invariants: all kept" in _run(REPO, env, "check_invariants")
