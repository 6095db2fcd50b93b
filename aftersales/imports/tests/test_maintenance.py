"""Maintenance services done in the source: the plan's next due date counts from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.customers.models import InstalledUnit
from aftersales.imports import actions
from aftersales.imports import format as fmt
from aftersales.imports.export import history_export
from aftersales.imports.models import ExternalRef
from aftersales.imports.tests.legacy import jsonl, legacy_rows, order_rows
from aftersales.maintenance import actions as maintenance
from aftersales.maintenance import schedule
from aftersales.maintenance.models import MaintenanceVisit, UnitSchedule
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _apply(importer: Any, text: str) -> Any:
    job = actions.history_import_create(actor=importer, name="legacy.jsonl", data=text.encode())
    return actions.history_import_apply(import_id=job.pk)


def _rows(tech: Any) -> list[dict[str, Any]]:
    rows = order_rows(1, dt.date(2021, 3, 10), technician=tech.username, customer="C-1", unit="U-1")
    rows[0]["service_type"] = "maintenance"
    done = {
        "kind": "maintenance",
        "id": "M-1",
        "at": "2021-03-10T15:30:00+08:00",
        "unit": "U-1",
        "order": "WO-1",
    }
    return legacy_rows(technician=tech.username, years=0)[:3] + rows[:8] + [done] + rows[8:]


def test_the_maintenance_row_is_checked_like_any_other():
    line = {"kind": "maintenance", "at": "2021-03-10T15:30:00+08:00", "unit": "U-1"}
    checks = fmt.check_rows(fmt.read_lines(jsonl([line])), set())
    assert not checks[0].ok
    assert ("missing", {"field": "order"}) in checks[0].problems


def test_a_service_done_in_the_source_is_the_plans_last_service(importer, tech, plan):
    job = _apply(importer, jsonl(_rows(tech)))
    assert job.refused == 0, list(job.issues.values_list("line", "params"))
    visit = MaintenanceVisit.objects.get()
    assert ExternalRef.objects.get(kind="maintenance", external_id="M-1").object_id == visit.pk
    assert (visit.state, visit.seq, visit.done_on) == ("done", 1, dt.date(2021, 3, 10))
    assert visit.rule == plan["first"] and visit.plan == plan["plan"]
    assert visit.order.events.get(action="maintenance_done").source == "import"
    unit = InstalledUnit.objects.get(serial="KF2101000009")
    the_plan = plan["plan"]
    facts = maintenance.facts_for(unit, the_plan)
    assert facts.last_done is not None and facts.last_done.on == dt.date(2021, 3, 10)
    due = schedule.next_due(
        maintenance.rules_of(the_plan),
        facts,
        maintenance.timing_of(the_plan, unit),
        is_working=lambda day: True,
    )
    # The periodic service (every 6 months) counts from the service done, not the start.
    assert due is not None and due.seq == 2 and due.on == dt.date(2021, 9, 10)
    # Once: the same file again adds nothing.
    again = _apply(importer, jsonl(_rows(tech)))
    assert again.applied == 0 and MaintenanceVisit.objects.count() == 1
    # Exported in the same shape, after the order's completion.
    out = history_export(actor=importer)
    exported = out.rows
    row = next(r for r in exported if r["kind"] == "maintenance")
    assert row == {
        "kind": "maintenance",
        "id": "M-1",
        "at": "2021-03-10T07:00:00+00:00",
        "unit": "U-1",
        "order": "WO-1",
    }
    kinds = [(r["kind"], r.get("action")) for r in exported if r.get("order") == "WO-1"]
    assert kinds.index(("maintenance", None)) == kinds.index(("event", "complete")) + 1
    assert all(c.ok for c in fmt.check_rows(fmt.read_lines(out.text()), set()))


def test_a_service_done_for_a_unit_without_a_plan_is_refused(importer, tech):
    job = _apply(importer, jsonl(_rows(tech)))
    assert job.refused == 1
    issue = job.issues.get()
    assert issue.external_id == "M-1" and issue.params["code"] == "no_plan"


def test_a_service_done_in_the_source_updates_the_units_schedule_at_once(importer, tech, plan):
    """The projection (`UnitSchedule`) counts from the service done when it is recorded, not at
    the next generation run; recording it orders nothing."""
    job = _apply(importer, jsonl(_rows(tech)))
    assert job.refused == 0, list(job.issues.values_list("line", "params"))
    unit = InstalledUnit.objects.get(serial="KF2101000009")
    row = UnitSchedule.objects.get(unit=unit, plan=plan["plan"])
    assert (row.seq, row.due_on, row.state) == (2, dt.date(2021, 9, 10), "waiting")
    assert row.updated_at == dt.datetime(2021, 3, 10, 7, 30, tzinfo=dt.UTC)  # the row's time
    assert ServiceOrder.objects.count() == 1  # the imported order only
