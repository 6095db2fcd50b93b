"""Order pages through Django's test client: intake, duplicates, photos, lists, bulk actions,
saved views, the calendar page and the QR code."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from aftersales.customers.models import Customer, InstalledUnit
from aftersales.orders.models import OrderAttachment, SavedView, ServiceOrder


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _post(client, data, **fields):
    body = {
        "unit": data["u1"].pk,
        "channel": "phone",
        "service_type": "repair",
        "priority": "medium",
        "fault_description": "不制冷",
    }
    body.update(fields)
    return client.post("/orders/new/", body)


def test_intake_registers_and_redirects_to_the_order(login, agent, data):
    response = _post(login(agent), data)
    order = ServiceOrder.objects.get()
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"
    assert order.customer == data["c1"] and order.channel == "phone"


def test_intake_creates_customer_and_unit_inline(login, agent, data):
    response = login(agent).post(
        "/orders/new/",
        {
            "channel": "walk_in",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "噪音大",
            "new_name": "赵六",
            "new_phone": "13600001111",
            "new_address": "杭州市西湖区1号",
            "new_model": data["model"].pk,
            "new_serial": "kf-new-1",
        },
    )
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.customer.name == "赵六" and order.unit.serial == "KF-NEW-1"


def test_intake_failure_writes_nothing(login, agent, data):
    response = login(agent).post(
        "/orders/new/",
        {
            "channel": "phone",
            "service_type": "repair",
            "priority": "low",
            "fault_description": "噪音大",
            "new_name": "赵六",
            "new_phone": "13600001111",
            "new_model": data["model"].pk,
            "new_serial": data["u1"].serial,  # already registered: the unit cannot be created
        },
    )
    assert response.status_code in (409, 422)
    assert not Customer.objects.filter(name="赵六").exists()
    assert ServiceOrder.objects.count() == 0


def test_second_call_about_the_unit_needs_confirmation(login, agent, data):
    client = login(agent)
    _post(client, data)
    response = _post(client, data)
    assert response.status_code == 409
    assert 'data-testid="duplicate-warning"' in response.content.decode()
    assert ServiceOrder.objects.count() == 1
    assert _post(client, data, allow_duplicate="on").status_code == 302
    assert ServiceOrder.objects.count() == 2


def test_photos_are_reencoded_and_served_only_in_scope(login, agent, data, people):
    client = login(agent)
    upload = SimpleUploadedFile("故障.png", _png(), content_type="image/png")
    response = client.post(
        "/orders/new/",
        {
            "unit": data["u1"].pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "medium",
            "fault_description": "x",
            "attachments": [upload],
        },
    )
    assert response.status_code == 302
    photo = OrderAttachment.objects.get()
    assert photo.original_name == "故障.png" and photo.stored_name != "故障.png"
    url = f"/orders/{photo.order_id}/attachments/{photo.pk}/"
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (40, 30)
    assert login(people["tech_north"]).get(url).status_code == 404


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(login, agent, data):
    fake = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho hi\n", content_type="image/jpeg")
    response = login(agent).post(
        "/orders/new/",
        {
            "unit": data["u1"].pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "medium",
            "fault_description": "x",
            "attachments": [fake],
        },
    )
    assert response.status_code == 422
    assert ServiceOrder.objects.count() == 0


def test_list_marks_overdue_rows_and_filters_them(login, agent, data, new_order):
    import datetime as dt

    from django.utils import timezone

    late = new_order(created_at=timezone.now() - dt.timedelta(days=30))
    fresh = new_order()
    client = login(agent)
    page = client.get("/orders/?queue=open").content.decode()
    assert 'data-state="breached"' in page and late.number in page and fresh.number in page
    overdue = client.get("/orders/?queue=overdue").content.decode()
    assert late.number in overdue and fresh.number not in overdue


def test_list_query_count_does_not_grow_with_rows(
    login, agent, data, new_order, django_assert_max_num_queries
):
    client = login(agent)
    for _ in range(3):
        new_order()
    client.get("/orders/")
    with django_assert_max_num_queries(12):
        client.get("/orders/")
    for _ in range(20):
        new_order()
    with django_assert_max_num_queries(12):
        client.get("/orders/")


def test_bulk_change_priority_from_the_list(login, agent, data, new_order):
    a, b = new_order(), new_order()
    response = login(agent).post(
        "/orders/bulk/", {"ids": [a.pk, b.pk], "operation": "priority", "priority": "high"}
    )
    assert response.status_code == 302
    assert set(ServiceOrder.objects.values_list("priority", flat=True)) == {"high"}


def test_saved_view_is_kept_per_user(login, agent, data):
    client = login(agent)
    client.post("/orders/views/", {"name": "高优先级", "query": "queue=open&priority=high"})
    view = SavedView.objects.get(user=agent)
    assert view.query == "queue=open&priority=high"
    assert "高优先级" in client.get("/orders/").content.decode()


def test_order_page_shows_only_the_users_next_steps(login, people, data, new_order):
    order = new_order()
    agent_page = login(people["agent"]).get(f"/orders/{order.pk}/").content.decode()
    assert "act-triage" in agent_page and "act-dispatch" not in agent_page
    dispatcher_page = login(people["dispatcher"]).get(f"/orders/{order.pk}/").content.decode()
    assert "act-dispatch" in dispatcher_page


def test_refused_transition_shows_a_message_and_changes_nothing(login, people, data, new_order):
    order = new_order()
    client = login(people["agent"])
    response = client.post(
        f"/orders/{order.pk}/act/follow_up/", {"version": order.version}, follow=True
    )
    assert ServiceOrder.objects.get(pk=order.pk).status == "registered"
    assert "alert" in response.content.decode()


def test_calendar_page_adds_a_closure_for_editors_only(login, people, data):
    admin = login(people["admin"])
    admin.post(
        "/calendar/?year=2026", {"op": "closure_add", "date": "2026-12-24", "name": "年终盘点"}
    )
    assert "年终盘点" in admin.get("/calendar/?year=2026").content.decode()
    tech = login(people["tech"])
    response = tech.post("/calendar/", {"op": "closure_add", "date": "2026-12-25", "name": "x"})
    assert response.status_code == 403


def test_unit_qr_code_opens_intake_with_the_unit(login, agent, data):
    client = login(agent)
    page = client.get(f"/units/{data['u1'].pk}/qr/").content.decode()
    assert "<svg" in page and f"/q/{data['u1'].serial}/" in page
    assert (
        client.get(f"/q/{data['u1'].serial}/")["Location"] == f"/orders/new/?unit={data['u1'].pk}"
    )
    assert InstalledUnit.objects.count() == 2


def test_service_level_policy_is_created_from_the_page(login, people, data):
    client = login(people["service_manager"])
    response = client.post(
        "/service-levels/new/",
        {
            "name": "金牌合同",
            "contract_level": "gold",
            "respond_minutes": "30",
            "respond_clock": "calendar",
            "arrive_clock": "working",
            "resolve_clock": "working",
            "rank": "10",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert "金牌合同" in client.get("/service-levels/").content.decode()


def test_working_hours_are_edited_on_the_calendar_page(login, people, data):
    from aftersales.calendars.selectors import work_calendar

    client = login(people["admin"])
    response = client.post(
        "/calendar/hours/",
        {"intervals": "08:30-12:00, 13:00-17:30", "weekdays": ["0", "1", "2", "3", "4", "5"]},
    )
    assert response.status_code == 302
    cal = work_calendar(people["admin"].company_id)
    assert 5 in cal.weekdays and len(cal.intervals) == 2
    bad = client.post("/calendar/hours/", {"intervals": "18:00-09:00", "weekdays": ["0"]})
    assert bad.status_code == 200 and "HH:MM" in bad.content.decode()


def test_admin_sees_the_missing_calendar_alert_on_the_home_page(
    login, people, org_tree, new_order, django_capture_on_commit_callbacks
):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from aftersales.calendars.models import CalendarDay, CalendarYear

    CalendarYear.objects.filter(company=org_tree["company"], year=2025).delete()
    CalendarDay.objects.filter(company=org_tree["company"], date__year=2025).delete()
    with django_capture_on_commit_callbacks(execute=True):
        new_order(created_at=dt.datetime(2025, 9, 30, 16, tzinfo=ZoneInfo("Asia/Shanghai")))
    home = login(people["admin"]).get("/").content.decode()
    assert 'data-testid="inbox"' in home and "2025" in home
    assert 'data-testid="inbox"' not in login(people["agent"]).get("/").content.decode()


def test_bulk_dispatch_with_a_bad_station_is_refused_per_order(login, people, data, new_order):
    order = new_order()
    response = login(people["dispatcher"]).post(
        "/orders/bulk/", {"ids": [order.pk], "operation": "dispatch", "station": "abc"}, follow=True
    )
    assert response.status_code == 200
    assert ServiceOrder.objects.get(pk=order.pk).status == "registered"


def test_intake_shows_the_warranty_decision_and_the_order_page_allows_an_override(
    login, people, data, new_order
):
    from aftersales.warranty.actions import warranty_policy_save

    warranty_policy_save(
        actor=people["service_manager"],
        name="空调六年",
        category=data["category"],
        whole_unit_months=72,
        serial_format={"year": [2, 4], "month": [4, 6]},
    )
    intake_page = login(people["agent"]).get(f"/orders/new/?unit={data['u1'].pk}").content.decode()
    assert (
        'data-testid="intake-warranty"' in intake_page
        and "在整机三包有效期内：免费修理。" in intake_page
        and "general.whole_unit_period" not in intake_page
    )
    order = new_order()
    manager = login(people["service_manager"])
    assert (
        f'action="/orders/{order.pk}/warranty/"'
        in manager.get(f"/orders/{order.pk}/").content.decode()
    )
    manager.post(
        f"/orders/{order.pk}/warranty/",
        {"decision": "paid_repair", "reason": "人为损坏", "version": order.version},
    )
    order.refresh_from_db()
    assert order.warranty_decision == "paid_repair"
    agent_post = login(people["agent"]).post(
        f"/orders/{order.pk}/warranty/", {"decision": "free_repair", "reason": "x"}
    )
    assert agent_post.status_code == 403


def test_warranty_policy_is_created_from_the_page_and_the_floor_is_shown(login, people, data):
    from aftersales.catalog.models import MainComponent

    MainComponent.objects.create(category=data["category"], code="compressor", name="压缩机")
    client = login(people["service_manager"])
    base = {
        "name": "空调六年",
        "kind": "general",
        "category": data["category"].pk,
        "whole_unit_months": "72",
        "components-TOTAL_FORMS": "1",
        "components-INITIAL_FORMS": "0",
        "components-0-component": "compressor",
        "components-0-months": "72",
        "start_event": "invoice",
        "return_days": "7",
        "exchange_days": "15",
        "repair_count_threshold": "2",
        "max_repair_days": "30",
        "max_parts_wait_days": "90",
        "serial_year": "2-4",
        "serial_month": "4-6",
        "shipping_allowance_days": "30",
    }
    assert client.post("/warranty/new/", base).status_code == 302
    assert "空调六年" in client.get("/warranty/").content.decode()
    from aftersales.warranty.models import WarrantyPolicy

    row = WarrantyPolicy.objects.get(name="空调六年")
    assert row.components == {"compressor": 72}
    assert row.serial_format == {"year": [2, 4], "month": [4, 6]}
    worse = client.post("/warranty/new/", {**base, "name": "缩水", "return_days": "3"})
    assert worse.status_code == 200 and not WarrantyPolicy.objects.filter(name="缩水").exists()
    assert login(people["agent"]).get("/warranty/").status_code == 403


def test_the_order_page_shows_events_made_by_the_system(login, people, data, new_order):
    from aftersales.orders import actions as order_actions

    order = new_order()
    order_actions.order_transition(actor=None, order=order, action="dispatch", station=data["s1"])
    response = login(people["dispatcher"]).get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    assert "系统" in response.content.decode()
