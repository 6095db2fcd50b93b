"""`aftersales import-history` and `aftersales backfill`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from aftersales.core import clock
from aftersales.feedback.models import FollowUp
from aftersales.imports import backfill, jobs
from aftersales.imports.tests.legacy import jsonl, legacy_rows, order_rows
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import OrderEscalation, ServiceOrder

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_history_dry_run_then_apply_then_again(tmp_path, importer, tech):
    path = tmp_path / "legacy.jsonl"
    path.write_text(jsonl(legacy_rows(technician=tech.username, years=1)), encoding="utf-8")
    dry = _run("import_history", str(path), "--dry-run", "--company", "test", "--language", "en")
    assert "create 25 skip 0 gap 0 refuse 0" in dry
    assert not ServiceOrder.objects.filter(customer__name="王五").exists()
    done = _run("import_history", str(path), "--company", "test", "--quiet")
    assert "applied 25 skipped 0 gaps 0 refused 0" in done
    again = _run("import_history", str(path), "--company", "test", "--quiet")
    assert "applied 0 skipped 25" in again
    assert ServiceOrder.objects.filter(customer__name="王五").count() == 2


def test_the_dry_run_reports_in_the_users_language(tmp_path, importer, tech):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "order", "id": "W", "at": "2021-01-01", "customer": "nobody"}\n')
    zh = _run("import_history", str(path), "--dry-run", "--company", "test")
    en = _run("import_history", str(path), "--dry-run", "--company", "test", "--language", "en")
    assert "既不在本行之前的文件中" in zh and "neither in the file before this line" in en


def test_every_registered_job_resolves_and_runs_as_of_a_past_moment_without_messages(data):
    past = dt.datetime(2022, 6, 1, 2, 30, tzinfo=dt.UTC)
    for name in sorted(jobs.PERIODIC_JOBS):
        backfill.run_as_of(name, past)
    assert not OutboxMessage.objects.exclude(status="suppressed").exists()


def test_backfill_as_of_escalates_at_that_moment(importer, tech, new_order):
    with clock.at(dt.datetime(2022, 3, 1, 1, 0, tzinfo=dt.UTC)):
        order = new_order()
    due = order.respond_due
    assert due is not None
    out = _run("backfill", "escalation", "--as-of", (due + dt.timedelta(hours=30)).isoformat())
    assert "escalation" in out
    step = OrderEscalation.objects.filter(order=order).order_by("at").first()
    assert step is not None and step.at == due + dt.timedelta(hours=30)
    assert not OutboxMessage.objects.exclude(status="suppressed").exists()


def test_backfill_over_a_range_opens_follow_ups_as_of_each_day(importer, tech):
    text = jsonl(
        legacy_rows(technician=tech.username, years=0)[:3]
        + order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")[
            :8
        ]
    )
    path_rows = text  # completed, no follow-up recorded in the source
    from aftersales.imports import actions

    job = actions.history_import_create(actor=importer, name="f.jsonl", data=path_rows.encode())
    actions.history_import_apply(import_id=job.pk)
    FollowUp.objects.all().delete()
    out = _run("backfill", "follow-ups", "--from", "2022-01-05", "--to", "2022-01-07")
    assert out.count("follow-ups") == 3
    task = FollowUp.objects.get()
    assert task.created_at == dt.datetime(2022, 1, 5, 1, 0, tzinfo=dt.UTC)


def test_range_steps_are_inclusive_and_positive():
    first = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    got = backfill.moments(first, first + dt.timedelta(days=2), dt.timedelta(days=1))
    assert len(got) == 3 and got[-1] == first + dt.timedelta(days=2)
    with pytest.raises(ValueError):
        backfill.moments(first, first, dt.timedelta(0))


def test_export_history_writes_the_import_shape(tmp_path, importer, tech):
    path = tmp_path / "out.jsonl"
    call_command("export_history", "--company", "test", "-o", str(path), stderr=io.StringIO())
    text = path.read_text(encoding="utf-8")
    assert text.count('"kind": "customer"') == 2
    dry = _run("import_history", str(path), "--dry-run", "--company", "test", "--quiet")
    assert "gap 0 refuse 0" in dry
    # Customers, addresses and units the company has are resolved by phone, line and serial.
    from aftersales.customers.models import Address, Customer, InstalledUnit

    before = (Customer.objects.count(), Address.objects.count(), InstalledUnit.objects.count())
    _run("import_history", str(path), "--company", "test", "--quiet")
    after = (Customer.objects.count(), Address.objects.count(), InstalledUnit.objects.count())
    assert after == before


def test_the_example_file_of_the_docs_imports(data, importer, make_user):
    """docs/examples/history-example.jsonl (for the demo company: station sh-01, technician
    tech-sh-01-0) imports as it is, here with a station of that code and the technician mapped."""
    from pathlib import Path

    from aftersales.accounts import actions as org
    from aftersales.accounts.choices import Role
    from aftersales.imports.models import ImportIssue

    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "history-example.jsonl"
    station = org.station_create(
        actor=None, region=data["s1"].region, name="上海零一站", code="sh-01"
    )
    tech = make_user(Role.TECHNICIAN, station=station)
    # the demo's station manager does the workshop's quality check (not the repairer)
    manager = make_user(Role.STATION_MANAGER, station=station)
    staff = (f"tech-sh-01-0={tech.username}", "--staff", f"station={manager.username}")
    args = ("import_history", str(example), "--company", "test", "--staff", *staff, "--quiet")
    out = _run(*args, "--language", "en")
    issues = list(ImportIssue.objects.values_list("line", "params"))
    assert "applied 28 skipped 0 gaps 0 refused 0" in out, issues
    statuses = dict(
        ServiceOrder.objects.filter(customer__phone__in=["13916000001", "13916000002"]).values_list(
            "fault_description", "status"
        )
    )
    assert statuses == {
        "不制冷": "closed",
        "噪音大": "cancelled",
        "漏水": "dispatched",
        "不开机": "completed",  # repaired under 三包 at the workshop, picked up
    }
    assert "applied 0 skipped 28" in _run(*args)
