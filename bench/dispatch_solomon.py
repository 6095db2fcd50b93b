"""Benchmark: the dispatch optimiser on Solomon's VRPTW instances, against the best known.

    python bench/dispatch_solomon.py --seconds 1 10 [--seed 1]

Runs `aftersales bench-dispatch` (the product's model builder) on the six instances in
../shared/data/vrptw/solomon for each time limit, checks every plan in double precision, and
prints a JSON summary with the gap to BKS.json per instance and the mean gap."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "vrptw"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bks = json.loads((DATA / "BKS.json").read_text())
    files = sorted(str(p) for p in (DATA / "solomon").glob("*.txt"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    summary = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "runs": [],
    }
    for seconds in args.seconds:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "aftersales.cli",
                "bench-dispatch",
                "--solomon",
                *files,
                "--seconds",
                str(seconds),
                "--seed",
                str(args.seed),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        ).stdout
        rows = []
        for r in json.loads(out)["results"]:
            best = bks[f"{r['instance']}_distance"]["best_known_cost"]
            rows.append(
                {
                    "instance": r["instance"],
                    "distance": round(r["distance"], 2),
                    "bks": best,
                    "gap_pct": round(100 * (r["distance"] - best) / best, 2),
                    "vehicles": len(r["routes"]),
                    "feasible": r["feasible"],
                    "seconds": r["seconds"],
                }
            )
        summary["runs"].append(
            {
                "seconds": seconds,
                "rows": rows,
                "mean_gap_pct": round(sum(x["gap_pct"] for x in rows) / len(rows), 2),
                "all_feasible": all(x["feasible"] for x in rows),
            }
        )
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
