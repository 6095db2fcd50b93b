"""Timing a worker's sequence of jobs, and checking a whole plan against every rule.

The solver's answer, the greedy baseline and the slot offer are all timed and checked here, so
that "feasible" means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from aftersales.dispatch.optimizer.problem import Job, Problem, Worker, refusal


@dataclass(frozen=True)
class Stop:
    job: Hashable
    arrive: int
    start: int  # service starts (after waiting for the window, if early)
    end: int
    travel: int  # seconds from the previous place
    distance: int  # from the previous place


@dataclass
class Route:
    worker: Hashable
    stops: list[Stop] = field(default_factory=list)
    depart: int = 0
    back: int = 0  # arrival at the end place
    distance: int = 0  # including the way back
    travel: int = 0  # seconds driven, including the way back

    @property
    def jobs(self) -> list[Hashable]:
        return [s.job for s in self.stops]


def time_route(problem: Problem, worker: Worker, jobs: Sequence[Job]) -> Route:
    """Time `jobs` in this order with the shortest duration: each service starts as early as
    possible, and the departure is put off by as much waiting as can be absorbed without any
    start leaving its window (so the route's duration is as PyVRP measures it)."""
    first = _forward(problem, worker, jobs, worker.shift_start)
    waited = 0
    delay = None
    for job, stop in zip(jobs, first.stops, strict=True):
        waited += stop.start - stop.arrive
        room = waited + job.window_end(stop.start) - stop.start
        delay = room if delay is None else min(delay, room)
    if delay is None or min(delay, waited) <= 0:
        return first
    return _forward(problem, worker, jobs, worker.shift_start + min(delay, waited))


def _forward(problem: Problem, worker: Worker, jobs: Sequence[Job], depart: int) -> Route:
    route = Route(worker=worker.id, depart=depart)
    here = worker.start
    now = depart
    for job in jobs:
        dist, dur = problem.leg(here, job.at)
        arrive = now + dur
        start = job.start_at(arrive)
        if start is None:  # too late for every window: timed as it would happen, and flagged
            start = arrive
        end = start + job.service
        route.stops.append(Stop(job.id, arrive, start, end, dur, dist))
        route.distance += dist
        route.travel += dur
        now, here = end, job.at
    dist, dur = problem.leg(here, worker.end)
    route.back = now + dur
    route.distance += dist
    route.travel += dur
    return route


def route_violations(problem: Problem, worker: Worker, route: Route) -> list[str]:
    """Every rule the timed route breaks (empty when it is feasible)."""
    out: list[str] = []
    jobs = [problem.jobs_by_id[j] for j in route.jobs]
    for job, stop in zip(jobs, route.stops, strict=True):
        why = refusal(worker, job)
        if why:
            out.append(f"{job.id}: {why}")
        if not any(early <= stop.start <= late for early, late in job.windows):
            out.append(f"{job.id}: window (starts at {stop.start}, windows {job.windows})")
    if route.depart < worker.shift_start:
        out.append("departs before the shift")
    if route.back > worker.shift_end:
        out.append(f"back {route.back} after the shift end {worker.shift_end}")
    if (
        jobs
        and route.back - route.depart > worker.shift_end - worker.shift_start - worker.break_seconds
    ):
        out.append("no time left for the break")
    if worker.max_visits is not None and len(jobs) > worker.max_visits:
        out.append(f"{len(jobs)} visits > {worker.max_visits}")
    for dim, cap in enumerate(worker.capacity):
        if sum(j.load[dim] for j in jobs) > cap:
            out.append(f"load dimension {dim} over capacity")
    return out


def fits(problem: Problem, worker: Worker, jobs: Sequence[Job]) -> Route | None:
    route = time_route(problem, worker, jobs)
    return None if route_violations(problem, worker, route) else route


def best_insertion(
    problem: Problem, worker: Worker, jobs: Sequence[Job], new: Job
) -> tuple[int, Route] | None:
    """The cheapest feasible position for `new` in `jobs` (added distance, timed route)."""
    if refusal(worker, new):
        return None
    base = time_route(problem, worker, jobs).distance
    best: tuple[int, Route] | None = None
    for pos in range(len(jobs) + 1):
        route = fits(problem, worker, [*jobs[:pos], new, *jobs[pos:]])
        if route is not None and (best is None or route.distance - base < best[0]):
            best = (route.distance - base, route)
    return best


def plan_violations(problem: Problem, routes: Sequence[Route]) -> list[str]:
    """Every rule a whole plan breaks: per route, plus a job served twice or an unknown one."""
    out: list[str] = []
    seen: set[Hashable] = set()
    for route in routes:
        worker = problem.workers_by_id[route.worker]
        for job in route.jobs:
            if job not in problem.jobs_by_id:
                out.append(f"{job}: unknown job")
            elif job in seen:
                out.append(f"{job}: served twice")
            seen.add(job)
        if all(j in problem.jobs_by_id for j in route.jobs):
            out += [f"{route.worker}: {v}" for v in route_violations(problem, worker, route)]
    for job in problem.jobs:
        if job.required and job.id not in seen:
            out.append(f"{job.id}: required but not served")
    return out
