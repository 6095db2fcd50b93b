"""Why a job went to a worker, and why a job was left out.

Reason codes for a job left out, checked in this order (the first that binds is reported):
- `skill`: no working technician has the skills at the levels needed;
- `territory`: the qualified technicians do not cover the address;
- `locked`: the dispatcher locked it to a technician who is not working this day;
- `window`: no eligible technician can reach it inside its window within the shift, even with
  nothing else to do;
- `capacity`: eligible technicians could, but their days are full of jobs that were worth more
  (more urgent, or cheaper to reach).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from aftersales.dispatch.optimizer.problem import LOCKED, SKILL, TERRITORY, Problem, refusal
from aftersales.dispatch.optimizer.schedule import Route, fits

WINDOW = "window"
CAPACITY = "capacity"


def unserved_reason(problem: Problem, plan: Any, job_id: Hashable) -> str:
    job = problem.jobs_by_id[job_id]
    eligible = [w for w in problem.workers if refusal(w, job) is None]
    if not eligible:
        refusals = {refusal(w, job) for w in problem.workers}
        for code in (SKILL, TERRITORY, LOCKED):
            if code in refusals:
                return code
        return LOCKED if job.locked_to is not None else SKILL
    if not any(fits(problem, w, [job]) for w in eligible):
        return WINDOW
    return CAPACITY


def assignment_reasons(problem: Problem, route: Route, position: int) -> dict[str, Any]:
    """Why the job at `position` of `route` went to this worker: matched skills, territory,
    the travel it adds to the route (minutes, km), the slack in its window (minutes) and how
    many other workers could have taken it."""
    worker = problem.workers_by_id[route.worker]
    stop = route.stops[position]
    job = problem.jobs_by_id[stop.job]
    prev = worker.start if position == 0 else problem.jobs_by_id[route.stops[position - 1].job].at
    nxt = (
        worker.end
        if position == len(route.stops) - 1
        else problem.jobs_by_id[route.stops[position + 1].job].at
    )
    d1, t1 = problem.leg(prev, job.at)
    d2, t2 = problem.leg(job.at, nxt)
    d0, t0 = problem.leg(prev, nxt)
    return {
        "skills": {code: worker.skills.get(code, 0) for code in job.skills},
        "in_territory": job.territory_workers is not None,
        "locked": job.locked_to is not None,
        "added_travel_min": round((t1 + t2 - t0) / 60),
        "added_km": round((d1 + d2 - d0) / 1000, 1),
        "slack_min": max(0, (job.window_end(stop.start) - stop.start) // 60),
        "others_qualified": len(problem.eligible[job.id]) - 1,
    }
