"""Benchmark: field-service days planned by the optimiser, a greedy dispatcher and OR-Tools.

    python bench/dispatch_scenarios.py [--seconds 5 10 10] [--seed 7]

Scenarios follow the demo generator's geography (its cities; stations and technicians' homes
within 8 km of the centre, customers within 15 km): 100 orders / 10 technicians, 300 / 30, and
2,000 / 200 split by region (five regions of 400 / 40 solved one after another). Technicians
have 2-3 of 4 skills at levels 1-5, a 09:00-18:00 shift with an hour's break and at most 8
visits; orders need one skill (70 %), 60 % have a two-hour appointment, the rest any time
09:00-17:00; 45-120 minutes on site; 20 % high, 60 % medium, 20 % low priority.

Every plan, whoever made it, is timed and checked by `schedule.plan_violations` (skills,
territory, windows, shift, break, visit limit). Prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()  # the demo generator's module imports models (no database is used)

from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # noqa: E402

from aftersales.demo.generator import CITIES  # noqa: E402
from aftersales.dispatch.optimizer.problem import Job, Problem, Worker, prize, refusal  # noqa: E402
from aftersales.dispatch.optimizer.schedule import Route, fits, plan_violations, time_route  # noqa: E402
from aftersales.dispatch.optimizer.solver import solve  # noqa: E402
from aftersales.dispatch.optimizer.travel import HaversineTravel, Point  # noqa: E402

H = 3600
SKILLS = ["ac", "fridge", "washer", "tv"]


def near(rng: random.Random, centre: tuple[float, float], km: float) -> Point:
    lat = centre[0] + rng.uniform(-km, km) / 111.0
    lng = centre[1] + rng.uniform(-km, km) / 96.0
    return Point(lng, lat)


def scenario(rng: random.Random, n_orders: int, n_techs: int, city: int) -> Problem:
    centre = CITIES[city % len(CITIES)][2]
    station = near(rng, centre, 8)
    workers = []
    for k in range(n_techs):
        home = near(rng, centre, 8)
        workers.append(
            Worker(
                id=f"{city}-t{k}",
                start=home,
                end=home,
                shift_start=9 * H,
                shift_end=18 * H,
                skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 3))},
                max_visits=8,
                break_seconds=H,
            )
        )
    jobs = []
    for i in range(n_orders):
        if rng.random() < 0.6:
            a = rng.choice([9, 11, 13, 15]) * H
            windows = ((a, a + 2 * H),)
        else:
            windows = ((9 * H, 17 * H),)
        jobs.append(
            Job(
                id=f"{city}-o{i}",
                at=near(rng, centre, 15),
                service=rng.choice([45, 60, 90, 120]) * 60,
                windows=windows,
                skills={rng.choice(SKILLS): rng.randint(1, 3)} if rng.random() < 0.7 else {},
                priority=rng.choices(["high", "medium", "low"], [2, 6, 2])[0],
            )
        )
    del station
    return Problem(jobs=jobs, workers=workers, travel=HaversineTravel())


def greedy(problem: Problem) -> list[Route]:
    """Earliest window first; the nearest qualified technician (from where their day ends so
    far) who can still fit it at the end of the route."""
    routes: dict[object, list[Job]] = {w.id: [] for w in problem.workers}
    for job in sorted(problem.jobs, key=lambda j: (j.early, j.late)):
        options = []
        for w in problem.workers:
            if refusal(w, job):
                continue
            last = routes[w.id][-1].at if routes[w.id] else w.start
            options.append((problem.leg(last, job.at)[0], w))
        for _d, w in sorted(options, key=lambda x: x[0]):
            if fits(problem, w, [*routes[w.id], job]) is not None:
                routes[w.id].append(job)
                break
    return [time_route(problem, w, routes[w.id]) for w in problem.workers if routes[w.id]]


def ortools(problem: Problem, seconds: float) -> list[Route]:
    """OR-Tools routing with the same matrices, windows, shifts, skills, visit limit and
    prizes (as drop penalties)."""
    workers, jobs = problem.workers, problem.jobs
    starts = [problem.index[w.start] for w in workers]
    ends = [problem.index[w.end] for w in workers]
    # Nodes: one per worker start, one per worker end, then one per job (OR-Tools wants
    # distinct depot nodes per vehicle here to keep the mapping simple).
    nodes = [*starts, *ends, *[problem.index[j.at] for j in jobs]]
    n_w = len(workers)
    manager = pywrapcp.RoutingIndexManager(
        len(nodes), n_w, list(range(n_w)), list(range(n_w, 2 * n_w))
    )
    routing = pywrapcp.RoutingModel(manager)
    dist, dur = problem.distance, problem.duration
    service = [0] * (2 * n_w) + [j.service for j in jobs]

    def distance_cb(a: int, b: int) -> int:
        return int(dist[nodes[manager.IndexToNode(a)], nodes[manager.IndexToNode(b)]])

    def time_cb(a: int, b: int) -> int:
        na, nb = manager.IndexToNode(a), manager.IndexToNode(b)
        return int(dur[nodes[na], nodes[nb]]) + service[na]

    d_idx = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(d_idx)
    t_idx = routing.RegisterTransitCallback(time_cb)
    routing.AddDimension(t_idx, 24 * H, 24 * H, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    count_idx = routing.RegisterUnaryTransitCallback(
        lambda i: 0 if manager.IndexToNode(i) < 2 * n_w else 1
    )
    routing.AddDimensionWithVehicleCapacity(
        count_idx, 0, [w.max_visits or len(jobs) for w in workers], True, "visits"
    )
    for k, w in enumerate(workers):
        time_dim.CumulVar(routing.Start(k)).SetRange(w.shift_start, w.shift_end)
        time_dim.CumulVar(routing.End(k)).SetRange(w.shift_start, w.shift_end)
        time_dim.SetSpanUpperBoundForVehicle(w.shift_end - w.shift_start - w.break_seconds, k)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(k)))
    for i, j in enumerate(jobs):
        index = manager.NodeToIndex(2 * n_w + i)
        time_dim.CumulVar(index).SetRange(j.early, j.late)
        allowed = [k for k, w in enumerate(workers) if refusal(w, j) is None]
        # (SetAllowedVehiclesForIndex does not accept a list in this release's binding.)
        routing.VehicleVar(index).SetValues([-1, *allowed])
        routing.AddDisjunction([index], prize(j))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    out = []
    if solution is None:
        return out
    for k, w in enumerate(workers):
        seq = []
        index = solution.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            seq.append(jobs[manager.IndexToNode(index) - 2 * n_w])
            index = solution.Value(routing.NextVar(index))
        if seq:
            out.append(time_route(problem, w, seq))
    return out


def measure(problem: Problem, routes: list[Route], seconds: float) -> dict[str, object]:
    served = sum(len(r.stops) for r in routes)
    km = sum(r.distance for r in routes) / 1000
    high = {j.id for j in problem.jobs if j.priority == "high"}
    return {
        "served": served,
        "high_served": sum(1 for r in routes for s in r.stops if s.job in high),
        "km": round(km, 1),
        "km_per_visit": round(km / served, 2) if served else None,
        "violations": len(plan_violations(problem, routes)),
        "seconds": round(seconds, 2),
    }


def run(problems: list[Problem], seconds: float) -> dict[str, object]:
    totals: dict[str, dict[str, float]] = {}
    for p in problems:
        for name, fn in (
            ("pyvrp", lambda p=p: solve(p, seconds=seconds, seed=1).routes),
            ("greedy", lambda p=p: greedy(p)),
            ("ortools", lambda p=p: ortools(p, seconds)),
        ):
            t = time.perf_counter()
            routes = fn()
            m = measure(p, routes, time.perf_counter() - t)
            agg = totals.setdefault(
                name, {"served": 0, "high_served": 0, "km": 0.0, "violations": 0, "seconds": 0.0}
            )
            for key in agg:
                agg[key] += m[key]  # type: ignore[operator]
        # time to the first valid plan: build + solve with a short limit
        t = time.perf_counter()
        first = solve(p, seconds=1.0, seed=1)
        agg = totals.setdefault(
            "pyvrp_1s", {"served": 0, "high_served": 0, "km": 0.0, "violations": 0, "seconds": 0.0}
        )
        m = measure(p, first.routes, time.perf_counter() - t)
        for key in agg:
            agg[key] += m[key]  # type: ignore[operator]
    for agg in totals.values():
        agg["km"] = round(agg["km"], 1)
        agg["seconds"] = round(agg["seconds"], 2)
    p, g, o = totals["pyvrp"], totals["greedy"], totals["ortools"]

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {
        **totals,
        "ratios": {
            "travel_vs_greedy": round(p["km"] / g["km"], 3) if g["km"] else None,
            "travel_vs_ortools": round(p["km"] / o["km"], 3) if o["km"] else None,
            "km_per_visit_vs_greedy": ratio(p["km"] * g["served"], g["km"] * p["served"]),
            "km_per_visit_vs_ortools": ratio(p["km"] * o["served"], o["km"] * p["served"]),
            "served_vs_greedy": ratio(p["served"], g["served"]),
            "served_vs_ortools": ratio(p["served"], o["served"]),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, nargs=3, default=[5, 10, 10])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [
        ("100 orders / 10 technicians", [scenario(rng, 100, 10, 0)], args.seconds[0]),
        ("300 orders / 30 technicians", [scenario(rng, 300, 30, 0)], args.seconds[1]),
        (
            "2000 orders / 200 technicians, 5 regions",
            [scenario(rng, 400, 40, c) for c in range(5)],
            args.seconds[2],
        ),
    ]
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "scenarios": [],
    }
    for name, problems, seconds in cases:
        out["scenarios"].append(
            {"name": name, "seconds_per_region": seconds, **run(problems, seconds)}
        )
        print(json.dumps(out["scenarios"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
