"""The counter: queue numbers, intake with photos and signature, handover with the code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder
from aftersales.workshop import actions, rules
from aftersales.workshop.choices import JobStatus
from aftersales.workshop.models import QueueTicket, WorkshopJob, WorkshopSettings

pytestmark = pytest.mark.django_db


def test_numbers_are_taken_in_order_per_purpose(people, data) -> None:
    sm = people["station_manager"]
    a1 = actions.ticket_take(actor=sm, station=data["s1"], purpose="drop_off")
    a2 = actions.ticket_take(actor=sm, station=data["s1"], purpose="drop_off")
    b1 = actions.ticket_take(actor=sm, station=data["s1"], purpose="pickup")
    assert (a1.label, a2.label, b1.label) == ("A001", "A002", "B001")


def test_call_next_calls_the_longest_waiting(people, data) -> None:
    sm = people["station_manager"]
    first = actions.ticket_take(actor=sm, station=data["s1"], purpose="drop_off")
    actions.ticket_take(actor=sm, station=data["s1"], purpose="pickup")
    called = actions.ticket_call_next(actor=sm, station=data["s1"], desk="1")
    assert called is not None and called.pk == first.pk and called.status == "called"
    second = actions.ticket_call_next(actor=sm, station=data["s1"], desk="2")
    assert second is not None and second.label == "B001"
    assert actions.ticket_call_next(actor=sm, station=data["s1"], desk="1") is None
    done = actions.ticket_close(actor=sm, ticket=second, served=False)
    assert done.status == "skipped"


def test_another_station_cannot_use_this_counter(people, data) -> None:
    with pytest.raises(ApplicationError) as exc:
        actions.ticket_take(actor=people["station_manager"], station=data["s2"], purpose="pickup")
    assert exc.value.status == 404
    with pytest.raises(ApplicationError) as exc:
        actions.ticket_take(actor=people["finance"], station=data["s1"], purpose="pickup")
    assert exc.value.status == 403


def test_intake_registers_order_job_photos_signature_and_sends_the_code(
    intake, people, data, django_capture_on_commit_callbacks
):
    sm = people["station_manager"]
    ticket = actions.ticket_take(actor=sm, station=data["s1"], purpose="drop_off")
    actions.ticket_call_next(actor=sm, station=data["s1"], desk="1")
    with django_capture_on_commit_callbacks(execute=True):
        job, code = intake(ticket=ticket, has_data=True, data_backup_acknowledged=True)
    order = ServiceOrder.objects.get(pk=job.order_id)
    assert order.channel == "walk_in" and order.status == Status.ON_SITE
    assert job.status == JobStatus.RECEIVED and job.route == "counter"
    assert job.photos.count() == 1 and job.intake_signature.endswith(".png")
    assert job.accessories == ["电源线", "遥控器"]
    assert job.data_backup_acknowledged_at == job.received_at
    assert len(code) == 6 and code not in job.pickup_code_digest
    ticket.refresh_from_db()
    assert ticket.status == "served" and ticket.job_id == job.pk
    message = OutboxMessage.objects.get(event="workshop_received")
    assert order.number in message.subject + message.body or message.body == ""


def test_intake_refuses_without_condition_signature_or_backup_ack(intake) -> None:
    with pytest.raises(ApplicationError) as exc:
        intake(condition="", signature=drawn_signature(blank=True), has_data=True)
    assert set(exc.value.details["fields"]) >= {
        "condition",
        "signature",
        "data_backup_acknowledged",
    }
    assert not WorkshopJob.objects.exists() and not ServiceOrder.objects.exists()


def test_the_brought_in_date_decides_the_warranty(intake, data) -> None:
    """三包: the days count from the day the unit is brought in."""
    unit = data["u1"]
    job, _code = intake()
    assert job.warranty_detail["brought_in"] == timezone.localdate().isoformat()
    assert job.warranty_decision
    # The same unit brought in on a day past the 7/15-day and 1-year limits is decided then.
    sold = timezone.localdate() - dt.timedelta(days=5)
    type(unit).objects.filter(pk=unit.pk).update(purchase_date=sold, invoice_date=sold)
    job.received_at = timezone.now()
    job.order.unit.refresh_from_db()
    actions.decide_warranty(job)
    assert job.warranty_decision in ("return", "exchange", "free_repair")
    job.received_at = timezone.now() + dt.timedelta(days=400)
    actions.decide_warranty(job)
    assert job.warranty_decision == "paid_repair"


def _ready(job: Any, step: Any) -> Any:
    job = step(job, "diagnose")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    return job


def test_pickup_with_the_code_once_and_only_for_that_order(intake, step, people) -> None:
    job, code = intake()
    other, other_code = intake(allow_duplicate=True)
    job, other = _ready(job, step), _ready(other, step)
    sm = people["station_manager"]
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=sm, job=job, code=other_code, signature=drawn_signature())
    assert exc.value.details["fields"]["code"]
    done = actions.job_hand_over(actor=sm, job=job, code=code, signature=drawn_signature())
    assert done.status == JobStatus.HANDED_OVER and done.picked_up_at is not None
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=sm, job=job, code=code, signature=drawn_signature())
    assert exc.value.code == "illegal_transition"
    assert done.events.filter(action="hand_over").count() == 1


def test_pickup_with_an_id_document_is_recorded(intake, step, people) -> None:
    job, _code = intake()
    job = _ready(job, step)
    done = actions.job_hand_over(
        actor=people["agent"],
        job=job,
        id_document="身份证 310***********1234",
        picked_up_by="张三",
        signature=drawn_signature(),
    )
    assert done.pickup_id_document.startswith("身份证")
    assert done.events.get(action="hand_over").payload["id_document"] is True


def test_a_pickup_recorded_elsewhere_needs_no_code_nor_signature(intake, step, people) -> None:
    job, code = intake()
    with pytest.raises(ApplicationError) as exc:  # not before the unit is ready
        actions.job_hand_over_recorded(actor=people["agent"], job=job)
    assert exc.value.code == "illegal_transition"
    job = _ready(job, step)
    with pytest.raises(ApplicationError) as exc:  # the counter's permission, as live
        actions.job_hand_over_recorded(actor=people["tech"], job=job)
    assert exc.value.code == "forbidden"
    done = actions.job_hand_over_recorded(
        actor=people["agent"], job=job, picked_up_by="张三", note="paper form 17"
    )
    assert done.status == JobStatus.HANDED_OVER and done.picked_up_by == "张三"
    assert done.pickup_signature == "" and done.picked_up_at is not None
    event = done.events.get(action="hand_over")
    assert event.payload == {"recorded": True, "note": "paper form 17"}
    # the pickup code opens nothing any more
    with pytest.raises(ApplicationError):
        actions.job_hand_over(
            actor=people["agent"], job=job, code=code, signature=drawn_signature()
        )


def test_a_recorded_pickup_refuses_a_unit_to_ship_back(new_job, step, people) -> None:
    job = new_job(return_method="ship")
    job = _ready(job, step)
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over_recorded(actor=people["agent"], job=job)
    assert exc.value.code == "ships_back"


def test_pickup_needs_code_or_id_and_signature(intake, step, people) -> None:
    job, _code = intake()
    job = _ready(job, step)
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=people["agent"], job=job, signature=drawn_signature(blank=True))
    assert set(exc.value.details["fields"]) == {"code", "signature"}


def test_pickup_not_before_ready(intake, people) -> None:
    job, code = intake()
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(
            actor=people["agent"], job=job, code=code, signature=drawn_signature()
        )
    assert exc.value.code == "illegal_transition"


def test_unclaimed_reminders_after_n_days(
    intake, step, data, django_capture_on_commit_callbacks
) -> None:
    WorkshopSettings.objects.create(
        company=data["company"], unclaimed_after_days=3, reminder_repeat_days=0
    )
    job, _code = intake()
    job = _ready(job, step)
    now = job.ready_at
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.unclaimed_remind(now=now + dt.timedelta(days=2)) == 0
        assert actions.unclaimed_remind(now=now + dt.timedelta(days=3)) == 1
        assert actions.unclaimed_remind(now=now + dt.timedelta(days=9)) == 0  # once only
    assert OutboxMessage.objects.filter(event="workshop_reminder").count() == 1
    assert job.events.filter(action="reminder").count() == 1


def test_code_digest_is_keyed_to_the_job(intake) -> None:
    job, code = intake()
    assert rules.code_matches(str(job.pk), code, actions.pickup_secret(), job.pickup_code_digest)
    assert QueueTicket.objects.count() == 0
