"""Backup and restore: the drill (back up, change things, restore, the data and files are as
they were and keep their invariants), and the archives a restore refuses."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from aftersales.core.backup import read_manifest
from aftersales.core.invariants import broken, violations
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import StockLevel

pytestmark = pytest.mark.django_db(transaction=True)


def test_restore_drill_brings_back_the_data_and_the_files(tmp_path, new_order, stock):
    order = new_order()
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=7
    )
    photo = default_storage.save("drill/photo.txt", ContentFile(b"before"))
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    manifest = read_manifest(archive)
    assert manifest["migrations"] and manifest["format"] == 1

    # Life goes on after the backup: a new order, stock issued, a file removed.
    new_order()
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=5
    )
    default_storage.delete(photo)
    orders_at_backup = 2  # the stock fixture's own order and ours

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)

    assert "invariants: all kept" in out.getvalue()
    assert ServiceOrder.objects.count() == orders_at_backup
    assert ServiceOrder.objects.filter(pk=order.pk).exists()
    assert OrderEvent.objects.filter(order=order, kind="created").count() == 1
    level = StockLevel.objects.get(warehouse=stock["van"], part=stock["capacitor"])
    assert level.on_hand == 7
    assert default_storage.open(photo).read() == b"before"
    assert broken(violations()) == {}


def test_restore_needs_yes(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.tar.gz"))


def _archive(tmp_path, manifest):
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_restore_refuses_another_vendor_and_a_newer_schema(tmp_path):
    from django.db import connection

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(CommandError, match="database"):
        call_command(
            "restore",
            str(_archive(tmp_path, {"format": 1, "vendor": other, "migrations": []})),
            "--yes",
        )
    newer = {"format": 1, "vendor": connection.vendor, "migrations": ["orders.9999_future"]}
    with pytest.raises(CommandError, match="9999_future"):
        call_command("restore", str(_archive(tmp_path, newer)), "--yes")


def test_check_invariants_names_a_broken_stock_level(stock):
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=3
    )
    StockLevel.objects.filter(warehouse=stock["van"]).update(on_hand=4)
    with pytest.raises(CommandError, match="stock_level_not_equal_to_ledger"):
        call_command("check_invariants", stdout=io.StringIO())
