"""Benchmark: five different 100-order / 10-technician days (the smallest scenario of
`dispatch_scenarios.py`, one random day there), each planned by the optimiser and by OR-Tools
with the same time limit, to show the spread rather than one draw.

    python bench/dispatch_small_days.py [--seconds 5] [--days 5]

Prints one JSON object: per day the served orders, high-priority served, km, and the ratios of
ours to OR-Tools (total km and km per visit); then the means."""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dispatch_scenarios as ds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    days = []
    for k in range(args.days):
        problem = ds.scenario(random.Random(100 + k), 100, 10, k)
        r = ds.run([problem], args.seconds)
        ours, other = r["pyvrp"], r["ortools"]
        days.append(
            {
                "day": k,
                "ours": {key: ours[key] for key in ("served", "high_served", "km", "violations")},
                "ortools": {
                    key: other[key] for key in ("served", "high_served", "km", "violations")
                },
                "travel_vs_ortools": r["ratios"]["travel_vs_ortools"],
                "km_per_visit_vs_ortools": r["ratios"]["km_per_visit_vs_ortools"],
            }
        )
        print(json.dumps(days[-1]), file=sys.stderr, flush=True)
    n = len(days)
    out = {
        "seconds": args.seconds,
        "days": days,
        "mean_travel_vs_ortools": round(sum(d["travel_vs_ortools"] for d in days) / n, 3),
        "mean_km_per_visit_vs_ortools": round(
            sum(d["km_per_visit_vs_ortools"] for d in days) / n, 3
        ),
        "served": {
            "ours": sum(d["ours"]["served"] for d in days),
            "ortools": sum(d["ortools"]["served"] for d in days),
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
