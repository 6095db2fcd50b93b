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


def photo(name: str = "front.png") -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def intake(data: dict[str, Any], people: dict[str, Any]) -> Callable[..., Any]:
    """A walk-in intake at s1's counter by the station manager; returns (job, code)."""
    from aftersales.fieldwork.tests.fixtures import drawn_signature

    def run(**kw: Any) -> Any:
        fields: dict[str, Any] = {
            "actor": people["station_manager"],
            "station": data["s1"],
            "customer": data["c1"],
            "unit": data["u1"],
            "fault_description": "不开机",
            "condition": "外壳有划痕",
            "accessories": ["电源线", "遥控器"],
            "signature": drawn_signature(),
            "photos": [photo()],
        }
        fields.update(kw)
        return actions.counter_intake(**fields)

    return run


@pytest.fixture
def fee(data: dict[str, Any]) -> Any:
    from decimal import Decimal

    from aftersales.fieldwork.models import FeeItem

    return FeeItem.objects.create(
        company=data["company"], code="L1", name="维修工时", kind="labour", price=Decimal("80.00")
    )


@pytest.fixture
def quoted(people: dict[str, Any], fee: Any) -> Callable[..., WorkshopJob]:
    """A diagnosed job with a quote from the fee schedule sent to the customer."""

    def run(job: WorkshopJob, who: str = "tech") -> WorkshopJob:
        return actions.bench_quote(
            actor=people[who], job=job, items=[{"fee_item": fee.pk, "quantity": 1}], reason="维修"
        )

    return run
