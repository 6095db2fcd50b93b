"""Build the PyVRP model of a day, solve it until it stops improving (or an iteration limit, or
the time limit), read the plan back.

- Every distinct start or end place is a depot; every job a client with its window and service
  time; every worker a vehicle type of one vehicle with the shift as its time window, the break
  taken out of the shift duration, and its start and end depots.
- Who may take a job becomes load dimensions: one dimension per distinct set of eligible
  workers (skills with levels, territory, the dispatcher's lock); the job needs one unit of it
  and only the eligible workers have room. The visit limit is one more dimension.
- Jobs are optional with a prize by priority (and more when the service level falls due
  today), so a day that cannot hold everything drops the least urgent jobs; benchmark jobs are
  required.
- The objective is travel distance. The answer is timed again by `schedule.time_route` from
  the same matrices and checked by `schedule.plan_violations`.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

from aftersales.dispatch.optimizer.explain import unserved_reason
from aftersales.dispatch.optimizer.problem import Problem, prize
from aftersales.dispatch.optimizer.schedule import Route, plan_violations, time_route

# Lateness and over-capacity must cost more than the largest prize could repay.
PARAMS = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(max_penalty=1e9))
# The search stops at the first of: this many iterations in a row without a better plan (a
# small day is settled long before its time limit: two orders do not take five seconds), this
# many iterations in all, or the time limit (a guard only). Iterations, not the clock, decide,
# so a plan does not depend on how busy the machine is.
NO_IMPROVEMENT = 3_000
MAX_ITERATIONS = 200_000


@dataclass
class Plan:
    routes: list[Route]
    unserved: dict[Hashable, str] = field(default_factory=dict)  # job id -> reason code
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    iterations: int = 0

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def distance(self) -> int:
        return sum(r.distance for r in self.routes)

    @property
    def served(self) -> int:
        return sum(len(r.stops) for r in self.routes)


@dataclass
class Built:
    data: pyvrp.ProblemData
    clients: list[Hashable]  # client index -> job id
    vehicles: list[Hashable]  # vehicle type index -> worker id
    left_out: list[Hashable]  # jobs nobody may take (not in the model)


def build(problem: Problem) -> Built:
    index = problem.index
    workers = problem.workers
    # Depots: the distinct start and end places of the workers (listed first in `points`).
    depot_points = list(dict.fromkeys(p for w in workers for p in (w.start, w.end)))
    if not depot_points:
        raise ValueError("a plan needs at least one worker")
    # The model's locations: depots first, then the jobs' places.
    left_out = [j.id for j in problem.jobs if not problem.eligible[j.id]]
    jobs = [j for j in problem.jobs if problem.eligible[j.id]]
    on_depot = set(depot_points)
    job_points = list(dict.fromkeys(j.at for j in jobs if j.at not in on_depot))
    order = depot_points + job_points
    loc_of = {p: i for i, p in enumerate(order)}
    sel = np.array([index[p] for p in order], dtype=np.int64)
    dist = np.ascontiguousarray(problem.distance[np.ix_(sel, sel)])
    dur = np.ascontiguousarray(problem.duration[np.ix_(sel, sel)])

    everyone = frozenset(w.id for w in workers)
    eligibility_dims: dict[frozenset[Hashable], int] = {}
    for j in jobs:
        e = problem.eligible[j.id]
        if e != everyone:
            eligibility_dims.setdefault(e, len(eligibility_dims))
    n_base = len(jobs[0].load) if jobs else len(workers[0].capacity)
    visits_dim = n_base + len(eligibility_dims)
    n_dims = visits_dim + (1 if any(w.max_visits is not None for w in workers) else 0)

    clients: list[pyvrp.Client] = []
    client_jobs: list[Hashable] = []
    groups: list[pyvrp.ClientGroup] = []
    for j in jobs:
        delivery = [0] * n_dims
        delivery[:n_base] = j.load
        e = problem.eligible[j.id]
        if e != everyone:
            delivery[n_base + eligibility_dims[e]] = 1
        if n_dims > visits_dim:
            delivery[visits_dim] = 1
        alternatives = len(j.windows) > 1
        first = len(clients)
        for early, late in j.windows:
            clients.append(
                pyvrp.Client(
                    location=loc_of[j.at],
                    delivery=delivery,
                    service_duration=j.service,
                    tw_early=early,
                    tw_late=late,
                    prize=0 if j.required else prize(j),
                    # One client per window, at most one of them visited (a group).
                    required=j.required and not alternatives,
                    group=len(groups) if alternatives else None,
                )
            )
            client_jobs.append(j.id)
        if alternatives:
            groups.append(
                pyvrp.ClientGroup(clients=list(range(first, len(clients))), required=j.required)
            )
    vehicle_types = []
    for w in workers:
        capacity = [0] * n_dims
        capacity[:n_base] = w.capacity
        for e, dim in eligibility_dims.items():
            capacity[n_base + dim] = len(jobs) if w.id in e else 0
        if n_dims > visits_dim:
            capacity[visits_dim] = w.max_visits if w.max_visits is not None else len(jobs)
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=1,
                capacity=capacity,
                start_depot=depot_points.index(w.start),
                end_depot=depot_points.index(w.end),
                tw_early=w.shift_start,
                tw_late=w.shift_end,
                shift_duration=max(0, w.shift_end - w.shift_start - w.break_seconds),
                fixed_cost=w.fixed_cost,
            )
        )
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(p.x, p.y) for p in order],
        clients=clients,
        depots=[pyvrp.Depot(location=i) for i in range(len(depot_points))],
        vehicle_types=vehicle_types,
        distance_matrices=[dist],  # type: ignore[list-item]
        duration_matrices=[dur],  # type: ignore[list-item]
        groups=groups,
    )
    return Built(data, client_jobs, [w.id for w in workers], left_out)


def solve(
    problem: Problem,
    *,
    seconds: float,
    seed: int = 0,
    no_improvement: int = NO_IMPROVEMENT,
    max_iterations: int = MAX_ITERATIONS,
) -> Plan:
    started = time.perf_counter()
    if not problem.workers:
        plan = Plan(routes=[])
        plan.unserved = {j.id: unserved_reason(problem, plan, j.id) for j in problem.jobs}
        plan.seconds = time.perf_counter() - started
        return plan
    built = build(problem)
    routes: list[Route] = []
    iterations = 0
    if built.clients:
        stop = MultipleCriteria(
            [NoImprovement(no_improvement), MaxIterations(max_iterations), MaxRuntime(seconds)]
        )
        result = pyvrp.solve(built.data, stop=stop, seed=seed, display=False, params=PARAMS)
        routes = read_routes(problem, built, result.best)
        iterations = result.num_iterations
    plan = Plan(routes=routes, iterations=iterations)
    served = {j for r in routes for j in r.jobs}
    plan.unserved = {
        j.id: unserved_reason(problem, plan, j.id) for j in problem.jobs if j.id not in served
    }
    plan.violations = plan_violations(problem, routes)
    plan.seconds = time.perf_counter() - started
    return plan


def read_routes(problem: Problem, built: Built, solution: Any) -> list[Route]:
    routes = []
    for r in solution.routes():
        worker = problem.workers_by_id[built.vehicles[r.vehicle_type()]]
        jobs = [problem.jobs_by_id[built.clients[a.idx]] for a in r.schedule() if a.is_client()]
        if jobs:
            routes.append(time_route(problem, worker, jobs))
    return routes
