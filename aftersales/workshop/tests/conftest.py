"""Workshop fixtures: a walk-in order with its job at station s1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from aftersales.workshop import actions
from aftersales.workshop.models import WorkshopJob


@pytest.fixture
def new_job(
    new_order: Callable[..., Any], data: dict[str, Any], people: dict[str, Any]
) -> Callable[..., WorkshopJob]:
    def make(route: str = "counter", **kw: Any) -> WorkshopJob:
        order = new_order(channel="walk_in")
        with transaction.atomic():
            return actions.job_create(
                actor=people["agent"], order=order, station=data["s1"], route=route, **kw
            )

    return make


@pytest.fixture
def step(people: dict[str, Any]) -> Callable[..., WorkshopJob]:
    def run(job: WorkshopJob, verb: str, who: str = "tech", reason: str = "") -> WorkshopJob:
        return actions.job_step(actor=people[who], job=job, verb=verb, reason=reason)

    return run
