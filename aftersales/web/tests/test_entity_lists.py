"""The units, customers and audit lists as the orders list works: sortable columns, previous /
next with a total, the filters kept from page to page, and the list taken to Excel."""

from __future__ import annotations

import pytest

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.catalog.models import Part
from aftersales.core.models import AuditEntry
from aftersales.customers import actions as customer_actions
from aftersales.web.tests.sheets import xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_units(data, people):
    """27 more units of the first customer, serials in the opposite order of creation."""
    return [
        customer_actions.unit_create(
            actor=people["agent"],
            customer=data["c1"],
            product_model=data["model"],
            serial=f"ZZ{99 - n:04d}",
        )
        for n in range(27)
    ]


def test_units_sort_by_a_column_and_a_second_click_reverses(login, people, many_units):
    client = login(people["agent"])
    page = client.get("/units/", {"sort": "serial"}).content.decode()
    assert page.index("ZZ0073") < page.index("ZZ0074")
    assert "sort=-serial" in page  # the header now offers the reverse
    page = client.get("/units/", {"sort": "-serial"}).content.decode()
    assert page.index("ZZ0099") < page.index("ZZ0098")
    newest = client.get("/units/").content.decode()
    assert newest.index("ZZ0073") < newest.index("ZZ0074")  # newest first by default


def test_units_page_forward_and_back_with_a_total_keeping_the_search(login, people, many_units):
    client = login(people["agent"])
    first = client.get("/units/", {"q": "ZZ", "sort": "serial"}).content.decode()
    assert "第 1–25 条，共 27 条" in first
    assert 'data-testid="previous-page"' not in first
    next_link = first[first.index('data-testid="next-page" href="') :].split('"')[3]
    assert "q=ZZ" in next_link and "sort=serial" in next_link and "page=2" in next_link
    second = client.get("/units/" + next_link.replace("&amp;", "&")).content.decode()
    assert 'data-testid="previous-page"' in second and 'data-testid="next-page"' not in second
    assert "ZZ0099" in second and "ZZ0099" not in first


def test_units_export_has_the_filters_sort_and_labels(login, people, data, many_units):
    response = login(people["agent"]).get("/units/export.xlsx", {"q": "ZZ", "sort": "-serial"})
    rows = xlsx_rows(response)
    assert rows[0][:3] == ("序列号", "产品型号", "用户")
    assert [r[0] for r in rows[1:4]] == ["ZZ0099", "ZZ0098", "ZZ0097"]
    assert len(rows) == 28
    assert rows[1][3] == "138****5678"  # masked as on the page


def test_customers_sort_page_and_export(login, people, data):
    for n in range(26):
        customer_actions.customer_create(
            actor=people["agent"],
            name=f"客户{n:02d}",
            phone=f"1370000{n:04d}",
            station=data["s1"],
            address_line="上海市",
        )
    client = login(people["agent"])
    page = client.get("/customers/", {"sort": "name"}).content.decode()
    assert page.index("客户00") < page.index("客户01")
    assert "sort=-name" in page and 'data-testid="list-total"' in page
    assert "共 28 条" in page
    second = client.get("/customers/", {"sort": "name", "page": "2"}).content.decode()
    assert 'data-testid="previous-page"' in second
    rows = xlsx_rows(client.get("/customers/export.xlsx", {"q": "客户", "sort": "-name"}))
    assert rows[0][:2] == ("名称", "电话")
    assert [r[0] for r in rows[1:3]] == ["客户25", "客户24"]
    assert len(rows) == 27


def test_audit_sorts_pages_keeps_filters_and_exports(login, people, data):
    admin = people["admin"]
    for n in range(55):
        AuditEntry.objects.create(
            actor=admin, action="update", object_type="customers.customer", object_id=str(n)
        )
    client = login(admin)
    first = client.get("/audit/", {"actor": admin.pk}).content.decode()
    assert "第 1–50 条，共 55 条" in first
    next_link = first[first.index('data-testid="next-page" href="') :].split('"')[3]
    assert f"actor={admin.pk}" in next_link and "page=2" in next_link
    assert "sort=-actor" not in first and "sort=actor" in first
    rows = xlsx_rows(client.get("/audit/export.xlsx", {"actor": admin.pk, "sort": "at"}))
    assert rows[0][:3] == ("时间", "用户", "操作")
    assert len(rows) == 56
    assert rows[1][3].endswith(" 0")  # oldest first as asked
    assert login(people["agent"]).get("/audit/export.xlsx").status_code == 403


def test_the_exports_refuse_who_is_not_signed_in(client):
    for url in ("/units/export.xlsx", "/customers/export.xlsx", "/audit/export.xlsx"):
        assert client.get(url).status_code == 302  # to the login page


def test_the_keyset_pager_keeps_every_filter_not_only_the_search(login, people, org_tree):
    for n in range(30):
        Part.objects.create(company=org_tree["company"], code=f"P{n:02d}", name=f"件{n}")
    page = login(people["service_manager"]).get("/catalog/parts/", {"q": "P", "extra": "1"})
    html = page.content.decode()
    next_link = html[html.index('data-testid="next-page" href="') :].split('"')[3]
    assert "q=P" in next_link and "extra=1" in next_link and "after=" in next_link


def test_the_generic_form_shows_help_texts(login, people, data):
    html = login(people["agent"]).get(f"/units/{data['u1'].pk}/edit/").content.decode()
    assert "汽车：退车时的使用补偿按此价格计算。" in html
    assert 'aria-describedby="id_purchase_price_helptext"' in html


def test_the_parts_export_has_the_search_money_and_labels(login, people, data, make_user):
    company = data["company"]
    Part.objects.create(company=company, code="YSJ-1", name="压缩机", price="300", category=None)
    Part.objects.create(
        company=company,
        code="YSJ-2",
        name="变频压缩机",
        price="1280.5",
        category=data["category"],
        is_serialised=True,
    )
    Part.objects.create(company=company, code="FL-1", name="滤网", price="12")
    Part.objects.create(company=data["other"], code="YSJ-9", name="别家压缩机", price="1")
    client = login(people["agent"])
    page = client.get("/catalog/parts/", {"q": "压缩机"}).content.decode()
    assert 'data-testid="part-export"' in page
    assert "/catalog/parts/export.xlsx?q=%E5%8E%8B%E7%BC%A9%E6%9C%BA" in page
    response = client.get("/catalog/parts/export.xlsx", {"q": "压缩机"})
    assert response["Content-Disposition"].startswith('attachment; filename="parts-')
    rows = xlsx_rows(response)
    assert rows[0] == ("配件编号", "名称", "产品类别", "价格（元）", "单位", "按序列号管理", "启用")
    assert rows[1:] == [  # newest first, as on the page; no other company's part
        ("YSJ-2", "变频压缩机", "空调", "1280.50", "个", "是", "是"),
        ("YSJ-1", "压缩机", None, "300.00", "个", "否", "是"),
    ]


def test_the_parts_export_is_refused_without_the_lists_permission(client, org_tree):
    loose = User.objects.create_user(username="loose", password="pw-for-tests-1", role=Role.ADMIN)
    client.force_login(loose)  # staff of no company: no permission at all
    assert client.get("/catalog/parts/export.xlsx").status_code == 403
