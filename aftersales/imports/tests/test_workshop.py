"""Workshop jobs in the history: walk-in and mail-in repairs replayed through the counter's and
the bench's actions at their own times, and exported in the same shape."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from aftersales.accounts.choices import Role
from aftersales.fieldwork.choices import QuoteStatus
from aftersales.fieldwork.models import FeeItem, Quote, Receipt
from aftersales.imports import actions
from aftersales.imports import format as fmt
from aftersales.imports.export import history_export
from aftersales.imports.models import ExternalRef
from aftersales.imports.tests.legacy import at, jsonl, legacy_rows
from aftersales.imports.tests.legacy import walk_in as legacy_walk_in
from aftersales.notifications.models import OutboxMessage, OutboxStatus
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder
from aftersales.workshop.models import WorkshopEvent, WorkshopJob

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 6, 6)


def _apply(importer: Any, text: str) -> Any:
    job = actions.history_import_create(actor=importer, name="legacy.jsonl", data=text.encode())
    return actions.history_import_apply(import_id=job.pk)


def _issues(job: Any) -> list[Any]:
    return list(job.issues.values_list("line", "code", "params"))


@pytest.fixture
def fee(data: dict[str, Any]) -> Any:
    return FeeItem.objects.create(
        company=data["company"], code="L1", name="维修工时", kind="labour", price=Decimal("80.00")
    )


@pytest.fixture
def checker(make_user: Any) -> Any:
    return make_user(Role.STATION_MANAGER)


def _step(n: int, action: str, hour: int, minute: int = 0, **more: Any) -> dict[str, Any]:
    return {
        "kind": "workshop_step",
        "job": f"WS-{n}",
        "action": action,
        "at": at(DAY, hour, minute),
        **more,
    }


def walk_in(n: int, tech: str, checker: str) -> list[dict[str, Any]]:
    """A unit brought to the counter, repaired for a fee and picked up the same day."""
    return legacy_walk_in(f"WO-W{n}", f"WS-{n}", DAY, technician=tech, checker=checker)


def mail_in(n: int, tech: str) -> list[dict[str, Any]]:
    """A unit mailed in, its quote declined, shipped back unrepaired and delivered."""
    return [
        {
            "kind": "order",
            "id": f"WO-M{n}",
            "at": at(DAY, 8),
            "customer": "C-1",
            "unit": "U-1",
            "channel": "portal",
            "fault": "噪音大",
        },
        {
            "kind": "workshop",
            "id": f"WS-{n}",
            "at": at(DAY, 8, 1),
            "order": f"WO-M{n}",
            "station": "sh-1",
            "route": "courier",
            "return_method": "ship",
            "return_address": "上海市徐汇区漕溪北路1号",
        },
        _step(n, "receive", 15, condition="完好", accessories=["电源线"]),
        _step(n, "diagnose", 16, by=tech),
        _step(n, "quote", 16, 30, items=[{"fee_item": "L1", "quantity": 2}]),
        _step(n, "decline_quote", 17, reason="太贵"),
        _step(n, "ship_back", 17, 30, carrier="顺丰", tracking_no="SF1234567890"),
        {**_step(n, "deliver", 9), "at": at(DAY + dt.timedelta(days=2), 9)},
    ]


def test_the_workshop_rows_are_checked_like_any_other():
    rows = [
        {
            "kind": "workshop",
            "id": "WS-1",
            "at": at(DAY, 9),
            "order": "WO-1",
            "station": "sh-1",
            "route": "by_air",
        },
        _step(1, "polish", 10),
        _step(1, "wait_parts", 11),
        _step(1, "ship_back", 12, carrier="顺丰"),
    ]
    checks = fmt.check_rows(fmt.read_lines(jsonl(rows)), {("order", "WO-1")})
    assert ("bad_value", {"field": "route", "value": "by_air"}) in checks[0].problems
    assert ("bad_value", {"field": "action", "value": "polish"}) in checks[1].problems
    assert ("reason_needed", {}) in checks[2].problems
    assert ("missing", {"field": "tracking_no"}) in checks[3].problems
    assert ("missing", {"field": "carrier"}) not in checks[3].problems
    # the steps of a refused job are refused with it
    assert ("ref_refused", {"field": "job", "line": 1}) in checks[3].problems
    # a step of the job cannot go back before its order's last step
    order = {"kind": "order", "id": "WO-1", "at": at(DAY, 8), "customer": "C-1"}
    late = {"kind": "event", "order": "WO-1", "action": "triage", "at": at(DAY, 12)}
    job = {**rows[0], "route": "counter"}
    early = _step(1, "diagnose", 11)
    checks = fmt.check_rows(fmt.read_lines(jsonl([order, job, late, early])), {("customer", "C-1")})
    assert [c.ok for c in checks] == [True, True, True, False]
    assert checks[3].problems[0][0] == "time_back"
    # before the job's own last step too: said once
    again = _step(1, "diagnose", 8)
    checks = fmt.check_rows(
        fmt.read_lines(jsonl([order, job, early, again])), {("customer", "C-1")}
    )
    assert [code for code, _params in checks[3].problems] == ["time_back"]


def test_a_walk_in_repair_is_replayed_through_the_counter_and_the_bench(
    importer, tech, checker, fee
):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + walk_in(
        1, tech.username, checker.username
    )
    job = _apply(importer, jsonl(rows))
    assert job.refused == 0, _issues(job)
    ws = WorkshopJob.objects.get(
        pk=ExternalRef.objects.get(kind="workshop", external_id="WS-1").object_id
    )
    assert (ws.status, ws.route, ws.outcome, ws.condition) == (
        "handed_over",
        "counter",
        "repaired",
        "外壳有划痕",
    )
    assert ws.technician == tech and ws.picked_up_by == "王五"
    assert ws.received_at == dt.datetime(2022, 6, 6, 1, 5, tzinfo=dt.UTC)
    assert ws.picked_up_at == dt.datetime(2022, 6, 6, 8, 1, tzinfo=dt.UTC)
    # the job's events are the live rows, at the source's times, marked as imported
    events = list(ws.events.order_by("at", "pk").values_list("action", "actor__username", "source"))
    assert [e[0] for e in events] == [
        "created",
        "diagnose",
        "quote",
        "accept_quote",
        "start_repair",
        "finish_repair",
        "qc_pass",
        "payment",
        "hand_over",
    ]
    assert {e[2] for e in events} == {"import"}
    assert ("qc_pass", checker.username, "import") in events
    hand_over = ws.events.get(action="hand_over")
    assert hand_over.payload["recorded"] is True
    # the order went through the workshop: on the bench, completed at the quality check
    order = ws.order
    assert order.status == Status.COMPLETED and order.technician == tech
    assert order.completed_at == dt.datetime(2022, 6, 6, 4, 30, tzinfo=dt.UTC)
    assert order.events.filter(action="import_gap", payload__missing="signature").count() == 1
    quote = Quote.objects.get(order=order)
    assert (quote.status, quote.total) == (QuoteStatus.PAID, Decimal("80.00"))
    receipt = Receipt.objects.get(order=order)
    assert receipt.amount == Decimal("80.00") and receipt.paid_at.date() == DAY
    # the customer heard of nothing in the past: the "ready" message is kept as suppressed
    ready = OutboxMessage.objects.filter(event="workshop_ready")
    assert ready.exists() and set(ready.values_list("status", flat=True)) == {
        OutboxStatus.SUPPRESSED
    }
    # a second import of the same file changes nothing
    again = _apply(importer, jsonl(rows))
    assert again.applied == 0 and again.refused == 0
    assert WorkshopEvent.objects.filter(job=ws).count() == len(events)


def test_a_mail_in_declined_and_shipped_back(importer, tech, fee):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + mail_in(2, tech.username)
    job = _apply(importer, jsonl(rows))
    assert job.refused == 0, _issues(job)
    ws = WorkshopJob.objects.get(order__number__isnull=False, route="courier")
    assert (ws.status, ws.outcome, ws.accessories) == ("delivered", "unrepaired", ["电源线"])
    assert ws.received_at == dt.datetime(2022, 6, 6, 7, 0, tzinfo=dt.UTC)
    assert ws.order.status == Status.CANCELLED
    shipment = ws.shipments.get(direction="outbound")
    assert (shipment.carrier, shipment.tracking_no) == ("顺丰", "SF1234567890")
    assert shipment.received_at == dt.datetime(2022, 6, 8, 1, 0, tzinfo=dt.UTC)


def test_the_live_rules_hold_for_imported_jobs(importer, tech, fee, data):
    from aftersales.workshop.models import WorkshopStation

    # This station's quality check is done by someone who did not repair the unit.
    WorkshopStation.objects.create(station=data["s1"], qc_by_other=True)
    rows = legacy_rows(technician=tech.username, years=0)[:3] + walk_in(
        3, tech.username, tech.username
    )
    del rows[5]["by"]  # diagnose: nobody named, and the job has no technician yet
    job = _apply(importer, jsonl(rows))
    refused = {line: params for line, code, params in _issues(job) if code == "action_refused"}
    # line 6 (diagnose) is refused saying what to give; the steps after it cannot happen
    assert "by:" in refused[6]["detail"]
    assert sorted(refused) == list(range(6, len(rows) + 1))
    assert WorkshopJob.objects.get().status == "received"
    # The row fixed and the file imported again: the job goes on, up to the quality check
    # by the technician who repaired it, which this station refuses.
    rows[5]["by"] = tech.username
    again = _apply(importer, jsonl(rows))
    refused = {line: params for line, code, params in _issues(again) if code == "action_refused"}
    assert refused[12]["code"] == "qc_by_other"
    assert WorkshopJob.objects.get().status == "quality_check"
    assert again.skipped == 5 and ServiceOrder.objects.count() == 1


def test_a_hand_over_without_a_payment_is_recorded_with_its_gap(importer, tech, checker, fee):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + walk_in(
        4, tech.username, checker.username
    )
    rows = [r for r in rows if r.get("action") != "payment"]
    job = _apply(importer, jsonl(rows))
    assert job.refused == 0, _issues(job)
    ws = WorkshopJob.objects.get()
    assert ws.status == "handed_over"
    gaps = set(
        ws.order.events.filter(action="import_gap").values_list("payload__missing", flat=True)
    )
    assert gaps == {"signature", "payment"}
    assert Quote.objects.get(order=ws.order).status == QuoteStatus.PROPOSED


def _fresh_company() -> dict[str, Any]:
    """An empty company (the round trip's) with the fee item and a station manager."""
    from aftersales.accounts import actions as org
    from aftersales.imports.tests.test_round_trip import _empty_company

    fresh = _empty_company()
    FeeItem.objects.create(
        company=fresh["company"], code="L1", name="维修工时", kind="labour", price=Decimal("80.00")
    )
    org.user_create(
        actor=None,
        username="fresh-manager",
        password="pw-for-tests-1",
        role=Role.STATION_MANAGER,
        company=fresh["company"],
        station=fresh["tech"].station,
    )
    return fresh


def test_workshop_jobs_are_exported_in_the_same_shape_and_import_again(
    importer, tech, checker, fee
):
    from aftersales.imports.tests.test_round_trip import _import

    rows = (
        legacy_rows(technician=tech.username, years=0)[:3]
        + walk_in(5, tech.username, checker.username)
        + mail_in(6, tech.username)
    )
    assert _apply(importer, jsonl(rows)).refused == 0
    out = history_export(actor=importer)
    kinds = [r["kind"] for r in out.rows]
    assert kinds.count("workshop") == 2 and kinds.count("workshop_step") == 9 + 6
    # the job's steps replace the order steps the job made (bring-in, completion, the bench's
    # diagnosis and quote): none is counted as left out
    assert out.skipped == 0
    exported = {(r.get("job"), r["action"]): r for r in out.rows if r["kind"] == "workshop_step"}
    assert exported[("WS-5", "qc_pass")]["by"] == checker.username
    assert exported[("WS-5", "diagnosis")]["diagnosis"] == "电源板烧坏"
    assert exported[("WS-5", "quote")]["items"] == [{"fee_item": "L1", "quantity": 1}]
    assert exported[("WS-5", "payment")]["amount"] == "80.00"
    assert exported[("WS-6", "receive")]["accessories"] == ["电源线"]
    assert exported[("WS-6", "ship_back")]["tracking_no"] == "SF1234567890"
    assert not any(r["kind"] == "event" and r["order"] == "WO-W5" for r in out.rows)
    # into an empty company: the same jobs with the same steps at the same times
    fresh = _fresh_company()
    staff = {tech.username: fresh["tech"].username, checker.username: "fresh-manager"}
    again = _import(fresh["admin"], out.text(), staff=staff)
    assert again.refused == 0, _issues(again)

    def history(company: Any) -> list[Any]:
        return [
            (
                j.route,
                j.status,
                j.outcome,
                j.received_at,
                j.ready_at,
                j.returned_at,
                [(e.action, e.at) for e in j.events.order_by("at", "pk")],
                j.order.status,
                j.order.completed_at,
            )
            for j in WorkshopJob.objects.filter(company=company).order_by("created_at")
        ]

    assert history(fresh["company"]) == history(importer.company)
    paid = Receipt.objects.filter(order__company=fresh["company"]).values_list("amount", flat=True)
    assert list(paid) == [Decimal("80.00")]


def test_a_payment_taken_at_a_live_pickup_is_exported_before_the_hand_over(
    importer, tech, checker, fee
):
    from aftersales.fieldwork.tests.fixtures import drawn_signature
    from aftersales.imports.tests.test_round_trip import _import
    from aftersales.workshop import actions as workshop

    rows = legacy_rows(technician=tech.username, years=0)[:3] + walk_in(
        7, tech.username, checker.username
    )
    rows = [r for r in rows if r.get("action") not in ("payment", "hand_over")]
    assert _apply(importer, jsonl(rows)).refused == 0
    # picked up live at the counter: an ID document, a signature, the quote paid on the spot
    ws = WorkshopJob.objects.get()
    workshop.job_hand_over(
        actor=checker,
        job=ws,
        id_document="身份证 310***********1234",
        signature=drawn_signature(),
        payment_method="cash",
        amount="80.00",
    )
    out = history_export(actor=importer)
    tail = [(r["action"], r.get("amount")) for r in out.rows if r["kind"] == "workshop_step"][-2:]
    assert tail == [("payment", "80.00"), ("hand_over", None)]
    fresh = _fresh_company()
    staff = {tech.username: fresh["tech"].username, checker.username: "fresh-manager"}
    again = _import(fresh["admin"], out.text(), staff=staff)
    assert again.refused == 0, _issues(again)
    moved = WorkshopJob.objects.get(company=fresh["company"])
    assert (
        moved.status == "handed_over" and moved.picked_up_at == ws.events.get(action="hand_over").at
    )
    assert Receipt.objects.get(order=moved.order).amount == Decimal("80.00")


def test_an_imported_job_is_found_by_its_external_id_on_the_page(
    login, make_user, importer, tech, checker, fee
):
    rows = legacy_rows(technician=tech.username, years=0)[:3] + walk_in(
        8, tech.username, checker.username
    )
    assert _apply(importer, jsonl(rows)).refused == 0
    client = login(importer)
    listing = client.get("/history/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "送修工单" in listing  # the finder offers the kind, in the user's language
    found = client.get("/history/find/?kind=workshop&external_id=WS-8")
    job = WorkshopJob.objects.get()
    # an administrator (no workshop role) lands on the job's order instead
    assert found.status_code == 302 and found["Location"] == f"/orders/{job.order_id}/"
    assert client.get(found["Location"]).status_code == 200
    manager = make_user(Role.SERVICE_MANAGER)
    found = login(manager).get("/history/find/?kind=workshop&external_id=WS-8")
    assert found.status_code == 302 and found["Location"] == f"/workshop/jobs/{job.pk}/"
    page = login(manager).get(found["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and job.order.number in page.content.decode()
    # the recorded hand-over says so in the job's history
    assert "由其他系统记录，无客户签名" in page.content.decode()


def test_a_unit_taken_back_from_a_visit_makes_the_round_trip(importer, tech, checker, fee):
    from aftersales.imports.tests.legacy import order_rows
    from aftersales.imports.tests.test_round_trip import _import

    # in the unit's first year: free repair under 三包, the warranty confirmed on the bench
    day = dt.date(2021, 6, 7)

    def step(action: str, hour: int, minute: int = 0, **more: Any) -> dict[str, Any]:
        return {**_step(9, action, hour, minute, **more), "at": at(day, hour, minute)}

    visit = order_rows(9, day, technician=tech.username, customer="C-1", unit="U-1")[:7]
    # a call-out fee charged and paid on site, before the unit went to the workshop
    visit += [
        {
            "kind": "event",
            "id": "CH-9",
            "order": "WO-9",
            "action": "charge",
            "at": at(day, 14, 45),
            "items": [{"fee_item": "L1", "quantity": 1}],
            "reason": "上门检测费",
        },
        {
            "kind": "event",
            "id": "PAY-9",
            "order": "WO-9",
            "action": "payment",
            "at": at(day, 14, 50),
            "amount": "80.00",
        },
    ]
    job = [
        {
            "kind": "workshop",
            "id": "WS-9",
            "at": at(day, 15),
            "order": "WO-9",
            "station": "sh-1",
            "route": "visit",
            "condition": "带回网点维修",
        },
        step("diagnose", 16, by=tech.username),
        step("diagnosis", 16, 30, diagnosis="压缩机损坏", cause="product_fault"),
        step("confirm_warranty", 16, 40),
        step("start_repair", 17),
        step("finish_repair", 18),
        step("qc_pass", 18, 30, by=checker.username),
        step("hand_over", 19),
    ]
    rows = legacy_rows(technician=tech.username, years=0)[:3] + visit + job
    done = _apply(importer, jsonl(rows))
    assert done.refused == 0, _issues(done)
    ws = WorkshopJob.objects.get()
    assert (ws.route, ws.status, ws.order.status) == ("visit", "handed_over", Status.COMPLETED)
    out = history_export(actor=importer)
    exported = [(r["kind"], r.get("action")) for r in out.rows if r.get("order") == "WO-9"]
    # the visit's steps stay order events; the bench's diagnosis is the job's
    assert ("event", "diagnosis") in exported and ("workshop", None) in exported
    assert ("event", "charge") in exported and ("event", "payment") in exported
    bench = next(r for r in out.rows if r.get("action") == "diagnosis" and "job" in r)
    assert bench["diagnosis"] == "压缩机损坏"
    fresh = _fresh_company()
    staff = {tech.username: fresh["tech"].username, checker.username: "fresh-manager"}
    again = _import(fresh["admin"], out.text(), staff=staff)
    assert again.refused == 0, _issues(again)
    moved = WorkshopJob.objects.get(company=fresh["company"])
    assert [(e.action, e.at) for e in moved.events.order_by("at", "pk")] == [
        (e.action, e.at) for e in ws.events.order_by("at", "pk")
    ]
    assert moved.order.completed_at == ws.order.completed_at
    paid = Receipt.objects.get(order=moved.order)
    assert (paid.amount, paid.paid_at) == (
        Decimal("80.00"),
        Receipt.objects.get(order=ws.order).paid_at,
    )


def test_a_step_by_someone_of_another_station_is_refused_saying_so(
    importer, tech, checker, fee, data, make_user
):
    elsewhere = make_user(Role.TECHNICIAN, station=data["s2"])
    rows = (
        legacy_rows(technician=tech.username, years=0)[:3]
        + walk_in(10, elsewhere.username, checker.username)[:3]
    )
    job = _apply(importer, jsonl(rows))
    issue = job.issues.get()
    assert (issue.line, issue.code) == (6, "action_refused")
    assert elsewhere.username in issue.params["detail"]
    assert "不在此送修单所属网点工作" in issue.params["detail"]  # the importer's language
    assert WorkshopJob.objects.get().status == "received"


def test_a_job_quote_with_a_contracts_coverage_is_left_out_of_the_export_and_counted(
    importer, tech, checker, fee, agent
):
    """A service contract's coverage adds a line with neither fee item nor part (the quote's
    hook): the format cannot name it, and without it the lines would charge the customer more
    than their account shows. The quote is left out and counted, never exported short."""
    from aftersales.customers.models import InstalledUnit
    from aftersales.fieldwork.models import QuoteLine
    from aftersales.maintenance import actions as maintenance

    head = legacy_rows(technician=tech.username, years=0)[:3]
    assert _apply(importer, jsonl(head)).refused == 0
    unit = InstalledUnit.objects.get(serial="KF2101000009")
    made = maintenance.contract_create(
        actor=agent,
        customer=unit.customer_id,
        units=[unit.pk],
        number="HT-2022-001",
        starts_on=dt.date(2022, 1, 1),
        ends_on=dt.date(2022, 12, 31),
        respond_minutes=60,
        resolve_minutes=480,
        parts_pct=0,
        labour_pct=50,
        travel_pct=0,
        visits_per_year=0,
    )
    maintenance.contract_transition(actor=agent, contract=made, action="activate")
    rows = [
        r
        for r in walk_in(9, tech.username, checker.username)
        if r.get("action") not in ("payment", "hand_over")
    ]
    assert _apply(importer, jsonl(head + rows)).refused == 0
    free = QuoteLine.objects.get(fee_item=None, part=None)  # the contract's half of labour
    quote = free.quote
    assert free.amount == Decimal("-40.00") and quote.total == Decimal("40.00")
    out = history_export(actor=importer)
    steps = [(r["job"], r["action"]) for r in out.rows if r["kind"] == "workshop_step"]
    assert ("WS-9", "diagnosis") in steps and ("WS-9", "quote") not in steps
    assert out.skipped == 1
