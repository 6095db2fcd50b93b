"""End to end in Chromium: a walk-in customer takes a number, is called, hands a unit over
with a photo and a signature and gets the receipt; the bench technician diagnoses, quotes,
uses a part from the station's stock and passes the quality check; the customer is told and
picks the unit up with the code. Second: a portal mail-in with shipments both ways."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from aftersales.fieldwork.models import FeeItem
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import ServiceOrder
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import StockMove
from aftersales.portal.tests.codes import code_from_log
from aftersales.web.tests.browser import sign_in
from aftersales.workshop.models import Shipment, WorkshopJob, WorkshopStation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign(page, scope):
    canvas = page.locator(f"{scope} canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 30)
    page.mouse.down()
    for dx, dy in ((60, 90), (120, 40), (200, 110), (260, 50)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def _photo(tmp_path):
    path = tmp_path / "unit.jpg"
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 160)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_walk_in_bench_and_pickup(page, stock, people, data, tmp_path):
    s1 = data["s1"]
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["station"], part=stock["capacitor"], quantity=3
    )
    FeeItem.objects.create(
        company=data["company"], code="WS", name="检测维修费", kind="labour", price=Decimal("60")
    )
    desk, tech = people["station_manager"], people["tech"]

    # The counter: a number taken and called; the hall shows it.
    sign_in(page, desk)
    page.goto("/workshop/counter/")
    page.click("[data-testid=take-drop_off]")
    expect(page.locator(".alert")).to_contain_text("A001")
    page.click("[data-testid=call-next-button]")
    expect(page.locator("[data-testid=called-A001]")).to_be_visible()
    page.goto(f"/workshop/hall/{s1.pk}/")
    expect(page.locator("[data-testid=hall-number]").first).to_have_text("A001")

    # The unit found by serial, handed over with a photo and the customer's signature.
    page.goto(f"/workshop/counter/?station={s1.pk}&q=KF2401000001")
    page.click("[data-testid=intake-KF2401000001]")
    form = page.locator("[data-testid=intake-form]")
    form.locator("#fault").fill("开机无显示")
    form.locator("#condition").fill("外壳右侧划痕")
    form.locator("#acc").fill("电源线，遥控器")
    form.locator("#photos").set_input_files(str(_photo(tmp_path)))
    _sign(page, "[data-testid=intake-form]")
    form.locator("[data-testid=intake-submit]").click()
    # The unit already has an open request (registered by phone): hand it in for that one.
    expect(page.locator("[data-testid=duplicates]")).to_contain_text(stock["order"].number)
    form.locator("#photos").set_input_files(str(_photo(tmp_path)))
    _sign(page, "[data-testid=intake-form]")
    form.locator("[data-testid=intake-submit]").click()
    code = page.locator("[data-testid=pickup-code] .display-6").inner_text().strip()
    assert len(code) == 6
    job = WorkshopJob.objects.get()
    assert job.order_id == stock["order"].pk
    assert job.photos.count() == 1 and job.intake_signature
    assert job.tickets.get().label == "A001"
    receipt = page.request.get(f"/workshop/jobs/{job.pk}/receipt.pdf")
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    assert OutboxMessage.objects.filter(event="workshop_received").count() == 1

    # The bench: diagnosis, quote, part from the station's shelf, repair, quality check.
    sign_in(page, tech)
    page.goto("/workshop/board/")
    page.locator("[data-testid=col-received] a").first.click()
    page.locator("[data-testid=step-diagnose] button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("检测中")
    diag = page.locator("[data-testid=bench-diagnosis]")
    diag.locator("textarea[name=diagnosis]").fill("主板电容鼓包")
    diag.locator("select[name=cause]").select_option("product_fault")
    diag.locator("button").click()
    quote = page.locator("[data-testid=bench-quote]")
    quote.locator("input[name=fee_item]").first.check()
    quote.locator("input[name=reason]").fill("过保维修")
    quote.locator("button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("待确认报价")

    sign_in(page, desk)  # the customer accepts the quote by phone
    page.goto(f"/workshop/jobs/{job.pk}/")
    page.locator("[data-testid=step-accept_quote] button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("待维修")

    sign_in(page, tech)
    page.goto(f"/workshop/jobs/{job.pk}/")
    page.locator("[data-testid=step-start_repair] button").click()
    part = page.locator("[data-testid=bench-part]")
    part.locator("select[name=part]").select_option(str(stock["capacitor"].pk))
    part.locator("input[name=old_serial]").fill("OLD-7")
    part.locator("button").click()
    expect(page.locator("[data-testid=job-events]")).to_contain_text("压缩机电容")
    page.locator("[data-testid=step-finish_repair] button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("质检")
    page.locator("[data-testid=step-qc_pass] button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("待取件/待寄回")
    assert StockMove.objects.get(order=job.order, kind="issue").warehouse_id == stock["station"].pk
    assert ServiceOrder.objects.get(pk=job.order_id).status == "completed"
    assert OutboxMessage.objects.filter(event="workshop_ready").count() == 1

    # Pickup with the code, the payment and the customer's signature.
    sign_in(page, desk)
    page.goto(f"/workshop/jobs/{job.pk}/")
    hand = page.locator("[data-testid=hand-over-form]")
    hand.locator("[data-testid=code]").fill(code)
    _sign(page, "[data-testid=hand-over-form]")
    hand.locator("[data-testid=hand-over]").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("已取件")
    job.refresh_from_db()
    assert job.picked_up_at is not None and job.order.receipts.get().amount == Decimal("60.00")


def _step(job, verb, user):
    from aftersales.workshop.actions import job_step

    return job_step(actor=user, job=job, verb=verb)


def test_portal_mail_in_with_shipments_both_ways(phone_page, page, people, data, caplog):
    WorkshopStation.objects.create(
        station=data["s1"], mail_in_address="上海市浦东新区维修中心1号", mail_in_phone="021-1"
    )
    customer = phone_page
    # The customer signs in to the portal with the code sent to their phone (the log).
    caplog.set_level("INFO", logger="aftersales.notifications")
    customer.goto("/portal/login/")
    customer.fill("input[name=phone]", "13812345678")
    customer.click("[data-testid=portal-login] button")
    customer.fill("input[name=code]", code_from_log(caplog, "13812345678"))
    customer.click("[data-testid=portal-verify] button")
    expect(customer.locator("[data-testid=portal-units]")).to_contain_text("KF2401000001")
    customer.goto("/portal/mail-in/")
    form = customer.locator("[data-testid=portal-mail-in-form]")
    form.locator("#fault").fill("无法充电")
    form.locator("#ra").fill("上海市浦东新区世纪大道100号")
    form.locator("[data-testid=send-mail-in]").click()
    expect(customer.locator("[data-testid=send-to]")).to_contain_text("维修中心1号")
    job = WorkshopJob.objects.get()
    tracking = customer.locator("[data-testid=portal-tracking-form]")
    tracking.locator("#carrier").fill("顺丰")
    tracking.locator("input[name=tracking_no]").fill("SF123456")
    tracking.locator("button").click()
    expect(customer.locator("[data-testid=shipments]")).to_contain_text("SF123456")
    assert customer.evaluate("document.documentElement.scrollWidth") <= 360

    # The parcel arrives; the workshop matches it by the tracking number and receives it.
    sign_in(page, people["station_manager"])
    page.goto("/workshop/mail-in/")
    page.locator("[data-testid=match-form] input[name=reference]").fill("SF123456")
    page.locator("[data-testid=match-form] button").click()
    receive = page.locator("[data-testid=receive-form]")
    receive.locator("textarea[name=condition]").fill("包装完好，机身无损")
    receive.locator("button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("已接机")
    job.refresh_from_db()
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("diagnose", "confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = _step(job, verb, people["tech"])

    # Shipped back with the tracking number; the customer sees both parcels and the progress.
    page.goto(f"/workshop/jobs/{job.pk}/")
    ship = page.locator("[data-testid=ship-form]")
    ship.locator("input[name=carrier]").fill("顺丰")
    ship.locator("input[name=tracking_no]").fill("SF654321")
    ship.locator("input[name=weight_kg]").fill("0.9")
    ship.locator("input[name=cost]").fill("15")
    ship.locator("button").click()
    expect(page.locator("[data-testid=job-status]")).to_have_text("已寄回")
    assert "SF654321" in OutboxMessage.objects.get(event="workshop_shipped").body
    customer.goto(f"/portal/mail-in/{job.pk}/")
    expect(customer.locator("[data-testid=shipments]")).to_contain_text("SF654321")
    expect(customer.locator("[data-testid=progress] .active")).to_contain_text("已寄回")
    assert Shipment.objects.filter(job=job).count() == 2
