"""Visits that did not go to plan: a declined assignment, an appointment called off, a customer
absent (after a call) — replayed through the technician's actions with the live rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.imports import actions
from aftersales.imports import format as fmt
from aftersales.imports.export import history_export
from aftersales.imports.tests.legacy import at, jsonl, legacy_rows
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 3, 10)
NEXT = DAY + dt.timedelta(days=1)


def _apply(actor: Any, text: str, staff: dict[str, str] | None = None) -> Any:
    job = actions.history_import_create(
        actor=actor, name="legacy.jsonl", data=text.encode(), staff=staff
    )
    return actions.history_import_apply(import_id=job.pk)


def _event(order: str, action: str, moment: str, **more: Any) -> dict[str, Any]:
    return {"kind": "event", "order": order, "action": action, "at": moment, **more}


def bumpy(tech: str) -> list[dict[str, Any]]:
    o = "WO-B"
    return [
        {
            "kind": "order",
            "id": o,
            "at": at(DAY, 9),
            "customer": "C-1",
            "unit": "U-1",
            "fault": "漏水",
        },
        _event(o, "dispatch", at(DAY, 9, 10), station="sh-1"),
        _event(o, "assign", at(DAY, 9, 20), technician=tech),
        _event(o, "decline", at(DAY, 9, 30), reason="不在服务区域"),
        _event(o, "assign", at(DAY, 9, 40), technician=tech),
        _event(o, "accept", at(DAY, 9, 50)),
        _event(o, "depart", at(DAY, 13)),
        _event(o, "check_in", at(DAY, 14)),
        _event(o, "call", at(DAY, 14, 20), reason="无人接听"),
        _event(o, "no_show", at(DAY, 14, 40), reason="客户不在家"),
        _event(o, "assign", at(NEXT, 8), technician=tech),
        _event(o, "accept", at(NEXT, 8, 10)),
        _event(o, "cannot_keep", at(NEXT, 8, 30), reason="车辆故障"),
        _event(o, "assign", at(NEXT, 9), technician=tech),
        _event(o, "accept", at(NEXT, 9, 10)),
        _event(o, "depart", at(NEXT, 13)),
        _event(o, "check_in", at(NEXT, 14)),
        _event(o, "complete", at(NEXT, 15), result="fixed"),
    ]


def test_decline_and_cannot_keep_need_a_reason():
    rows = [_event("WO-1", "decline", at(DAY, 9)), _event("WO-1", "cannot_keep", at(DAY, 10))]
    checks = fmt.check_rows(fmt.read_lines(jsonl(rows)), {("order", "WO-1")})
    assert [c.problems for c in checks] == [[("reason_needed", {})], [("reason_needed", {})]]


def test_a_bumpy_visit_history_is_replayed_with_the_live_rules(importer, tech):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + bumpy(tech.username)
    job = _apply(importer, jsonl(rows))
    assert job.refused == 0 and job.gaps == 0, list(job.issues.values_list("line", "params"))
    order = ServiceOrder.objects.get()
    assert order.status == Status.COMPLETED
    moves = list(
        order.events.filter(kind="transition").order_by("at", "pk").values_list("action", "reason")
    )
    assert ("decline", "不在服务区域") in moves and ("cannot_keep", "车辆故障") in moves
    assert ("no_show", "客户不在家") in moves
    call = order.events.get(action="call_attempt")
    assert (call.reason, call.at, call.source) == (
        "无人接听",
        dt.datetime(2022, 3, 10, 6, 20, tzinfo=dt.UTC),
        "import",
    )
    # the appointment called off 5½ hours before a window-less visit is not a late notice
    assert order.events.get(action="notice").payload["late_notice"] is False
    # exported in the same shape, nothing left out; imported again into the same company,
    # every row is already there
    out = history_export(actor=importer)
    actions_out = [r["action"] for r in out.rows if r["kind"] == "event"]
    assert [a for a in actions_out if a in ("decline", "call", "no_show", "cannot_keep")] == [
        "decline",
        "call",
        "no_show",
        "cannot_keep",
    ]
    assert out.skipped == 0


def test_a_no_show_without_a_call_is_a_gap_and_too_early_is_refused(importer, tech):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + bumpy(tech.username)[:8]
    early = _event("WO-B", "no_show", at(DAY, 14, 10), reason="客户不在家")
    job = _apply(importer, jsonl([*rows, early]))
    issue = job.issues.get(line=len(rows) + 1)
    # ten minutes after the check-in: the live wait (30 minutes) has not passed
    assert issue.code == "action_refused" and issue.params["code"] == "too_early"
    late = _event("WO-B", "no_show", at(DAY, 15), reason="客户不在家")
    job = _apply(importer, jsonl([*rows, late]))
    issue = job.issues.get(line=len(rows) + 1)
    assert issue.code == "gap" and job.gaps == 1
    order = ServiceOrder.objects.get()
    assert order.status == Status.ON_SITE  # the no-show is not recorded without the call
    note = order.events.get(action="import_gap")
    assert note.payload["missing"] == "call" and note.payload["step"]["action"] == "no_show"


def test_the_bumpy_history_makes_the_round_trip(importer, tech):
    from aftersales.imports.tests.test_round_trip import _empty_company

    rows = legacy_rows(technician=tech.username, years=0)[:3] + bumpy(tech.username)
    assert _apply(importer, jsonl(rows)).refused == 0
    fresh = _empty_company()
    out = history_export(actor=importer)
    again = _apply(fresh["admin"], out.text(), staff={tech.username: fresh["tech"].username})
    assert again.refused == 0 and again.gaps == 0

    def steps(company: Any) -> list[Any]:
        order = ServiceOrder.objects.get(company=company)
        return list(order.events.order_by("at", "pk").values_list("kind", "action", "at", "reason"))

    assert steps(fresh["company"]) == steps(importer.company)
