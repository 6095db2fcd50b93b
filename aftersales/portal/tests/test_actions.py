"""Portal sign-in codes and the customer's own actions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from aftersales.core.errors import Conflict, NotFound
from aftersales.core.validation import ValidationFailed
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import ServiceOrder
from aftersales.portal import actions
from aftersales.portal.models import PortalCode

pytestmark = pytest.mark.django_db
PHONE = "13812345678"  # customer c1


def _code(phone=PHONE):
    """The code of the queued (not yet sent) message."""
    message = OutboxMessage.objects.filter(event="otp", customer__phone=phone).latest("id")
    return re.search(r"\d{6}", message.body).group()


def test_a_code_signs_in_once(data):
    actions.code_request(phone=PHONE, ip="1.2.3.4")
    code = _code()
    assert actions.code_verify(phone=PHONE, code=code) == [data["c1"].pk]
    with pytest.raises(Conflict) as exc:
        actions.code_verify(phone=PHONE, code=code)
    assert exc.value.code == "code_expired"


def test_the_code_expires_after_ten_minutes(data):
    actions.code_request(phone=PHONE)
    code = _code()
    with pytest.raises(Conflict):
        actions.code_verify(
            phone=PHONE, code=code, now=timezone.now() + dt.timedelta(minutes=10, seconds=1)
        )


def test_the_code_is_stored_hashed(data):
    actions.code_request(phone=PHONE)
    assert _code() not in PortalCode.objects.get().code_hash


def test_wrong_codes_are_counted_and_the_code_dies_after_five(data):
    actions.code_request(phone=PHONE)
    code = _code()
    for _ in range(actions.MAX_TRIES_PER_CODE):
        with pytest.raises(ValidationFailed):
            actions.code_verify(phone=PHONE, code="000000" if code != "000000" else "111111")
    with pytest.raises(actions.TooMany):
        actions.code_verify(phone=PHONE, code=code)  # even the right code: the code is dead
    assert PortalCode.objects.get().failed == actions.MAX_TRIES_PER_CODE


def test_brute_force_across_codes_is_throttled_per_phone(data):
    now = timezone.now()
    for k in range(2):
        actions.code_request(phone=PHONE, now=now + dt.timedelta(minutes=2 * k))
        for _ in range(actions.MAX_TRIES_PER_CODE):
            with pytest.raises(ValidationFailed):
                actions.code_verify(phone=PHONE, code="abc", now=now + dt.timedelta(minutes=2 * k))
    actions.code_request(phone=PHONE, now=now + dt.timedelta(minutes=5))
    with pytest.raises(actions.TooMany) as exc:
        actions.code_verify(phone=PHONE, code=_code(), now=now + dt.timedelta(minutes=5))
    assert exc.value.code == "too_many_tries"


def test_codes_are_rate_limited_per_phone_and_per_address(data):
    now = timezone.now()
    actions.code_request(phone=PHONE, now=now)
    with pytest.raises(actions.TooMany):
        actions.code_request(phone=PHONE, now=now + dt.timedelta(seconds=30))
    for k in range(1, actions.CODES_PER_HOUR):
        actions.code_request(phone=PHONE, now=now + dt.timedelta(minutes=2 * k))
    with pytest.raises(actions.TooMany):
        actions.code_request(phone=PHONE, now=now + dt.timedelta(minutes=30))
    for k in range(actions.CODES_PER_IP_HOUR):
        actions.code_request(phone=f"1390000{k:04d}", ip="9.9.9.9", now=now)
    with pytest.raises(actions.TooMany):
        actions.code_request(phone="13911112222", ip="9.9.9.9", now=now)


def test_an_unknown_number_gets_the_same_answer_and_no_message(data):
    actions.code_request(phone="13700000000")
    assert not OutboxMessage.objects.filter(event="otp").exists()
    assert PortalCode.objects.filter(phone="13700000000").count() == 1
    with pytest.raises(ValidationFailed):
        actions.code_request(phone="12")


def test_a_customer_reports_a_fault_of_their_own_unit_only(data):
    order = actions.fault_report(
        customer_ids=[data["c1"].pk], unit=data["u1"].pk, fault_description="不制热"
    )
    assert (order.channel, order.customer_id, order.unit_id) == (
        "portal",
        data["c1"].pk,
        data["u1"].pk,
    )
    assert order.created_by.username == "portal-test"
    with pytest.raises(ValidationFailed):
        actions.fault_report(
            customer_ids=[data["c1"].pk], unit=data["u2"].pk, fault_description="x"
        )


def test_a_customer_registers_a_unit(data):
    unit = actions.unit_register(
        customer_ids=[data["c1"].pk], product_model=data["model"].pk, serial="KF2402000099"
    )
    assert unit.customer_id == data["c1"].pk
    with pytest.raises(ValidationFailed):
        actions.unit_register(
            customer_ids=[data["c1"].pk], product_model=data["other_model"].pk, serial="X"
        )


def test_cancel_only_before_the_technician_sets_off_and_only_ones_own(data, walk, new_order):
    mine = new_order()
    with pytest.raises(NotFound):
        actions.order_cancel(customer_ids=[data["c2"].pk], order=mine, reason="")
    assert (
        actions.order_cancel(customer_ids=[data["c1"].pk], order=mine, reason="").status
        == "cancelled"
    )
    on_the_way = walk(new_order(), "depart")
    with pytest.raises(Conflict) as exc:
        actions.order_cancel(customer_ids=[data["c1"].pk], order=on_the_way, reason="")
    assert exc.value.code == "too_late"
    assert ServiceOrder.objects.get(pk=on_the_way.pk).status == "en_route"


def test_the_code_is_not_kept_in_the_outbox_once_sent(
    data, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="aftersales.notifications")
    with django_capture_on_commit_callbacks(execute=True):
        actions.code_request(phone=PHONE)
    message = OutboxMessage.objects.get(event="otp")
    assert message.status == "sent" and message.body == ""
    code = re.search(r"验证码是(\d{6})", caplog.text).group(1)  # the demo's SMS: the log
    assert actions.code_verify(phone=PHONE, code=code) == [data["c1"].pk]
