"""The field-work actions: the technician's moves, the service record, charges and finishing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.dispatch.models import Visit
from aftersales.fieldwork import actions
from aftersales.fieldwork.models import (
    FeeItem,
    Quote,
    Receipt,
    ServiceRecord,
    Signature,
    SitePhoto,
)
from aftersales.fieldwork.tests.fixtures import drawn_signature, finish_simply
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import StockMove

pytestmark = pytest.mark.django_db


def _jpeg(name="photo.jpg", size=(64, 48), exif_gps=False):
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {2: (31.0, 14.0, 0.0), 4: (121.0, 28.0, 0.0)}  # GPSInfo
        exif[0x010F] = "TestCam"
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _field_events(order):
    return list(
        OrderEvent.objects.filter(order=order, kind="field").values_list("action", flat=True)
    )


# --- moves -----------------------------------------------------------------------------------


def test_depart_tells_the_customer_the_eta(
    new_order, walk, people, django_capture_on_commit_callbacks
):
    order = walk(new_order(), "accept")
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.visit_depart(actor=people["tech"], order=order, eta_minutes=25)
    assert done.status == "en_route"
    record = ServiceRecord.objects.get(order=order)
    assert record.eta - record.departed_at == dt.timedelta(minutes=25)
    message = OutboxMessage.objects.get(customer=order.customer)
    assert order.number in message.body
    assert timezone.localtime(record.eta).strftime("%H:%M") in message.body
    assert "eta" in _field_events(order)


def test_depart_refuses_a_silly_eta(new_order, walk, people):
    order = walk(new_order(), "accept")
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_depart(actor=people["tech"], order=order, eta_minutes="soon")
    assert "eta_minutes" in exc.value.errors
    assert ServiceOrder.objects.get(pk=order.pk).status == "accepted"


def test_check_in_records_position_and_distance_from_the_address(on_site, data):
    address = data["c1"].addresses.first()
    address.latitude, address.longitude = 31.2304, 121.4737
    address.save()
    order = on_site()
    record = ServiceRecord.objects.get(order=order)
    assert order.status == "on_site" and record.arrived_at is not None
    assert record.distance_m == 0
    assert "check_in" in _field_events(order)


def test_check_in_without_a_position_still_checks_in(new_order, walk, people):
    order = walk(new_order(), "depart")
    done = actions.visit_arrive(actor=people["tech"], order=order, latitude="x", longitude=None)
    record = ServiceRecord.objects.get(order=order)
    assert done.status == "on_site"
    assert (record.latitude, record.distance_m) == (None, None)


def test_decline_needs_a_reason_and_returns_the_order_to_dispatch(new_order, walk, people):
    order = walk(new_order(), "assign")
    Visit.objects.create(
        order=order, technician=people["tech"], station=order.station, day=timezone.localdate()
    )
    with pytest.raises(ValidationFailed):
        actions.visit_decline(actor=people["tech"], order=order, reason=" ")
    done = actions.visit_decline(actor=people["tech"], order=order, reason="车辆故障")
    assert (done.status, done.technician_id) == ("dispatched", None)
    assert not Visit.objects.filter(order=order, ended_at__isnull=True).exists()
    assert OrderEvent.objects.filter(order=order, action="decline", reason="车辆故障").exists()


def test_another_technician_cannot_move_the_order(new_order, walk, people):
    order = walk(new_order(), "assign")
    with pytest.raises(NotFound):
        actions.visit_accept(actor=people["tech_b"], order=order)
    with pytest.raises(NotFound):
        actions.visit_accept(actor=people["tech_north"], order=order)
    assert ServiceOrder.objects.get(pk=order.pk).status == "assigned"


def test_station_manager_works_the_order_but_not_an_agent(new_order, walk, people):
    order = walk(new_order(), "assign")
    with pytest.raises(PermissionDenied):
        actions.visit_accept(actor=people["agent"], order=order)
    assert actions.visit_accept(actor=people["station_manager"], order=order).status == "accepted"


def _absent(order, minutes_ago):
    """The appointment began and the technician checked in `minutes_ago`."""
    moment = timezone.now() - dt.timedelta(minutes=minutes_ago)
    ServiceOrder.objects.filter(pk=order.pk).update(appointment_start=moment)
    ServiceRecord.objects.filter(order=order).update(arrived_at=moment)


def test_no_show_is_refused_before_thirty_minutes(on_site, people):
    order = on_site()
    _absent(order, 10)
    actions.visit_call(actor=people["tech"], order=order)
    with pytest.raises(Conflict) as exc:
        actions.visit_no_show(actor=people["tech"], order=order)
    assert exc.value.code == "too_early"
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"


def test_no_show_is_refused_without_a_call(on_site, people):
    order = on_site()
    _absent(order, 45)
    with pytest.raises(Conflict) as exc:
        actions.visit_no_show(actor=people["tech"], order=order)
    assert exc.value.code == "call_first"


def test_no_show_after_the_wait_and_a_call_goes_back_to_dispatch(on_site, people):
    order = on_site()
    _absent(order, 31)
    actions.visit_call(actor=people["tech"], order=order, note="无人接听")
    done = actions.visit_no_show(actor=people["tech"], order=order)
    assert (done.status, done.technician_id) == ("dispatched", None)
    record = ServiceRecord.objects.get(order=order)
    assert record.finished_at is not None and record.call_attempts == 1
    assert OrderEvent.objects.filter(order=order, action="no_show").exists()


def test_cannot_keep_with_short_notice_needs_confirmation_and_is_flagged(new_order, walk, people):
    order = walk(new_order(), "accept")
    soon = timezone.now() + dt.timedelta(hours=3)
    ServiceOrder.objects.filter(pk=order.pk).update(
        appointment_start=soon, appointment_end=soon + dt.timedelta(hours=2)
    )
    with pytest.raises(Conflict) as exc:
        actions.visit_cannot_keep(actor=people["tech"], order=order, reason="前一单超时")
    assert exc.value.code == "late_notice"
    done = actions.visit_cannot_keep(
        actor=people["tech"], order=order, reason="前一单超时", late_ok=True
    )
    assert done.status == "dispatched"
    notice = OrderEvent.objects.get(order=order, action="notice")
    assert notice.payload["late_notice"] is True and notice.payload["hours_given"] == 3.0


def test_cannot_keep_with_enough_notice_is_not_late(new_order, walk, people):
    order = walk(new_order(), "accept")
    later = timezone.now() + dt.timedelta(hours=20)
    ServiceOrder.objects.filter(pk=order.pk).update(appointment_start=later)
    actions.visit_cannot_keep(actor=people["tech"], order=order, reason="培训")
    assert OrderEvent.objects.get(order=order, action="notice").payload["late_notice"] is False


def test_pause_and_resume_on_site(on_site, people):
    order = on_site()
    paused = actions.visit_pause(
        actor=people["tech"], order=order, waiting_for="customer", reason="客户午休"
    )
    assert paused.status == "waiting_customer"
    assert actions.visit_resume(actor=people["tech"], order=order).status == "on_site"
    with pytest.raises(ValidationFailed):
        actions.visit_pause(actor=people["tech"], order=order, waiting_for="x", reason="r")


# --- the record ------------------------------------------------------------------------------


def test_condition_check_needs_the_customers_signature_and_notes_when_not_intact(on_site, people):
    order = on_site()
    tech = people["tech"]
    with pytest.raises(ValidationFailed) as exc:
        actions.record_condition(
            actor=tech, order=order, complete=False, tampered=False, signature=drawn_signature()
        )
    assert "notes" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        actions.record_condition(
            actor=tech,
            order=order,
            complete=True,
            tampered=False,
            signature=drawn_signature(blank=True),
        )
    assert "signature" in exc.value.errors
    assert not Signature.objects.exists()
    record = actions.record_condition(
        actor=tech,
        order=order,
        complete=False,
        tampered=True,
        notes="缺遥控器，外壳有拆痕",
        signature=drawn_signature(),
        signer_name="张三",
    )
    assert record.condition_at is not None and record.condition_tampered is True
    assert Signature.objects.get(record=record).signer_name == "张三"
    with pytest.raises(Conflict):
        actions.record_condition(
            actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
        )


def test_record_steps_need_the_technician_on_site(new_order, walk, people):
    order = walk(new_order(), "accept")
    with pytest.raises(Conflict) as exc:
        actions.record_diagnosis(
            actor=people["tech"], order=order, diagnosis="x", cause="product_fault"
        )
    assert exc.value.code == "not_on_site"


def test_diagnosis_validates_cause_and_fault_codes(on_site, people, data):
    order = on_site()
    from aftersales.catalog.models import FaultCode

    code = FaultCode.objects.create(category=data["category"], code="E1", symptom="通讯故障")
    with pytest.raises(ValidationFailed) as exc:
        actions.record_diagnosis(
            actor=people["tech"], order=order, diagnosis="", cause="maybe", fault_codes=[999999]
        )
    assert set(exc.value.errors) == {"diagnosis", "cause", "fault_codes"}
    record = actions.record_diagnosis(
        actor=people["tech"],
        order=order,
        diagnosis="主板通讯故障",
        cause="product_fault",
        fault_codes=[code.pk],
    )
    assert list(record.fault_codes.values_list("code", flat=True)) == ["E1"]


def test_hostile_uploads_are_refused(on_site, people):
    order = on_site()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<html><body><script>alert(1)</script></body></html>"
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (30 * 1024 * 1024), "image/jpeg")
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 megapixels, a few kB
    hostile = [
        SimpleUploadedFile("x.svg", svg, "image/svg+xml"),
        SimpleUploadedFile("photo.jpg", html, "image/jpeg"),
        SimpleUploadedFile("empty.jpg", b"", "image/jpeg"),
        big,
        SimpleUploadedFile("bomb.png", bomb.getvalue(), "image/png"),
    ]
    for upload in hostile:
        with pytest.raises(ValidationFailed) as exc:
            actions.record_photos(actor=people["tech"], order=order, kind="before", files=[upload])
        assert "photos" in exc.value.errors
    assert not SitePhoto.objects.exists()


def test_photos_are_re_encoded_without_location_and_stored_under_generated_names(on_site, people):
    from aftersales.orders import uploads

    order = on_site()
    upload = _jpeg(name="../../etc/passwd.jpg", exif_gps=True)
    [photo] = actions.record_photos(
        actor=people["tech"], order=order, kind="before", files=[upload]
    )
    assert photo.original_name == "passwd.jpg"
    assert "/" not in photo.stored_name and photo.stored_name.endswith(".jpg")
    stored = uploads.open_stored(photo.stored_name)
    with Image.open(io.BytesIO(stored)) as img:
        exif = img.getexif()
    assert 0x8825 not in exif and 0x010F not in exif


def test_photo_count_is_limited_per_visit(on_site, people):
    order = on_site()
    limit = actions.field_settings(order.company_id).photo_limit
    actions.record_photos(
        actor=people["tech"], order=order, kind="before", files=[_jpeg() for _ in range(limit)]
    )
    with pytest.raises(Conflict) as exc:
        actions.record_photos(actor=people["tech"], order=order, kind="after", files=[_jpeg()])
    assert exc.value.code == "too_many_files"
    assert SitePhoto.objects.filter(order=order).count() == limit


def test_part_used_comes_out_of_the_van_with_serials(stock, on_site, people):
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=3
    )
    order = on_site()
    move = actions.record_part_used(
        actor=people["tech"], order=order, part=stock["capacitor"], quantity=1, old_serial="OLD-1"
    )
    assert (move.quantity, move.old_serial, move.warehouse_id) == (-1, "OLD-1", stock["van"].pk)
    event = OrderEvent.objects.get(order=order, action="part_used")
    assert event.payload["part"] == "CAP-35"


def test_part_used_beyond_the_van_stock_is_refused(stock, on_site, people):
    order = on_site()
    with pytest.raises(Conflict) as exc:
        actions.record_part_used(actor=people["tech"], order=order, part=stock["capacitor"])
    assert exc.value.code == "insufficient_stock"
    assert not OrderEvent.objects.filter(order=order, action="part_used").exists()


# --- charges ---------------------------------------------------------------------------------


@pytest.fixture
def fees(org_tree):
    company = org_tree["company"]
    return {
        "visit": FeeItem.objects.create(
            company=company, code="SM", name="上门费", kind="travel", price=Decimal("50")
        ),
        "labour": FeeItem.objects.create(
            company=company, code="WX", name="维修工时", kind="labour", price=Decimal("80")
        ),
    }


def _diagnose(order, tech, cause):
    actions.record_diagnosis(actor=tech, order=order, diagnosis="电源线被鼠咬断", cause=cause)


def test_not_a_product_fault_is_chargeable_only_after_the_customers_acknowledgement(
    on_site, people, fees
):
    order = on_site()
    tech = people["tech"]
    _diagnose(order, tech, "not_product_fault")
    items = [{"fee_item": fees["visit"].pk}, {"fee_item": fees["labour"].pk, "quantity": "1.5"}]
    with pytest.raises(Conflict) as exc:
        actions.quote_propose(actor=tech, order=order, items=items)
    assert exc.value.code == "acknowledgement_required"
    assert not Quote.objects.exists()
    actions.record_acknowledge(actor=tech, order=order, signature=drawn_signature())
    quote = actions.quote_propose(actor=tech, order=order, items=items)
    assert quote.total == Decimal("170.00")
    assert [line.amount for line in quote.lines.all()] == [Decimal("50.00"), Decimal("120.00")]


def test_changing_the_cause_needs_a_new_acknowledgement(on_site, people, fees):
    order = on_site()
    tech = people["tech"]
    _diagnose(order, tech, "not_product_fault")
    actions.record_acknowledge(actor=tech, order=order, signature=drawn_signature())
    _diagnose(order, tech, "product_fault")
    _diagnose(order, tech, "not_product_fault")
    with pytest.raises(Conflict):
        actions.quote_propose(actor=tech, order=order, items=[{"fee_item": fees["visit"].pk}])


def test_free_repair_is_charged_only_with_a_reason(on_site, people, fees):
    order = on_site()
    ServiceOrder.objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    tech = people["tech"]
    _diagnose(order, tech, "product_fault")
    with pytest.raises(ValidationFailed) as exc:
        actions.quote_propose(actor=tech, order=order, items=[{"fee_item": fees["visit"].pk}])
    assert "reason" in exc.value.errors
    quote = actions.quote_propose(
        actor=tech, order=order, reason="客户要求移机", items=[{"fee_item": fees["visit"].pk}]
    )
    assert quote.reason == "客户要求移机"


def test_quote_accept_pay_receipt_and_finish(
    on_site, people, fees, django_capture_on_commit_callbacks
):
    order = on_site()
    tech = people["tech"]
    actions.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
    )
    _diagnose(order, tech, "product_fault")
    actions.quote_propose(actor=tech, order=order, items=[{"fee_item": fees["labour"].pk}])
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_finish(actor=tech, order=order, result="fixed", signature=drawn_signature())
    assert exc.value.details["missing"] == ["quote_accepted"]
    with pytest.raises(Conflict):
        actions.payment_record(actor=tech, order=order, method="cash", amount="80")
    actions.quote_accept(actor=tech, order=order, signature=drawn_signature())
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_finish(actor=tech, order=order, result="fixed", signature=drawn_signature())
    assert exc.value.details["missing"] == ["payment"]
    with pytest.raises(ValidationFailed) as exc:
        actions.payment_record(actor=tech, order=order, method="qr", amount="70")
    assert set(exc.value.errors) == {"reference", "amount"}
    receipt = actions.payment_record(
        actor=tech, order=order, method="qr", amount="80.00", reference="WX123"
    )
    assert receipt.number == f"SF-{order.number}-1" and receipt.amount == Decimal("80.00")
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.visit_finish(
            actor=tech, order=order, result="fixed", signature=drawn_signature(), rating=5
        )
    assert done.status == "completed"
    assert _field_events(order)[-4:] == ["quote", "quote_accepted", "payment", "finish"]
    report = OutboxMessage.objects.get(customer=order.customer, event="report")
    assert "/r/" in report.body


# --- finishing -------------------------------------------------------------------------------


def test_finish_is_refused_without_signature_result_and_condition(on_site, people):
    order = on_site()
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_finish(actor=people["tech"], order=order, result="", signature="")
    assert exc.value.details["missing"] == ["condition", "result", "signature"]
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"
    assert ServiceRecord.objects.get(order=order).finished_at is None
    assert not Signature.objects.exists()


def test_replaced_part_result_needs_the_parts(stock, on_site, people):
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=2
    )
    order = on_site()
    tech = people["tech"]
    with pytest.raises(ValidationFailed) as exc:
        finish_simply(order, tech, result="replaced_part")
    assert exc.value.details["missing"] == ["parts"]
    actions.record_part_used(actor=tech, order=order, part=stock["capacitor"])
    done = actions.visit_finish(
        actor=tech, order=order, result="replaced_part", signature=drawn_signature()
    )
    assert done.status == "completed"


def test_not_fixed_needs_a_note(on_site, people):
    order = on_site()
    with pytest.raises(ValidationFailed) as exc:
        finish_simply(order, people["tech"], result="not_fixed")
    assert exc.value.details["missing"] == ["result_note"]


def test_taken_to_workshop_says_what_was_taken(on_site, people):
    order = on_site()
    with pytest.raises(ValidationFailed) as exc:
        finish_simply(order, people["tech"], taken_to_workshop=True)
    assert "workshop_note" in exc.value.errors
    done = actions.visit_finish(
        actor=people["tech"],
        order=order,
        result="fixed",
        signature=drawn_signature(),
        taken_to_workshop=True,
        workshop_note="整机及遥控器",
    )
    assert ServiceRecord.objects.get(order=done).workshop_note == "整机及遥控器"


def test_rating_is_one_to_five(on_site, people):
    order = on_site()
    with pytest.raises(ValidationFailed) as exc:
        finish_simply(order, people["tech"], rating=6)
    assert "rating" in exc.value.errors


def test_needs_parts_keeps_the_order_waiting_and_the_next_visit_has_a_new_record(on_site, people):
    order = on_site()
    tech = people["tech"]
    done = finish_simply(order, tech, result="needs_parts", result_note="主板缺货")
    assert done.status == "waiting_parts" and done.technician_id == tech.pk
    assert actions.visit_resume(actor=tech, order=order).status == "accepted"
    actions.visit_depart(actor=tech, order=order)
    actions.visit_arrive(actor=tech, order=order)
    assert ServiceRecord.objects.filter(order=order).count() == 2
    assert actions.open_record(ServiceOrder.objects.get(pk=order.pk)).condition_at is None


def test_second_visit_returns_the_order_to_the_technician(on_site, people):
    order = on_site()
    done = finish_simply(order, people["tech"], result="second_visit", result_note="需两人搬运")
    assert (done.status, done.technician_id) == ("accepted", people["tech"].pk)


# --- the same form twice ---------------------------------------------------------------------


def test_a_form_sent_twice_records_once(stock, on_site, people, fees):
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=stock["capacitor"], quantity=5
    )
    order = on_site()
    tech = people["tech"]
    for _ in range(2):
        actions.visit_call(actor=tech, order=order, key="k-call")
        actions.record_photos(
            actor=tech, order=order, kind="before", files=[_jpeg()], key="k-photo"
        )
        actions.record_part_used(actor=tech, order=order, part=stock["capacitor"], key="k-part")
    assert ServiceRecord.objects.get(order=order).call_attempts == 1
    assert SitePhoto.objects.filter(order=order).count() == 1
    assert StockMove.objects.filter(order=order, kind="issue").count() == 1
    actions.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
    )
    _diagnose(order, tech, "product_fault")
    for _ in range(2):
        done = actions.visit_finish(
            actor=tech,
            order=order,
            result="replaced_part",
            signature=drawn_signature(),
            key="k-finish",
        )
    assert done.status == "completed"
    assert OrderEvent.objects.filter(order=order, action="complete").count() == 1
    assert Signature.objects.filter(record__order=order, purpose="completion").count() == 1


def test_a_retried_check_in_answers_like_the_first(new_order, walk, people):
    order = walk(new_order(), "depart")
    first = actions.visit_arrive(actor=people["tech"], order=order, key="k-arrive")
    again = actions.visit_arrive(actor=people["tech"], order=order, key="k-arrive")
    assert first.status == again.status == "on_site"
    assert OrderEvent.objects.filter(order=order, action="arrive").count() == 1


def test_a_refused_form_can_be_sent_again_with_the_same_key(on_site, people):
    order = on_site()
    with pytest.raises(ValidationFailed):
        actions.record_diagnosis(
            actor=people["tech"], order=order, diagnosis="", cause="", key="k1"
        )
    record = actions.record_diagnosis(
        actor=people["tech"], order=order, diagnosis="漏氟", cause="product_fault", key="k1"
    )
    assert record.diagnosis == "漏氟"


def test_the_customers_report_link_names_the_order_and_expires(on_site, people):
    order = finish_simply(on_site(), people["tech"])
    token = actions.report_token(order)
    assert actions.order_for_report_token(token).pk == order.pk
    with pytest.raises(NotFound):
        actions.order_for_report_token(token + "x")
    ServiceOrder.objects.filter(pk=order.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=91)
    )
    with pytest.raises(NotFound) as exc:
        actions.order_for_report_token(token)
    assert exc.value.code == "link_expired"
    assert Receipt.objects.count() == 0
