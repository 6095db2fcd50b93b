"""The customer portal through Django's test client: sign-in, the customer's own pages, and
another customer's ids refused on every page and form."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from aftersales.feedback.models import Complaint
from aftersales.orders.models import ServiceOrder
from aftersales.portal import actions
from aftersales.portal.tests.codes import code_from_log

pytestmark = pytest.mark.django_db


def _photo(name="fault.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (200, 0, 0)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _log(caplog):
    caplog.set_level("INFO", logger="aftersales.notifications")


@pytest.fixture
def signed_in(caplog, django_capture_on_commit_callbacks):
    """A client signed in to the portal the way a customer does: the phone, then the code
    the SMS channel delivered (the log, in the demo)."""

    def make(phone: str) -> Client:
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/portal/login/", {"phone": phone})
        response = client.post("/portal/verify/", {"code": code_from_log(caplog, phone)})
        assert response.status_code == 302 and response["Location"] == "/portal/"
        return client

    return make


def test_sign_in_with_a_code_and_see_only_ones_own(signed_in, data, new_order):
    mine = new_order()
    theirs = new_order(customer=data["c2"], unit=data["u2"])
    client = signed_in("13812345678")
    html = client.get("/portal/").content.decode()
    assert mine.number in html and theirs.number not in html
    assert data["u1"].serial in html and data["u2"].serial not in html


def test_pages_need_the_portal_sign_in(data, new_order):
    order = new_order()
    for url in (
        "/portal/",
        f"/portal/orders/{order.pk}/",
        "/portal/report/",
        "/portal/complaints/new/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"] == "/portal/login/"


def test_a_wrong_code_is_refused_and_says_so(data):
    client = Client()
    client.post("/portal/login/", {"phone": "13812345678"})
    page = client.post("/portal/verify/", {"code": "000000"})
    assert page.status_code in (422, 200) and "不正确" in page.content.decode()
    assert client.get("/portal/").status_code == 302


def test_report_a_fault_with_a_photo(signed_in, data):
    client = signed_in("13812345678")
    response = client.post(
        "/portal/report/", {"unit": data["u1"].pk, "fault_description": "漏水", "photos": _photo()}
    )
    order = ServiceOrder.objects.get(channel="portal")
    assert response["Location"] == f"/portal/orders/{order.pk}/"
    attachment = order.attachments.get()
    assert (
        client.get(f"/portal/orders/{order.pk}/photos/{attachment.pk}/")["Content-Type"]
        == "image/jpeg"
    )


def test_another_customers_ids_are_refused_everywhere(
    signed_in, data, new_order, walk, on_site, people
):
    from aftersales.fieldwork.tests.fixtures import finish_simply
    from aftersales.orders.actions import order_attach

    theirs = walk(new_order(customer=data["c2"], unit=data["u2"]), "triage")
    [attachment] = order_attach(actor=people["agent"], order=theirs, files=[_photo()])
    finished = finish_simply(on_site(customer=data["c2"], unit=data["u2"]), people["tech"])
    complaint = actions.complaint_file(
        customer_ids=[data["c2"].pk], description="他的投诉", category="other"
    )
    client = signed_in("13812345678")
    gets = [
        f"/portal/orders/{theirs.pk}/",
        f"/portal/orders/{finished.pk}/",
        f"/portal/orders/{theirs.pk}/photos/{attachment.pk}/",
        f"/portal/complaints/{complaint.pk}/",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (f"/portal/orders/{theirs.pk}/cancel/", {"reason": "x"}),
        (
            f"/portal/orders/{theirs.pk}/book/",
            {"slot": "2030-01-01T09:00:00+08:00/2030-01-01T11:00:00+08:00"},
        ),
        (f"/portal/orders/{finished.pk}/rate/", {"satisfaction": "1"}),
        ("/portal/complaints/new/", {"order": theirs.pk, "category": "other", "description": "x"}),
    ]
    for url, body in posts:
        assert client.post(url, body).status_code == 404, url
    assert (
        client.post(
            "/portal/report/", {"unit": data["u2"].pk, "fault_description": "x"}
        ).status_code
        == 302
    )
    assert not ServiceOrder.objects.filter(channel="portal").exists()
    assert ServiceOrder.objects.get(pk=theirs.pk).status == "triaged"
    assert Complaint.objects.filter(customer=data["c1"]).count() == 0
    assert not finished.follow_up.results.exists()
    # Staff pages are not reachable with a portal session either.
    assert client.get(f"/orders/{theirs.pk}/report/").status_code == 302


def test_file_and_follow_a_complaint(signed_in, data, new_order):
    order = new_order()
    client = signed_in("13812345678")
    client.post(
        "/portal/complaints/new/",
        {"order": order.pk, "category": "delay", "description": "一直没人联系我"},
    )
    complaint = Complaint.objects.get(customer=data["c1"])
    assert complaint.source == "portal" and complaint.order_id == order.pk
    assert "一直没人联系我" in client.get(f"/portal/complaints/{complaint.pk}/").content.decode()


def test_sign_out_ends_the_portal_session(signed_in, data):
    client = signed_in("13812345678")
    client.post("/portal/logout/")
    assert client.get("/portal/").status_code == 302


def test_the_customer_sets_channel_language_and_withdraws_surveys(signed_in, data):
    from aftersales.notifications.actions import may_contact

    client = signed_in("13812345678")
    client.post("/portal/preferences/", {"notify_channel": "sms", "language": "en"})
    customer = type(data["c1"]).objects.get(pk=data["c1"].pk)
    assert (customer.notify_channel, customer.language) == ("sms", "en")
    assert may_contact(customer, "survey") is False  # the box was not ticked: withdrawn
    assert customer.consents.latest("at").channel == "portal"
    refused = client.post(
        "/portal/preferences/", {"notify_channel": "email", "surveys": "1"}, follow=True
    )
    assert "e-mail" in refused.content.decode().lower() or "邮" in refused.content.decode()
    assert type(data["c1"]).objects.get(pk=data["c1"].pk).notify_channel == "sms"


def test_a_second_report_for_a_unit_with_an_open_request_is_pointed_to_it(signed_in, data):
    client = signed_in("13812345678")
    client.post("/portal/report/", {"unit": data["u1"].pk, "fault_description": "不制冷"})
    again = client.post(
        "/portal/report/", {"unit": data["u1"].pk, "fault_description": "还是不制冷"}, follow=True
    )
    first = ServiceOrder.objects.get(channel="portal")
    assert first.number in again.content.decode() and "我的报修" in again.content.decode()
    assert ServiceOrder.objects.filter(channel="portal").count() == 1


def test_the_unit_label_leads_staff_to_intake_and_the_customer_to_the_portal(
    signed_in, login, people, data
):
    url = f"/q/{data['u1'].serial}/"
    staff = login(people["agent"]).get(url)
    assert staff["Location"] == f"/orders/new/?unit={data['u1'].pk}"
    anonymous = Client().get(url)
    assert anonymous["Location"] == "/portal/login/"
    customer = signed_in("13812345678")
    mine = customer.get(url)
    assert mine["Location"] == f"/portal/report/?unit={data['u1'].pk}"
    new = customer.get("/q/KF-NEW-123/")
    assert new["Location"] == "/portal/units/new/?serial=KF-NEW-123"
    theirs = customer.get(f"/q/{data['u2'].serial}/")  # not theirs: register
    assert theirs["Location"] == f"/portal/units/new/?serial={data['u2'].serial}"


def test_after_signing_in_the_scan_goes_on_to_the_unit(
    data, caplog, django_capture_on_commit_callbacks
):
    client = Client()
    client.get(f"/q/{data['u1'].serial}/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/login/", {"phone": "13812345678"})
    response = client.post("/portal/verify/", {"code": code_from_log(caplog, "13812345678")})
    assert response["Location"] == f"/q/{data['u1'].serial}/"
    assert client.get(response["Location"])["Location"] == f"/portal/report/?unit={data['u1'].pk}"
