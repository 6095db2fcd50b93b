"""Solomon's VRPTW text format, read into a `Problem` built exactly as the product builds one.

The depot is the station, customers are jobs (required, with the file's demand as a load
dimension), vehicles are workers with the file's capacity and the depot's opening hours as
their shift. Coordinates and times are multiplied by `SCALE` to become integers; the reported
distance and the feasibility check are recomputed in double precision from the coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from aftersales.dispatch.optimizer.problem import Job, Problem, Worker
from aftersales.dispatch.optimizer.travel import EuclideanTravel, Point

SCALE = 1000


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: list[Customer]


def read(path: str | Path) -> Instance:
    lines = [ln.split() for ln in Path(path).read_text().splitlines()]
    name = next(ln[0] for ln in lines if ln)
    rows = [ln for ln in lines if ln and all(_number(t) for t in ln)]
    vehicles, capacity = (int(v) for v in rows[0][:2])
    customers = [
        Customer(
            int(r[0]),
            float(r[1]),
            float(r[2]),
            int(float(r[3])),
            float(r[4]),
            float(r[5]),
            float(r[6]),
        )
        for r in rows[1:]
        if len(r) >= 7
    ]
    if not customers or customers[0].number != 0:
        raise ValueError(f"{path}: no depot (customer 0) found")
    return Instance(name, vehicles, capacity, customers[0], customers[1:])


def _number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def to_problem(instance: Instance) -> Problem:
    depot = Point(instance.depot.x, instance.depot.y)
    jobs = [
        Job(
            id=c.number,
            at=Point(c.x, c.y),
            service=round(c.service * SCALE),
            windows=((round(c.ready * SCALE), round(c.due * SCALE)),),
            required=True,
            load=(c.demand,),
        )
        for c in instance.customers
    ]
    workers = [
        Worker(
            id=k,
            start=depot,
            end=depot,
            shift_start=round(instance.depot.ready * SCALE),
            shift_end=round(instance.depot.due * SCALE),
            capacity=(instance.capacity,),
        )
        for k in range(instance.vehicles)
    ]
    return Problem(jobs=jobs, workers=workers, travel=EuclideanTravel(scale=SCALE))


def _dist(a: Customer, b: Customer) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def distance(instance: Instance, routes: list[list[int]]) -> float:
    by_number = {c.number: c for c in instance.customers}
    total = 0.0
    for route in routes:
        here = instance.depot
        for n in route:
            total += _dist(here, by_number[n])
            here = by_number[n]
        total += _dist(here, instance.depot)
    return total


def feasible(instance: Instance, routes: list[list[int]]) -> bool:
    """The file's rules in double precision: each customer once, windows, capacity, the
    depot's closing time, at most the file's number of vehicles."""
    by_number = {c.number: c for c in instance.customers}
    visited = [n for r in routes for n in r]
    if sorted(visited) != sorted(by_number) or len(routes) > instance.vehicles:
        return False
    eps = 1e-6
    for route in routes:
        if sum(by_number[n].demand for n in route) > instance.capacity:
            return False
        here, now = instance.depot, instance.depot.ready
        for n in route:
            c = by_number[n]
            now = max(now + _dist(here, c), c.ready)
            if now > c.due + eps:
                return False
            now += c.service
            here = c
        if now + _dist(here, instance.depot) > instance.depot.due + eps:
            return False
    return True
