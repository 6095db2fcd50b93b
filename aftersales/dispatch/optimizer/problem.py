"""What the optimiser is asked: jobs (visits to make), workers (technicians' days) and travel.

Times are integer seconds from the start of the planning day (midnight, local time). A job's
window bounds the start of service. Who may do a job is decided here, once, so that the model,
the explanations and the checks agree: the skills with their levels, the territory, and a lock
placed by the dispatcher.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from aftersales.dispatch.optimizer.travel import IntMatrix, Point, Travel

# Why a worker may not take a job.
SKILL = "skill"
TERRITORY = "territory"
LOCKED = "locked"

# Prize for serving a job, by priority, in metres of travel: a low job is worth a 1,000 km
# detour, so the optimiser serves as many jobs as fit, and an urgent job outweighs a hundred low
# ones. (Much larger prizes make PyVRP's penalties for lateness too small to steer the search.)
PRIZE = {"high": 10**8, "medium": 10**7, "low": 10**6}
DUE_TODAY_FACTOR = 5  # a job whose service-level arrival falls due today


@dataclass(frozen=True)
class Job:
    id: Hashable
    at: Point
    service: int  # seconds on site
    # Service starts inside one of these [early, late] windows (sorted, not overlapping): an
    # appointment is one window; a job without one gets the visiting hours minus rest periods.
    windows: tuple[tuple[int, int], ...]
    skills: Mapping[str, int] = field(default_factory=dict)  # skill code -> minimum level
    priority: str = "medium"
    due: int | None = None  # service-level arrival due (seconds from day start), if any
    # Workers whose territory covers the job; None: no territory restriction.
    territory_workers: frozenset[Hashable] | None = None
    locked_to: Hashable | None = None  # the dispatcher fixed the worker
    required: bool = False  # benchmark instances: every customer must be served
    load: tuple[int, ...] = ()  # benchmark instances: demand per load dimension

    @property
    def early(self) -> int:
        return self.windows[0][0]

    @property
    def late(self) -> int:
        return self.windows[-1][1]

    def start_at(self, arrive: int) -> int | None:
        """When service starts for an arrival at `arrive` (waiting if early), or None if every
        window has closed."""
        for early, late in self.windows:
            if arrive <= late:
                return max(arrive, early)
        return None

    def window_end(self, start: int) -> int:
        """The end of the window `start` falls in."""
        return next((late for early, late in self.windows if early <= start <= late), self.late)


@dataclass(frozen=True)
class Worker:
    id: Hashable
    start: Point
    end: Point
    shift_start: int
    shift_end: int
    skills: Mapping[str, int] = field(default_factory=dict)
    max_visits: int | None = None
    break_seconds: int = 0  # reserved out of the shift (taken between visits)
    capacity: tuple[int, ...] = ()  # benchmark instances: capacity per load dimension
    fixed_cost: int = 0


def refusal(worker: Worker, job: Job) -> str | None:
    """Why `worker` may not take `job` (a code from the top of this module), or None."""
    if job.locked_to is not None and job.locked_to != worker.id:
        return LOCKED
    for code, level in job.skills.items():
        if worker.skills.get(code, 0) < level:
            return SKILL
    if job.territory_workers is not None and worker.id not in job.territory_workers:
        return TERRITORY
    return None


DAY = 24 * 3600


def prize(job: Job) -> int:
    base = PRIZE.get(job.priority, PRIZE["medium"])
    if job.due is not None and job.due <= DAY:
        base *= DUE_TODAY_FACTOR
    return base


@dataclass
class Problem:
    jobs: list[Job]
    workers: list[Worker]
    travel: Travel

    def __post_init__(self) -> None:
        ids = [j.id for j in self.jobs]
        if len(set(ids)) != len(ids):
            raise ValueError("job ids must be unique")
        wids = [w.id for w in self.workers]
        if len(set(wids)) != len(wids):
            raise ValueError("worker ids must be unique")
        dims = {len(j.load) for j in self.jobs} | {len(w.capacity) for w in self.workers}
        if len(dims) > 1:
            raise ValueError("every job and worker must have the same number of load dimensions")

    @cached_property
    def points(self) -> list[Point]:
        """Every place once: workers' starts and ends first, then jobs."""
        seen: dict[Point, int] = {}
        for w in self.workers:
            seen.setdefault(w.start, len(seen))
            seen.setdefault(w.end, len(seen))
        for j in self.jobs:
            seen.setdefault(j.at, len(seen))
        return list(seen)

    @cached_property
    def index(self) -> dict[Point, int]:
        return {p: i for i, p in enumerate(self.points)}

    @cached_property
    def _matrices(self) -> tuple[IntMatrix, IntMatrix]:
        return self.travel.matrices(self.points)

    @property
    def distance(self) -> IntMatrix:
        return self._matrices[0]

    @property
    def duration(self) -> IntMatrix:
        return self._matrices[1]

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        """(distance, duration) from a to b."""
        i, k = self.index[a], self.index[b]
        return int(self.distance[i, k]), int(self.duration[i, k])

    @cached_property
    def jobs_by_id(self) -> dict[Hashable, Job]:
        return {j.id: j for j in self.jobs}

    @cached_property
    def workers_by_id(self) -> dict[Hashable, Worker]:
        return {w.id: w for w in self.workers}

    @cached_property
    def eligible(self) -> dict[Hashable, frozenset[Hashable]]:
        """Job id -> the workers who may take it."""
        return {
            j.id: frozenset(w.id for w in self.workers if refusal(w, j) is None) for j in self.jobs
        }
