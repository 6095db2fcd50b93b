"""Applying a legacy file: through the actions, at the original times, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.customers.models import Customer, InstalledUnit, MeterReading
from aftersales.feedback.models import Complaint, FollowUpResult
from aftersales.imports import actions
from aftersales.imports.models import ExternalRef, ImportIssue, ImportStatus
from aftersales.imports.tests.legacy import jsonl, legacy_rows, order_rows
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


def _apply(importer: Any, text: str, **kw: Any) -> Any:
    job = actions.history_import_create(actor=importer, name="legacy.jsonl", data=text.encode())
    return actions.history_import_apply(import_id=job.pk, **kw)


def _counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "units": InstalledUnit.objects.count(),
        "orders": ServiceOrder.objects.count(),
        "events": OrderEvent.objects.count(),
        "results": FollowUpResult.objects.count(),
        "complaints": Complaint.objects.count(),
        "readings": MeterReading.objects.count(),
        "messages": OutboxMessage.objects.count(),
    }


def test_three_years_of_orders_import_through_the_actions_with_their_original_times(importer, tech):
    job = _apply(importer, jsonl(legacy_rows(technician=tech.username)))
    assert job.status == ImportStatus.DONE
    assert (job.total, job.applied, job.refused, job.gaps) == (65, 65, 0, 0)
    orders = list(ServiceOrder.objects.filter(customer__name="王五").order_by("created_at"))
    assert len(orders) == 6
    first = orders[0]
    assert first.created_at == dt.datetime(2021, 3, 10, 1, 0, tzinfo=dt.UTC)
    assert first.status == "closed" and first.technician_id == tech.pk
    assert first.responded_at == dt.datetime(2021, 3, 10, 2, 20, tzinfo=dt.UTC)
    assert first.arrived_at == dt.datetime(2021, 3, 10, 6, 0, tzinfo=dt.UTC)
    assert first.completed_at == dt.datetime(2021, 3, 10, 7, 0, tzinfo=dt.UTC)
    events = list(first.events.order_by("at", "id"))
    assert {e.source for e in events} == {"import"}
    assert events[0].at == first.created_at
    assert [e for e in events if e.kind == "transition"][-1].to_status == "closed"
    assert [e.action for e in events if e.kind == "transition"] == [
        "dispatch",
        "assign",
        "accept",
        "depart",
        "arrive",
        "complete",
        "follow_up",
        "close",
    ]
    assert orders[-1].created_at.year == 2023
    # 三包 saw the earlier repairs of the same unit: the decision is made at each order's time.
    assert all(o.warranty_decision for o in orders)
    # Replayed messages are kept, never sent.
    assert not OutboxMessage.objects.exclude(status="suppressed").exists()
    complaint = Complaint.objects.get()
    assert complaint.status == "investigating"
    assert complaint.created_at == dt.datetime(2022, 5, 2, 1, 0, tzinfo=dt.UTC)
    ref = ExternalRef.objects.get(kind="order", external_id="WO-1")
    assert ref.object_id == first.pk and ref.company_id == importer.company_id


def test_a_second_import_of_the_same_file_changes_nothing(importer, tech):
    text = jsonl(legacy_rows(technician=tech.username, years=1))
    _apply(importer, text)
    before = _counts()
    again = _apply(importer, text)
    assert _counts() == before
    assert again.skipped == again.total and again.applied == 0


def test_an_illegal_transition_in_the_source_is_refused_with_its_row(importer, tech):
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    # The source says the technician checked in before departing: not a legal step.
    rows[4], rows[5] = rows[5], rows[4]
    rows[4]["at"], rows[5]["at"] = rows[5]["at"], rows[4]["at"]
    text = jsonl(legacy_rows(technician=tech.username, years=0)[:3] + rows)
    job = _apply(importer, text)
    issues = list(ImportIssue.objects.filter(history_import=job).exclude(code="gap"))
    check_in_line = 3 + 5  # three records, then the order's fifth row
    assert issues[0].line == check_in_line
    assert issues[0].code == "action_refused" and issues[0].params["code"] == "illegal_transition"
    order = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1").object_id)
    # Nothing of the refused row is stored; the next legal step (depart) is.
    assert not order.events.filter(action="arrive").exists()
    assert order.events.filter(action="depart").exists()


def test_a_completion_without_a_check_in_is_recorded_as_a_gap_not_invented(importer, tech):
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    rows = [r for r in rows if r.get("action") not in ("check_in", "diagnosis")][:6]
    job = _apply(importer, jsonl(legacy_rows(technician=tech.username, years=0)[:3] + rows))
    assert job.gaps == 1
    order = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1").object_id)
    assert order.status == "en_route" and order.arrived_at is None
    gap = order.events.get(action="import_gap")
    assert gap.payload["missing"] == "check_in" and gap.source == "import"


def test_the_years_the_file_covers_are_on_the_working_calendar(importer, tech):
    """Orders of 2021 get their due times from 2021's holiday schedule, loaded by the import
    (a new company has the last two years only), not provisional ones; the admins are not
    told of a missing year."""
    from aftersales.calendars.models import CalendarDay, CalendarYear

    company = importer.company
    assert not CalendarYear.objects.filter(company=company, year=2021).exists()
    before = actions.history_check(actor=importer, text=jsonl(legacy_rows(technician="x")))
    assert before.rows  # the dry run loads them in its own rolled-back transaction
    assert not CalendarYear.objects.filter(company=company, year=2021).exists()
    _apply(importer, jsonl(legacy_rows(technician=tech.username)))
    years = set(CalendarYear.objects.filter(company=company).values_list("year", flat=True))
    assert {2021, 2022, 2023} <= years
    # 2021-10-01 (National Day) is a holiday of the company's calendar now
    assert CalendarDay.objects.filter(company=company, date=dt.date(2021, 10, 1)).exists()
    assert not ServiceOrder.objects.filter(due_provisional=True).exists()
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="calendar-missing").exists()


def test_a_dry_run_writes_nothing_and_reports_every_row(importer, tech):
    rows = legacy_rows(technician=tech.username, years=1)
    rows.append({"kind": "event", "order": "WO-404", "action": "accept", "at": "2023-01-01"})
    before = _counts()
    refs = ExternalRef.objects.count()
    report = actions.history_check(actor=importer, text=jsonl(rows))
    assert _counts() == before and ExternalRef.objects.count() == refs
    assert report.count("create") == len(rows) - 1 and report.count("refuse") == 1
    assert "WO-404" in report.rows[-1].messages[0]


def test_a_crash_mid_import_resumes_without_duplicates(importer, tech):
    text = jsonl(legacy_rows(technician=tech.username, years=2))
    job = actions.history_import_create(actor=importer, name="legacy.jsonl", data=text.encode())
    with pytest.raises(RuntimeError):
        actions.history_import_apply(import_id=job.pk, batch=10, fail_after=25)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and job.done_line == 20
    assert ExternalRef.objects.filter(company=importer.company).count() == 20
    done = actions.history_import_apply(import_id=job.pk, batch=10)
    assert done.status == ImportStatus.DONE and done.done == done.total
    assert ServiceOrder.objects.filter(customer__name="王五").count() == 4
    assert OrderEvent.objects.filter(action="complete").count() == 4
    fresh = _apply(importer, text)
    assert fresh.skipped == fresh.total


def _with_part(tech: Any, part: str, quantity: int = 1) -> str:
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    used = {
        "kind": "event",
        "order": "WO-1",
        "action": "part_used",
        "at": "2022-01-04T14:40:00+08:00",
        "part": part,
        "quantity": quantity,
        "old_serial": "OLD-1",
    }
    return jsonl(legacy_rows(technician=tech.username, years=0)[:3] + rows[:7] + [used] + rows[7:])


def test_a_part_used_comes_out_of_the_van_through_the_ledger(importer, stock, people):
    from aftersales.core import clock
    from aftersales.parts import actions as stock_actions
    from aftersales.parts.models import StockMove

    tech = people["tech"]
    # The ledger is read at the replayed moment: the van must have held the part then.
    with clock.at(dt.datetime(2021, 12, 1, tzinfo=dt.UTC)):
        stock_actions.stock_receive(
            actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=3
        )
    job = _apply(importer, _with_part(tech, "CAP-35"))
    assert (job.refused, job.gaps) == (0, 0), list(job.issues.values_list("line", "params"))
    move = StockMove.objects.get(kind="issue", old_serial="OLD-1")
    assert move.quantity == -1 and move.at == dt.datetime(2022, 1, 4, 6, 40, tzinfo=dt.UTC)


def test_a_part_the_van_does_not_hold_is_refused_by_the_ledger(importer, stock, people):
    job = _apply(importer, _with_part(people["tech"], "CAP-35", quantity=5))
    issue = ImportIssue.objects.get(history_import=job)
    assert issue.code == "action_refused" and issue.line == 11


def test_pauses_cancellations_and_reopenings_replay_with_their_reasons(importer, tech):
    base = legacy_rows(technician=tech.username, years=0)[:3]
    first = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    first = first[:8]  # completed, no follow-up
    more = [
        {
            "kind": "event",
            "order": "WO-1",
            "action": "reopen",
            "at": "2022-01-10T09:00+08:00",
            "reason": "又不制冷了",
            "new_order": "WO-1R",
        },
        {
            "kind": "event",
            "order": "WO-1R",
            "action": "dispatch",
            "at": "2022-01-10T10:00+08:00",
            "station": "sh-1",
        },
        {
            "kind": "event",
            "order": "WO-1R",
            "action": "pause_customer",
            "at": "2022-01-10T11:00+08:00",
            "reason": "客户出差",
        },
        {"kind": "event", "order": "WO-1R", "action": "resume", "at": "2022-01-17T09:00+08:00"},
        {
            "kind": "event",
            "order": "WO-1R",
            "action": "cancel",
            "at": "2022-01-18T09:00+08:00",
            "reason": "客户自行处理",
        },
    ]
    job = _apply(importer, jsonl(base + first + more))
    assert (job.refused, job.gaps) == (0, 0), list(job.issues.values_list("line", "params"))
    again = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1R").object_id)
    assert again.reopened_from.number and again.status == "cancelled"
    assert again.created_at == dt.datetime(2022, 1, 10, 1, 0, tzinfo=dt.UTC)
    assert again.cancel_reason == "客户自行处理"
    pause = again.pauses.get()
    assert pause.ended_at - pause.started_at == dt.timedelta(days=6, hours=22)


def _charged_order(n: int, day: dt.date, technician: str, amount: str | None) -> list[dict]:
    rows = order_rows(n, day, technician=technician, customer="C-1", unit="U-1")
    steps = [
        {
            "kind": "event",
            "order": f"WO-{n}",
            "action": "charge",
            "reason": "非三包",
            "at": f"{day.isoformat()}T14:45:00+08:00",
            "items": [{"fee_item": "LAB", "quantity": 1}],
        }
    ]
    if amount is not None:
        steps.append(
            {
                "kind": "event",
                "order": f"WO-{n}",
                "id": f"PAY-{n}",
                "action": "payment",
                "amount": amount,
                "method": "qr",
                "at": f"{day.isoformat()}T14:50:00+08:00",
            }
        )
    return rows[:7] + steps + rows[7:]


def test_charges_and_payments_import_into_the_customers_account_at_their_times(importer, tech):
    from decimal import Decimal

    from aftersales.billing.customers import customer_account
    from aftersales.fieldwork.models import FeeItem, Quote, Receipt

    FeeItem.objects.create(
        company=importer.company, code="LAB", name="人工费", kind="labour", price=Decimal("80.00")
    )
    base = legacy_rows(technician=tech.username, years=0)[:3]
    text = jsonl(
        base
        + _charged_order(1, dt.date(2022, 1, 4), tech.username, "80.00")
        + _charged_order(2, dt.date(2022, 3, 8), tech.username, None)  # charged, not paid
        + _charged_order(3, dt.date(2022, 5, 9), tech.username, "70.00")  # not the total
    )
    job = _apply(importer, text)
    assert job.gaps == 0 and job.refused == 1, list(job.issues.values_list("line", "params"))
    assert job.issues.get().params["code"] == "invalid"
    receipt = Receipt.objects.get()
    assert receipt.paid_at == dt.datetime(2022, 1, 4, 6, 50, tzinfo=dt.UTC)
    assert (receipt.amount, receipt.method) == (Decimal("80.00"), "qr")
    assert receipt.reference == "import:PAY-1"
    assert receipt.quote.status == "paid" and receipt.quote.accepted_at is not None
    assert ExternalRef.objects.get(kind="event", external_id="PAY-1").object_id == receipt.pk
    payment = receipt.order.events.get(action="payment")
    assert payment.source == "import" and payment.at == receipt.paid_at
    customer = Customer.objects.get(phone="13700001111")

    def account() -> Any:
        return customer_account(customer, ServiceOrder.objects.all())

    first = account()
    assert (first.charged, first.paid, first.balance) == (
        Decimal("240.00"),
        Decimal("80.00"),
        Decimal("160.00"),
    )
    # The same file again: nothing added, the balance unchanged.
    again = _apply(importer, text)
    assert again.applied == 0 and Receipt.objects.count() == 1
    assert Quote.objects.filter(status__in=("accepted", "paid")).count() == 3
    second = account()
    assert (second.charged, second.paid, second.balance) == (
        first.charged,
        first.paid,
        first.balance,
    )


def test_a_payment_without_a_charge_before_it_is_a_gap_holding_its_data(importer, tech):
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    paid = {
        "kind": "event",
        "order": "WO-1",
        "action": "payment",
        "amount": "80.00",
        "method": "cash",
        "at": "2022-01-04T14:50:00+08:00",
    }
    base = legacy_rows(technician=tech.username, years=0)[:3]
    job = _apply(importer, jsonl(base + rows[:7] + [paid] + rows[7:8]))
    assert job.refused == 0 and job.gaps == 1
    order = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1").object_id)
    gap = order.events.get(action="import_gap", payload__missing="charge")
    assert gap.payload["step"]["amount"] == "80.00"


def test_an_imported_completion_closes_the_service_record_and_notes_the_missing_signature(
    importer, tech
):
    from aftersales.dispatch.models import Visit
    from aftersales.fieldwork.models import ServiceRecord, Signature

    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    job = _apply(importer, jsonl(legacy_rows(technician=tech.username, years=0)[:3] + rows))
    assert job.refused == 0 and job.gaps == 0
    order = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1").object_id)
    record = ServiceRecord.objects.get(order=order)
    # The same end state as a live finish: the record is finished with the result, the visit
    # ended, at the source's completion time; no signature is invented.
    assert record.finished_at == dt.datetime(2022, 1, 4, 7, 0, tzinfo=dt.UTC)
    assert record.result == "fixed" and record.diagnosis == "冷媒不足"
    assert not Visit.objects.filter(order=order, ended_at__isnull=True).exists()
    assert not Signature.objects.exists()
    gap = order.events.get(action="import_gap")
    assert gap.payload["missing"] == "signature" and gap.source == "import"
    assert gap.at == record.finished_at
    # In the language active when it was written (the suite may run in either).
    assert any(
        w in gap.reason for w in ("no customer signature in the source", "源数据中没有客户签字")
    )
