"""`aftersales bench-dispatch --solomon FILE [FILE ...] --seconds S [--seed N] --json`

Solves Solomon VRPTW files with the product's model builder and prints one JSON object:
{"results": [{"instance", "routes", "distance", "feasible", "seconds"}, ...]}.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.dispatch.optimizer import solomon
from aftersales.dispatch.optimizer.solver import solve


class Command(BaseCommand):
    help = "Solve Solomon VRPTW files with the dispatch optimiser (objective: total distance)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--solomon", nargs="+", required=True, metavar="FILE")
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print JSON (the only format)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seconds"] <= 0:
            raise CommandError("--seconds must be positive")
        results = []
        for path in options["solomon"]:
            try:
                instance = solomon.read(path)
            except (OSError, ValueError, IndexError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            started = time.perf_counter()
            plan = solve(
                solomon.to_problem(instance), seconds=options["seconds"], seed=options["seed"]
            )
            routes = [[int(n) for n in r.jobs] for r in plan.routes]  # type: ignore[call-overload]
            results.append(
                {
                    "instance": instance.name,
                    "routes": routes,
                    "distance": solomon.distance(instance, routes),
                    "feasible": plan.feasible and solomon.feasible(instance, routes),
                    "seconds": round(time.perf_counter() - started, 3),
                }
            )
        self.stdout.write(json.dumps({"results": results}))
