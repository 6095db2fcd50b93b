"""Workshop job steps through the actions: the order follows, the clock pauses, QC rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.orders.choices import Status
from aftersales.orders.models import OrderPause, ServiceOrder
from aftersales.workshop import actions
from aftersales.workshop.choices import JobStatus
from aftersales.workshop.models import WorkshopEvent, WorkshopStation

pytestmark = pytest.mark.django_db


def _order(job: Any) -> ServiceOrder:
    return ServiceOrder.objects.get(pk=job.order_id)


def test_counter_job_puts_the_order_in_the_workshop(new_job, data) -> None:
    job = new_job()
    order = _order(job)
    assert job.status == JobStatus.RECEIVED
    assert order.status == Status.ON_SITE
    assert order.station_id == data["s1"].pk
    assert order.arrived_at == job.received_at and order.responded_at == job.received_at
    # The day it was brought in, in the company's time zone (the law counts local days).
    assert job.warranty_detail["brought_in"] == timezone.localdate(job.received_at).isoformat()
    assert list(job.events.values_list("action", flat=True)) == ["created"]


def test_one_job_per_order(new_job, people, data) -> None:
    job = new_job()
    with pytest.raises(ApplicationError) as exc:
        actions.job_create(actor=None, order=job.order, station=data["s1"], route="counter")
    assert exc.value.code == "job_exists"


def test_diagnosis_names_the_bench_technician_on_the_order(new_job, step, people) -> None:
    job = step(new_job(), "diagnose")
    assert job.technician_id == people["tech"].pk
    assert _order(job).technician_id == people["tech"].pk


def test_illegal_step_is_refused_and_nothing_written(new_job, step) -> None:
    job = new_job()
    with pytest.raises(ApplicationError) as exc:
        step(job, "start_repair")
    assert exc.value.code == "illegal_transition"
    job.refresh_from_db()
    assert job.status == JobStatus.RECEIVED
    assert WorkshopEvent.objects.filter(job=job).count() == 1


def test_waiting_for_parts_pauses_the_order_clock(new_job, step, quoted) -> None:
    job = step(quoted(step(new_job(), "diagnose")), "accept_quote", who="agent")
    job = step(job, "wait_parts", reason="主板缺货")
    order = _order(job)
    assert order.status == Status.WAITING_PARTS
    assert OrderPause.objects.filter(order=order, ended_at__isnull=True).count() == 1
    job = step(job, "parts_arrived")
    order = _order(job)
    assert job.status == JobStatus.IN_REPAIR
    assert order.status == Status.ON_SITE
    assert not OrderPause.objects.filter(order=order, ended_at__isnull=True).exists()


def test_wait_parts_needs_a_reason(new_job, step, quoted) -> None:
    job = step(quoted(step(new_job(), "diagnose")), "accept_quote", who="agent")
    with pytest.raises(ApplicationError) as exc:
        step(job, "wait_parts")
    assert exc.value.code == "reason_required"


def test_qc_loop_then_pass_completes_the_order(new_job, step, quoted) -> None:
    job = step(quoted(step(new_job(), "diagnose")), "accept_quote", who="agent")
    job = step(step(job, "start_repair"), "finish_repair")
    job = step(job, "qc_fail", reason="仍有异响")
    assert job.status == JobStatus.IN_REPAIR
    assert _order(job).status == Status.ON_SITE
    job = step(step(job, "finish_repair"), "qc_pass")
    assert job.status == JobStatus.READY and job.outcome == "repaired"
    order = _order(job)
    assert order.status == Status.COMPLETED and order.completed_at == job.ready_at
    actions_seen = list(job.events.values_list("action", flat=True))
    assert actions_seen.count("qc_fail") == 1 and actions_seen[-1] == "qc_pass"


def test_qc_by_another_person_where_the_station_requires_it(new_job, step, data, quoted) -> None:
    WorkshopStation.objects.create(station=data["s1"], qc_by_other=True)
    job = step(quoted(step(new_job(), "diagnose")), "accept_quote", who="agent")
    job = step(step(job, "start_repair"), "finish_repair")
    with pytest.raises(ApplicationError) as exc:
        step(job, "qc_pass")
    assert exc.value.code == "qc_by_other"
    job = step(job, "qc_pass", who="tech_b")
    assert job.status == JobStatus.READY


def test_same_person_may_check_where_not_required(new_job, step, quoted) -> None:
    job = step(quoted(step(new_job(), "diagnose")), "accept_quote", who="agent")
    job = step(step(step(job, "start_repair"), "finish_repair"), "qc_pass")
    assert job.status == JobStatus.READY


def test_warranty_confirmed_only_when_free(new_job, step) -> None:
    job = step(new_job(), "diagnose")
    job.warranty_decision = "paid_repair"
    job.save(update_fields=["warranty_decision"])
    with pytest.raises(ApplicationError) as exc:
        step(job, "confirm_warranty")
    assert exc.value.code == "not_under_warranty"
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    assert step(job, "confirm_warranty").status == JobStatus.APPROVED


def test_declined_quote_returns_unrepaired_and_cancels_the_order(new_job, step, quoted) -> None:
    job = quoted(step(new_job(), "diagnose"))
    job = step(job, "decline_quote", who="agent", reason="太贵")
    assert job.status == JobStatus.READY and job.outcome == "unrepaired"
    assert _order(job).status == Status.CANCELLED


def test_counter_staff_cannot_work_the_bench(new_job, step) -> None:
    with pytest.raises(ApplicationError) as exc:
        step(new_job(), "diagnose", who="agent")
    assert exc.value.status == 403


def test_other_station_sees_nothing(new_job, step) -> None:
    with pytest.raises(ApplicationError) as exc:
        step(new_job(), "diagnose", who="tech_north")
    assert exc.value.status == 404


def test_recorded_steps_need_their_own_form(new_job, step) -> None:
    job = new_job()
    with pytest.raises(ApplicationError) as exc:
        step(job, "hand_over", who="agent")
    assert exc.value.code == "use_own_form"


def test_unit_taken_back_from_a_visit_continues_at_the_workshop(people, walk, new_order, data):
    order = walk(new_order(), "accept")
    job = actions.job_from_visit(actor=people["station_manager"], order=order, note="主机一台")
    assert job.route == "visit" and job.status == JobStatus.RECEIVED
    assert _order(job).status == Status.ON_SITE
