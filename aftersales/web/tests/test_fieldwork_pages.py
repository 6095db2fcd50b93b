"""The technician's pages through Django's test client: the day, the visit's forms, photos and
signatures served only in scope, the report page and its PDF, the customer's copy."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from aftersales.dispatch.models import Visit
from aftersales.fieldwork import actions
from aftersales.fieldwork.models import ServiceRecord, SitePhoto
from aftersales.fieldwork.tests.fixtures import drawn_signature, finish_simply
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile("a.jpg", out.getvalue(), content_type="image/jpeg")


def _post(client, order, step, **data):
    return client.post(f"/field/{order.pk}/{step}/", data, follow=True)


def test_my_day_lists_todays_visits_in_route_order_with_call_and_navigation(
    login, people, new_order, walk
):
    tech = people["tech"]
    orders = [walk(new_order(), "assign") for _ in range(2)]
    today = timezone.localdate()
    for seq, order in zip((2, 1), orders, strict=True):
        Visit.objects.create(
            order=order, technician=tech, station=order.station, day=today, sequence=seq
        )
    html = login(tech).get("/my/day/").content.decode()
    assert html.index(orders[1].number) < html.index(orders[0].number)
    assert f'href="tel:{orders[0].customer.phone}"' in html
    assert "geo:" in html and 'data-testid="van-stock"' in html


def test_the_visit_page_walks_accept_depart_arrive(login, people, new_order, walk):
    order = walk(new_order(), "assign")
    client = login(people["tech"])
    assert 'data-testid="accept"' in client.get(f"/field/{order.pk}/").content.decode()
    _post(client, order, "accept", key="a1")
    _post(client, order, "depart", key="d1", eta_minutes="15")
    page = _post(client, order, "arrive", key="r1", latitude="31.23", longitude="121.47")
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"
    assert 'data-testid="save-condition"' in page.content.decode()


def test_a_refused_form_shows_the_reason_and_keeps_the_order(login, people, on_site):
    order = on_site()
    page = _post(login(people["tech"]), order, "finish", key="f1", result="fixed")
    html = page.content.decode()
    assert "签名" in html  # the missing signature named, in Chinese
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"


def test_double_tap_on_the_photo_form_records_once(login, people, on_site):
    order = on_site()
    client = login(people["tech"])
    for _ in range(2):
        client.post(
            f"/field/{order.pk}/photos/", {"key": "same", "kind": "before", "photos": _jpeg()}
        )
    assert SitePhoto.objects.filter(order=order).count() == 1


def test_a_full_visit_through_the_forms(login, people, on_site):
    order = on_site()
    client = login(people["tech"])
    _post(
        client,
        order,
        "condition",
        key="c",
        complete="yes",
        tampered="no",
        signature=drawn_signature(),
    )
    _post(
        client,
        order,
        "diagnosis",
        key="g",
        diagnosis="温控器失灵",
        cause="product_fault",
        work_done="更换温控器",
    )
    _post(
        client,
        order,
        "finish",
        key="f",
        result="fixed",
        rating="4",
        signature=drawn_signature(),
        signer_name="张三",
    )
    record = ServiceRecord.objects.get(order=order)
    assert (record.rating, record.diagnosis) == (4, "温控器失灵")
    assert ServiceOrder.objects.get(pk=order.pk).status == "completed"


def test_unknown_step_is_404(login, people, on_site):
    order = on_site()
    assert login(people["tech"]).post(f"/field/{order.pk}/explode/").status_code == 404


def _finished_with_photo(people, on_site):
    order = on_site()
    [photo] = actions.record_photos(
        actor=people["tech"], order=order, kind="before", files=[_jpeg()]
    )
    order = finish_simply(order, people["tech"])
    return order, photo


def test_photos_signatures_and_report_are_served_only_in_scope(login, people, on_site):
    order, photo = _finished_with_photo(people, on_site)
    signature = ServiceRecord.objects.get(order=order).signatures.first()
    urls = [
        f"/orders/{order.pk}/photos/{photo.pk}/",
        f"/orders/{order.pk}/signatures/{signature.pk}/",
        f"/orders/{order.pk}/report/",
        f"/orders/{order.pk}/report.pdf",
    ]
    for url in urls:
        assert login(people["tech"]).get(url).status_code == 200, url
        assert login(people["station_manager"]).get(url).status_code == 200, url
        # Another station's technician, and a colleague it is not assigned to: not found.
        assert login(people["tech_north"]).get(url).status_code == 404, url
        assert login(people["tech_b"]).get(url).status_code == 404, url
    response = login(people["tech"]).get(urls[0])
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    # A photo id of one order cannot be read through another order the user sees.
    other = on_site()
    assert login(people["tech"]).get(f"/orders/{other.pk}/photos/{photo.pk}/").status_code == 404


def test_the_pdf_report_carries_the_chinese_fields(login, people, on_site):
    order, _photo = _finished_with_photo(people, on_site)
    response = login(people["tech"]).get(f"/orders/{order.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "维修单",
        order.number,
        "张三",
        "电容老化",
        "已修复",
        "KF2401000001",
        "更换电容",
    ):
        assert expected in text, expected
    # The photo and the signatures are embedded as images (identical signatures share one).
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2


def test_the_report_page_shows_the_work_and_links_the_customer_copy(login, people, on_site):
    order, _photo = _finished_with_photo(people, on_site)
    html = login(people["tech"]).get(f"/orders/{order.pk}/report/").content.decode()
    assert "电容老化" in html and 'data-testid="report-photos"' in html
    assert 'data-testid="customer-link"' in html


def test_the_customer_copy_opens_by_its_link_without_login(client, people, on_site):
    order, _photo = _finished_with_photo(people, on_site)
    token = actions.report_token(order)
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and "138****5678" in html and "13812345678" not in html
    assert "report-photos" not in html  # photos only in the PDF, not as open URLs
    pdf = client.get(f"/r/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/r/{token}x/").status_code == 404
    assert client.get(f"/r/{token}x/report.pdf").status_code == 404


def test_fee_schedule_page_adds_and_changes_fees(login, people):
    from aftersales.fieldwork.models import FeeItem

    client = login(people["service_manager"])
    client.post(
        "/field/rules/",
        {"code": "SM", "name": "上门费", "kind": "travel", "price": "50", "is_active": "1"},
    )
    fee = FeeItem.objects.get(code="SM")
    client.post(
        "/field/rules/",
        {"fee_item": fee.pk, "code": "SM", "name": "上门费", "kind": "travel", "price": "55"},
    )
    fee.refresh_from_db()
    assert (fee.price, fee.is_active) == (55, False)
    page = client.post(
        "/field/rules/",
        {"op": "settings", "absent_minutes": "5", "photo_limit": "12", "customer_link_days": "90"},
        follow=True,
    )
    assert (
        "30" in page.content.decode()
        and actions.field_settings(fee.company_id).absent_minutes == 30
    )
    assert login(people["tech"]).get("/field/rules/").status_code == 403
