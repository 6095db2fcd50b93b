"""End to end in Chromium at phone size (360 px, touch): a technician opens the day, accepts,
departs, checks in, records the condition with the customer's signature, the diagnosis, a part
from the van and photos, collects the signature and completes; the order's timeline and the
service report show it all. Typed text survives a reload before it is saved."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from aftersales.dispatch.models import Visit
from aftersales.fieldwork.models import ServiceRecord, Signature, SitePhoto
from aftersales.orders.models import ServiceOrder
from aftersales.parts import actions as stock_actions
from aftersales.parts.models import StockMove
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign(page, form):
    """Draw a stroke on the form's signature pad like a finger would."""
    canvas = page.locator(f"[data-testid=form-{form}] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 30)
    page.mouse.down()
    for dx, dy in ((60, 90), (120, 40), (200, 110), (260, 50)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def _photo(tmp_path):
    path = tmp_path / "before.jpg"
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 160, 90)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_technician_works_a_visit_on_the_phone(phone_page, stock, walk, people, tmp_path):
    page, tech = phone_page, people["tech"]
    cap = stock["capacitor"]
    stock_actions.stock_receive(
        actor=stock["manager"], warehouse=stock["van"], part=cap, quantity=4
    )
    order = walk(stock["order"], "assign")
    Visit.objects.create(
        order=order, technician=tech, station=order.station, day=timezone.localdate(), sequence=1
    )
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 15})

    sign_in(page, tech)
    page.goto("/my/day/")
    visit = page.locator(f"[data-testid=my-visit][data-order='{order.number}']")
    expect(visit).to_contain_text("张三")
    expect(visit.locator("a[href^='tel:']")).to_have_count(1)
    expect(page.locator("[data-testid=van-stock]")).to_contain_text("CAP-35")
    visit.locator("[data-testid=open-visit]").click()

    page.click("[data-testid=accept]")
    expect(page.locator("[data-testid=visit-status]")).to_have_text("已接单")
    page.fill("#eta", "20")
    page.click("[data-testid=depart]")
    expect(page.locator("[data-testid=visit-status]")).to_have_text("在途")
    page.click("[data-testid=arrive]")
    expect(page.locator("[data-testid=visit-status]")).to_have_text("已到场")
    record = ServiceRecord.objects.get(order=order)
    assert record.latitude == pytest.approx(31.2304)
    # The on-site page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Condition before work, signed by the customer.
    form = page.locator("[data-testid=form-condition]")
    form.locator("label[for=c-yes]").click()
    form.locator("label[for=t-no]").click()
    _sign(page, "condition")
    form.locator("[data-testid=save-condition]").click()
    expect(page.locator("[data-testid=condition-done]")).to_be_visible()

    # The diagnosis typed, the page reloaded before saving (a lost connection): still there.
    diagnosis = page.locator("[data-testid=form-diagnosis] textarea[name=diagnosis]")
    diagnosis.fill("压缩机启动电容失效")
    page.reload()
    expect(diagnosis).to_have_value("压缩机启动电容失效")
    page.locator("#cause-product_fault").check()
    page.fill("[data-testid=form-diagnosis] textarea[name=work_done]", "更换启动电容，试机正常")
    page.click("[data-testid=save-diagnosis]")
    expect(page.locator(".alert")).to_contain_text("检测结果已保存")

    # A part out of the van, with the old part's serial.
    part = page.locator("[data-testid=form-part]")
    part.locator("select[name=part]").select_option(str(cap.pk))
    part.locator("input[name=old_serial]").fill("OLD-CAP-1")
    part.locator("[data-testid=save-part]").click()
    expect(page.locator(".alert")).to_contain_text("配件已记录")

    # Photos; a double tap on the button records them once.
    photos = page.locator("[data-testid=form-photos]")
    photos.locator("input[type=file]").set_input_files(str(_photo(tmp_path)))
    photos.locator("[data-testid=save-photos]").dblclick()
    expect(page.locator("[data-testid=photo-list] img")).to_have_count(1)

    # Finishing without the signature is refused and says so.
    finish = page.locator("[data-testid=form-finish]")
    finish.locator("select[name=result]").select_option("replaced_part")
    finish.locator("[data-testid=finish]").click()
    expect(page.locator(".alert")).to_contain_text("缺少：客户签名")
    assert ServiceOrder.objects.get(pk=order.pk).status == "on_site"

    # The choice survived the refusal (a draft); the customer rates and signs.
    expect(finish.locator("select[name=result]")).to_have_value("replaced_part")
    finish.locator("label[for=r5]").click()
    _sign(page, "finish")
    finish.locator("[data-testid=finish]").click()
    expect(page.locator("[data-testid=visit-status]")).to_have_text("已完工")

    order.refresh_from_db()
    assert order.status == "completed"
    assert SitePhoto.objects.filter(order=order).count() == 1
    assert StockMove.objects.get(order=order, kind="issue").old_serial == "OLD-CAP-1"
    assert set(Signature.objects.filter(record__order=order).values_list("purpose", flat=True)) == {
        "condition",
        "completion",
    }

    # The order's timeline shows the work on site.
    page.goto(f"/orders/{order.pk}/")
    timeline = page.locator("[data-testid=timeline]")
    for action, text in (
        ("check_in", "已签到"),
        ("condition", "完整; 无拆修痕迹"),
        ("diagnosis", "产品质量问题"),
        ("part_used", "OLD-CAP-1"),
        ("photos", "×1"),
        ("finish", "更换配件后修复 · 5★"),
        ("complete", "已完工"),
    ):
        expect(timeline.locator(f"li[data-action={action}]").first).to_contain_text(text)

    # The report shows it all, photo and signatures included.
    page.goto(f"/orders/{order.pk}/report/")
    report = page.locator("[data-testid=report]")
    expect(report).to_contain_text("压缩机启动电容失效")
    expect(report).to_contain_text("更换配件后修复")
    expect(report.locator("[data-testid=report-parts]")).to_contain_text("OLD-CAP-1")
    expect(report.locator("[data-testid=report-photos] img")).to_have_count(1)
    expect(report.locator("[data-testid=report-signatures] img")).to_have_count(2)
    loaded = page.evaluate(
        "Array.from(document.querySelectorAll('[data-testid=report] img')).every(i => i.naturalWidth > 0)"
    )
    assert loaded
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
