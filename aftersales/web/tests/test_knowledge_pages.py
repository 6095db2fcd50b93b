"""Knowledge pages through the client: search with filters, article, editor and preview,
review queue, 优质案例 export, synonyms, intake suggestions and solved on the phone, the
order's panel and a case from it."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from aftersales.knowledge import actions
from aftersales.knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_search_page_lists_matches_with_labels(login, people, publish):
    publish("压缩机不启动", "检查电容")
    page = login(people["tech"]).get("/knowledge/?q=压缩")
    assert page.status_code == 200
    text = page.content.decode()
    assert "压缩机不启动" in text and "故障解决方案" in text and "Fault solution" not in text


def test_article_page_shows_sanitised_body(login, people, publish):
    art = publish("漏水", "## 步骤\n\n<script>alert(1)</script>")
    text = login(people["agent"]).get(f"/knowledge/{art.pk}/").content.decode()
    assert ">步骤</h2>" in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text


def test_editor_creates_a_draft_and_preview_renders(login, people, data):
    client = login(people["tech"])
    res = client.post(
        "/knowledge/new/",
        {
            "kind": "solution",
            "title": "外机不转",
            "body": "**电容**",
            "language": "zh-hans",
            "product_models": [data["model"].pk],
        },
    )
    art = Article.objects.get(title="外机不转")
    assert res.status_code == 302 and res["Location"] == f"/knowledge/{art.pk}/"
    assert art.status == "draft" and art.author == people["tech"]
    res = client.post("/knowledge/preview/", {"body": "**粗体** <b>x</b>"})
    assert "<strong>粗体</strong>" in res.content.decode() and "<b>" not in res.content.decode()


def test_editor_shows_errors(login, people):
    res = login(people["tech"]).post("/knowledge/new/", {"kind": "solution", "title": ""})
    assert res.status_code == 422


def test_review_queue_and_publish(login, people):
    art = actions.article_create(actor=people["tech"], kind="solution", title="电容", body="换")
    actions.article_transition(actor=people["tech"], article=art, verb="submit")
    client = login(people["service_manager"])
    assert "电容" in client.get("/knowledge/review/").content.decode()
    client.post(f"/knowledge/{art.pk}/publish/", {"next": "review"})
    art.refresh_from_db()
    assert art.status == "published"


def test_featured_export_is_an_xlsx_of_marked_cases(login, people, publish):
    art = publish("优质维修案例", kind="case")
    actions.article_feature(actor=people["service_manager"], article=art)
    res = login(people["service_manager"]).get("/knowledge/featured.xlsx")
    assert res.status_code == 200
    sheet = load_workbook(io.BytesIO(res.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "优质维修案例"


@pytest.mark.parametrize("role", ["agent", "tech", "dispatcher"])
def test_review_pages_are_for_the_service_manager(login, people, role):
    client = login(people[role])
    for url in ("/knowledge/review/", "/knowledge/featured.xlsx", "/knowledge/synonyms/"):
        assert client.get(url).status_code == 403


def test_synonyms_page_saves(login, people):
    client = login(people["service_manager"])
    client.post("/knowledge/synonyms/", {"text": "冒烟 / 起火"})
    assert "冒烟 / 起火" in client.get("/knowledge/synonyms/").content.decode()


def test_intake_suggestions_and_solved_on_the_phone(login, people, publish, data):
    art = publish("遥控器没反应怎么办", "先换电池", product_models=[data["model"]])
    client = login(people["agent"])
    res = client.get(
        "/knowledge/suggest/", {"fault_description": "遥控器没反应", "unit": data["u1"].pk}
    )
    assert "遥控器没反应怎么办" in res.content.decode()
    assert 'name="solved_by"' in res.content.decode()
    res = client.post(
        "/orders/new/",
        {
            "customer": data["c1"].pk,
            "unit": data["u1"].pk,
            "channel": "phone",
            "service_type": "repair",
            "priority": "medium",
            "fault_description": "遥控器没反应",
            "allow_duplicate": "on",
            "solved_by": art.pk,
        },
    )
    assert res.status_code == 302
    from aftersales.orders.models import ServiceOrder

    order = ServiceOrder.objects.get(fault_description="遥控器没反应")
    assert order.status == "closed"
    assert order.events.filter(action="solve_remotely").exists()


def test_order_panel_offers_a_case_for_a_completed_order(login, people, new_order, walk, publish):
    publish("电容老化的处理", "更换电容")
    order = walk(new_order(fault_description="电容老化"), "complete")
    client = login(people["tech"])
    panel = client.get(f"/knowledge/orders/{order.pk}/").content.decode()
    assert "电容老化的处理" in panel and "case-from-order" in panel
    res = client.post(f"/orders/{order.pk}/case/")
    art = Article.objects.get(source_order=order)
    assert res["Location"] == f"/knowledge/{art.pk}/edit/"
    assert "张三" not in art.body and "13812345678" not in art.body


def test_editor_attaches_photos_and_the_article_page_shows_them(login, people):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, "JPEG")
    art = actions.article_create(actor=people["tech"], kind="solution", title="电容", body="换")
    client = login(people["tech"])
    res = client.post(
        f"/knowledge/{art.pk}/edit/",
        {
            "kind": "solution",
            "title": "电容鼓包",
            "body": "换",
            "language": "zh-hans",
            "version": art.version,
            "photos": SimpleUploadedFile("c.jpg", out.getvalue(), content_type="image/jpeg"),
        },
    )
    assert res.status_code == 302
    photo = art.photos.get()
    assert client.get(f"/knowledge/photos/{photo.pk}/")["Content-Type"] == "image/jpeg"
    assert login(people["agent"]).get(f"/knowledge/photos/{photo.pk}/").status_code == 404
