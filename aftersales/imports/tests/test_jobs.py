"""The backfill's registry names every periodic job of every app (or says why not)."""

from __future__ import annotations

import ast
import pathlib

import aftersales
from aftersales.imports.jobs import NOT_BACKFILLED, PERIODIC_JOBS, resolve


def _periodic_jobs_in_the_code() -> set[str]:
    root = pathlib.Path(aftersales.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if getattr(call, "id", getattr(call, "attr", "")) == "db_periodic_task":
                    module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
                    found.add(f"{module}.{node.name}")
    return found


def test_every_periodic_job_is_registered_for_backfill_or_excluded_with_a_reason():
    in_code = _periodic_jobs_in_the_code()
    assert "aftersales.orders.tasks.escalation_sweep" in in_code  # the scan finds them
    registered = set(PERIODIC_JOBS.values())
    assert in_code - registered - NOT_BACKFILLED == set()
    assert registered - in_code == set(), "a registered job that no longer exists"
    assert not registered & NOT_BACKFILLED


def test_every_registered_job_resolves_to_something_callable():
    for name in PERIODIC_JOBS:
        assert callable(resolve(name)), name
