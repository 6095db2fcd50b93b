"""Run a periodic job as of a past moment, or at each step over a range (`aftersales backfill`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.core import clock
from aftersales.imports import jobs


def moments(first: dt.datetime, last: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    """first, first + step, ... up to last (inclusive). Pure."""
    if step <= dt.timedelta(0):
        raise ValueError("the step must be positive")
    out: list[dt.datetime] = []
    moment = first
    while moment <= last:
        out.append(moment)
        moment += step
    return out


def run_as_of(name: str, moment: dt.datetime) -> Any:
    """The job, run here as if it were `moment` (writes marked `backfill`)."""
    job = jobs.resolve(name)
    with clock.at(moment, source="backfill"):
        return job()
