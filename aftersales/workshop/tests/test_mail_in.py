"""Mail-in: request, address to the customer, shipments both ways matched to the request,
receipt on the brought-in date, ship back with tracking, unsent units followed up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder
from aftersales.workshop import actions
from aftersales.workshop.choices import JobStatus
from aftersales.workshop.models import Shipment, WorkshopSettings, WorkshopStation

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(data):
    return WorkshopStation.objects.create(
        station=data["s1"],
        mail_in_address="上海市浦东新区维修中心1号",
        mail_in_recipient="维修中心",
        mail_in_phone="021-12345678",
    )


@pytest.fixture
def request_job(shop, data, people, django_capture_on_commit_callbacks):
    def make(**kw):
        fields = {
            "actor": people["agent"],
            "station": data["s1"],
            "customer": data["c1"],
            "unit": data["u1"],
            "fault_description": "屏幕不亮",
            "return_address": "上海市浦东新区世纪大道100号",
        }
        fields.update(kw)
        with django_capture_on_commit_callbacks(execute=True):
            return actions.mail_in_request(**fields)

    return make


def test_request_waits_for_the_unit_and_tells_the_address(request_job) -> None:
    job = request_job()
    assert job.status == JobStatus.AWAITING_UNIT and job.route == "courier"
    assert job.return_method == "ship" and job.received_at is None
    order = ServiceOrder.objects.get(pk=job.order_id)
    assert order.status == Status.REGISTERED  # nothing at the workshop yet
    message = OutboxMessage.objects.get(event="mail_in_request")
    assert "维修中心1号" in message.body and order.number in message.body


def test_only_workshops_with_a_mail_in_address(people, data, shop) -> None:
    with pytest.raises(ApplicationError) as exc:
        actions.mail_in_request(
            actor=people["agent"],
            station=data["s2"],
            customer=data["c1"],
            unit=data["u1"],
            fault_description="x",
            return_address="y",
        )
    assert "station" in exc.value.details["fields"]


def test_parcel_is_matched_by_request_number_or_tracking(request_job, people) -> None:
    job = request_job()
    actions.inbound_shipment_record(
        actor=people["agent"],
        job=job,
        carrier="顺丰",
        tracking_no="SF100",
        weight_kg="1.5",
        cost="12",
    )
    sm = people["station_manager"]
    assert actions.mail_in_match(actor=sm, reference=job.order.number).pk == job.pk
    assert actions.mail_in_match(actor=sm, reference="SF100").pk == job.pk
    with pytest.raises(ApplicationError) as exc:
        actions.mail_in_match(actor=sm, reference="SF999")
    assert exc.value.code == "no_match"


def test_receipt_starts_the_workshop_and_the_brought_in_date(request_job, people) -> None:
    job = request_job()
    actions.inbound_shipment_record(
        actor=people["agent"], job=job, carrier="顺丰", tracking_no="SF100"
    )
    job, code = actions.mail_in_receive(
        actor=people["station_manager"], job=job, condition="包装完好", accessories=["数据线"]
    )
    assert job.status == JobStatus.RECEIVED and len(code) == 6
    # The day it was brought in, in the company's time zone (the law counts local days).
    assert job.warranty_detail["brought_in"] == timezone.localdate(job.received_at).isoformat()
    order = ServiceOrder.objects.get(pk=job.order_id)
    assert order.status == Status.ON_SITE and order.arrived_at == job.received_at
    assert Shipment.objects.get(job=job).received_at == job.received_at
    # Received once: the same parcel cannot be received again, nor matched.
    with pytest.raises(ApplicationError):
        actions.mail_in_receive(actor=people["station_manager"], job=job, condition="x")
    with pytest.raises(ApplicationError):
        actions.mail_in_match(actor=people["station_manager"], reference="SF100")


def test_shipped_back_with_tracking_told_then_delivered(
    request_job, people, step, django_capture_on_commit_callbacks
) -> None:
    job = request_job()
    job, _code = actions.mail_in_receive(actor=people["station_manager"], job=job, condition="好")
    job = step(job, "diagnose")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=people["station_manager"], job=job, code=_code, signature="")
    assert exc.value.code == "ships_back"
    with django_capture_on_commit_callbacks(execute=True):
        job = actions.job_ship_back(
            actor=people["station_manager"],
            job=job,
            carrier="顺丰",
            tracking_no="SF200",
            weight_kg="1.2",
            cost=Decimal("18.00"),
        )
    assert job.status == JobStatus.SHIPPED_BACK
    message = OutboxMessage.objects.get(event="workshop_shipped")
    assert "SF200" in message.body
    job = actions.job_deliver(actor=people["station_manager"], job=job)
    assert job.status == JobStatus.DELIVERED
    outbound = Shipment.objects.get(job=job, direction="outbound")
    assert outbound.received_at is not None and outbound.cost == Decimal("18.00")


def test_paid_mail_in_is_paid_before_shipping(request_job, people, step, quoted) -> None:
    job = request_job()
    job, _code = actions.mail_in_receive(actor=people["station_manager"], job=job, condition="好")
    job = step(quoted(step(job, "diagnose")), "accept_quote", who="agent")
    for verb in ("start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    sm = people["station_manager"]
    with pytest.raises(ApplicationError) as exc:
        actions.job_ship_back(actor=sm, job=job, carrier="顺丰", tracking_no="SF3")
    assert "payment" in exc.value.details["fields"]
    actions.job_payment(actor=sm, job=job, method="transfer", amount="80.00", reference="T1")
    assert actions.job_ship_back(actor=sm, job=job, carrier="顺丰", tracking_no="SF3").status == (
        JobStatus.SHIPPED_BACK
    )


def test_never_sent_units_are_followed_up_once(
    request_job, data, django_capture_on_commit_callbacks
) -> None:
    WorkshopSettings.objects.create(company=data["company"], never_sent_days=5)
    job = request_job()
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.never_sent_follow_up(now=job.created_at + dt.timedelta(days=4)) == 0
        assert actions.never_sent_follow_up(now=job.created_at + dt.timedelta(days=5)) == 1
        assert actions.never_sent_follow_up(now=job.created_at + dt.timedelta(days=9)) == 0
    assert OutboxMessage.objects.filter(event="mail_in_reminder").count() == 1


def test_cancel_a_request_never_sent(request_job, people) -> None:
    job = request_job()
    job = actions.mail_in_cancel(actor=people["agent"], job=job, reason="客户不再需要")
    assert job.status == JobStatus.CANCELLED
    assert ServiceOrder.objects.get(pk=job.order_id).status == Status.CANCELLED


def test_portal_mail_in_only_for_own_units(shop, data) -> None:
    with pytest.raises(ApplicationError):
        actions.portal_mail_in(
            customer_ids=[data["c1"].pk],
            station=data["s1"],
            unit=data["u2"],
            fault_description="坏了",
            return_address="x",
        )
    job = actions.portal_mail_in(
        customer_ids=[data["c1"].pk],
        station=data["s1"],
        unit=data["u1"],
        fault_description="坏了",
        return_address="上海",
    )
    assert job.order.channel == "portal"
    actions.portal_inbound_shipment(
        customer_ids=[data["c1"].pk], job=job, carrier="中通", tracking_no="ZT1"
    )
    with pytest.raises(ApplicationError):
        actions.portal_inbound_shipment(
            customer_ids=[data["c2"].pk], job=job, carrier="中通", tracking_no="ZT2"
        )
