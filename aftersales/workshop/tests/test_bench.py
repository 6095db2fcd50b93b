"""Bench work: diagnosis on the service record, parts from the station's stock (not a van),
the quote from the fee schedule, tests, the same service report, payment at pickup."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.core.errors import ApplicationError
from aftersales.fieldwork.models import ServiceRecord
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import ReturnObligation, StockLevel
from aftersales.workshop import actions
from aftersales.workshop.choices import JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(stock):
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["station"], part=stock["capacitor"], quantity=5
    )
    return stock


def _approved(job, step, quoted):
    return step(quoted(step(job, "diagnose")), "accept_quote", who="agent")


def test_diagnosis_goes_on_the_orders_service_record(new_job, step, people) -> None:
    job = step(new_job(), "diagnose")
    actions.bench_diagnosis(
        actor=people["tech"], job=job, diagnosis="电源板烧毁", cause="product_fault"
    )
    record = ServiceRecord.objects.get(order_id=job.order_id)
    assert record.diagnosis == "电源板烧毁" and record.technician_id == people["tech"].pk


def test_part_from_the_station_shelf_not_a_van(new_job, step, quoted, people, shelf) -> None:
    job = step(_approved(new_job(), step, quoted), "start_repair")
    move = actions.bench_part_used(
        actor=people["tech"], job=job, part=shelf["capacitor"], quantity=1, old_serial="OLD-1"
    )
    assert move.warehouse_id == shelf["station"].pk and move.order_id == job.order_id
    level = StockLevel.objects.get(warehouse=shelf["station"], part=shelf["capacitor"])
    assert level.on_hand == 4
    assert job.events.filter(action="part_used").count() == 1
    # The bench permission is no way round the van rule for plain stock moves.
    with pytest.raises(ApplicationError) as exc:
        stock_actions.stock_issue(
            actor=people["tech"],
            warehouse=shelf["station"],
            part=shelf["capacitor"],
            quantity=1,
            order=job.order_id,
        )
    assert exc.value.code == "forbidden"


def test_free_repair_part_leaves_an_old_part_return(new_job, step, people, shelf) -> None:
    job = step(new_job(), "diagnose")
    order = job.order
    type(order).objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    job = step(step(job, "confirm_warranty"), "start_repair")
    actions.bench_part_used(actor=people["tech"], job=job, part=shelf["capacitor"])
    assert ReturnObligation.objects.filter(order_id=job.order_id).count() == 1


def test_no_parts_before_approval(new_job, step, people, shelf) -> None:
    job = step(new_job(), "diagnose")
    with pytest.raises(ApplicationError) as exc:
        actions.bench_part_used(actor=people["tech"], job=job, part=shelf["capacitor"])
    assert exc.value.code == "not_on_bench"


def test_other_stations_technician_cannot_use_the_shelf(new_job, step, quoted, people, shelf):
    job = step(_approved(new_job(), step, quoted), "start_repair")
    with pytest.raises(ApplicationError) as exc:
        actions.bench_part_used(actor=people["tech_north"], job=job, part=shelf["capacitor"])
    assert exc.value.status == 404


def test_test_results_are_recorded(new_job, step, quoted, people) -> None:
    job = step(_approved(new_job(), step, quoted), "start_repair")
    actions.bench_test(actor=people["tech"], job=job, name="通电测试", passed=True)
    event = job.events.get(action="test")
    assert event.payload == {"name": "通电测试", "passed": True, "note": ""}


def test_paid_work_is_paid_at_pickup_with_a_receipt(intake, step, quoted, people) -> None:
    job, code = intake()
    job = step(_approved(job, step, quoted), "start_repair")
    job = step(step(job, "finish_repair"), "qc_pass")
    sm = people["station_manager"]
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=sm, job=job, code=code, signature=drawn_signature())
    assert "amount" in exc.value.details["fields"]
    actions.job_hand_over(
        actor=sm,
        job=job,
        code=code,
        signature=drawn_signature(),
        payment_method="cash",
        amount=Decimal("80.00"),
    )
    job.refresh_from_db()
    assert job.status == JobStatus.HANDED_OVER
    assert job.order.receipts.get().amount == Decimal("80.00")
    assert job.events.get(action="hand_over").payload["receipt"].startswith("SF-")


def test_the_same_service_report_as_field_work(new_job, step, quoted, people) -> None:
    job = step(new_job(), "diagnose")
    actions.bench_diagnosis(
        actor=people["tech"], job=job, diagnosis="主板虚焊", cause="product_fault"
    )
    job = step(
        step(step(quoted(job), "accept_quote", who="agent"), "start_repair"), "finish_repair"
    )
    job = step(job, "qc_pass")
    c = Client()
    c.force_login(people["station_manager"])
    page = c.get(reverse("service-report", args=[job.order_id]))
    assert page.status_code == 200 and "主板虚焊" in page.content.decode()
    pdf = c.get(reverse("service-report-pdf", args=[job.order_id]))
    assert pdf["Content-Type"] == "application/pdf"


def test_bench_forms_on_the_job_page(new_job, step, quoted, people, shelf, fee) -> None:
    job = step(new_job(), "diagnose")
    c = Client()
    c.force_login(people["tech"])
    page = c.get(reverse("workshop-job", args=[job.pk]))
    assert page.context["bench"] and "维修工时" in page.content.decode()
    c.post(
        reverse("workshop-bench", args=[job.pk, "diagnosis"]),
        {"diagnosis": "按键失灵", "cause": "product_fault"},
    )
    c.post(
        reverse("workshop-bench", args=[job.pk, "quote"]),
        {"fee_item": [fee.pk], f"qty_{fee.pk}": "2", "reason": "维修"},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL
    assert job.order.quotes.get().total == Decimal("160.00")
    job = step(step(job, "accept_quote", who="agent"), "start_repair")
    c.post(
        reverse("workshop-bench", args=[job.pk, "part"]),
        {"part": shelf["capacitor"].pk, "quantity": "1"},
    )
    c.post(reverse("workshop-bench", args=[job.pk, "test"]), {"name": "通电", "passed": "1"})
    assert list(
        job.events.filter(action__in=["part_used", "test"]).values_list("action", flat=True)
    ) == [
        "part_used",
        "test",
    ]
    counter = Client()
    counter.force_login(people["agent"])
    assert counter.post(reverse("workshop-bench", args=[job.pk, "test"])).status_code == 403


def test_record_needs_a_technician_on_the_job(new_job, step, people) -> None:
    job = step(new_job(), "diagnose", who="station_manager")
    with pytest.raises(ApplicationError) as exc:
        actions.bench_diagnosis(
            actor=people["station_manager"], job=job, diagnosis="x", cause="product_fault"
        )
    assert exc.value.code == "no_bench_technician"
