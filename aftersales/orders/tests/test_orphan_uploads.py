"""Stored upload files no row refers to are deleted after the grace period; a dry run only
lists them; files a row refers to, and recent ones, are never taken."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from aftersales.core import clock
from aftersales.orders import uploads
from aftersales.orders.models import OrderAttachment
from aftersales.orders.orphans import OTHER_REFERENCES, reference_columns, sweep_orphan_uploads

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(hours=25)


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }
    settings.UPLOAD_ORPHAN_GRACE_HOURS = 24
    return tmp_path


def test_orphans_are_listed_then_deleted_and_referenced_files_kept(storage, data, agent):
    from aftersales.orders import actions as orders

    order, _ = orders.order_create(
        actor=agent, customer=data["c1"], unit=data["u1"], fault_description="不制冷"
    )
    kept = uploads.store(b"\x89PNG kept", "png")
    OrderAttachment.objects.create(
        order=order, stored_name=kept, original_name="a.png", content_type="image/png", size=9
    )
    orphan = uploads.store(b"\x89PNG orphan", "png")

    with clock.at(clock.now() + LATER):
        dry = sweep_orphan_uploads()
        assert (dry.applied, dry.orphans, dry.stored) == (False, [orphan], 2)
        assert default_storage.exists(f"{uploads.PREFIX}/{orphan}")

        done = sweep_orphan_uploads(apply=True)

    assert done.orphans == [orphan]
    assert not default_storage.exists(f"{uploads.PREFIX}/{orphan}")
    assert uploads.open_stored(kept) == b"\x89PNG kept"


def test_a_recent_orphan_is_left_for_its_transaction(storage):
    fresh = uploads.store(b"\x89PNG fresh", "png")
    report = sweep_orphan_uploads(apply=True)
    assert report.orphans == [] and report.too_recent == 1
    assert default_storage.exists(f"{uploads.PREFIX}/{fresh}")


def test_nothing_stored_is_nothing_to_sweep(storage):
    assert sweep_orphan_uploads(apply=True).stored == 0


def test_every_column_holding_a_stored_name_is_a_reference():
    """A new column that keeps an upload's name must be known to the sweep, or the sweep
    would delete its files: signature-like columns of 100 characters are checked by name."""
    known = {(m._meta.label, c) for m, c in reference_columns()}
    suspects = {
        (model._meta.label, f.attname)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField)
        and (f.name.endswith("signature") or f.name.endswith("stored_name"))
    }
    assert suspects - known == set()
    assert len(OTHER_REFERENCES) == 3
