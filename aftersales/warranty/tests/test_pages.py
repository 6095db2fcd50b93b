"""The policy page offers the phone and computer rules and their accessories."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings

from aftersales.warranty.actions import policy_for
from aftersales.warranty.models import WarrantyPolicy


def test_a_phone_policy_with_accessories_is_saved_and_applied(login, people, data):
    manager = login(people["service_manager"])
    page = manager.get("/warranty/new/").content.decode()
    assert "移动电话机" in page and 'name="accessories-0-code"' in page
    accessories = (
        ("battery", 6),
        ("charger", 12),
        ("wired_headset", 3),
        ("terminal_card", 12),
        ("data_card", 12),
    )
    rows: dict[str, object] = {
        "accessories-TOTAL_FORMS": len(accessories),
        "accessories-INITIAL_FORMS": 0,
    }
    for k, (code, months) in enumerate(accessories):
        rows[f"accessories-{k}-code"] = code
        rows[f"accessories-{k}-months"] = months
    response = manager.post(
        "/warranty/new/",
        {
            **rows,
            "name": "手机",
            "kind": "phone",
            "category": data["category"].pk,
            "whole_unit_months": 12,
            "start_event": "invoice",
            "return_days": 7,
            "exchange_days": 15,
            "repair_count_threshold": 2,
            "max_repair_days": 30,
            "max_parts_wait_days": 90,
            "shipping_allowance_days": 30,
            "car_use_rate": "0.004",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = WarrantyPolicy.objects.get(name="手机")
    assert row.accessories["battery"] == 6 and row.car_use_rate == Decimal("0.004")
    policy = policy_for(
        company_id=row.company_id, product_model_id=None, category_id=data["category"].pk
    )
    assert policy.kind == "phone" and policy.accessories["wired_headset"] == 3


def test_a_phone_policy_shorter_than_the_rule_is_refused(login, people, data):
    response = login(people["service_manager"]).post(
        "/warranty/new/",
        {
            "name": "手机",
            "kind": "phone",
            "whole_unit_months": 12,
            "accessories": "battery:3",
            "start_event": "invoice",
            "return_days": 7,
            "exchange_days": 15,
            "repair_count_threshold": 2,
            "max_repair_days": 30,
            "max_parts_wait_days": 90,
            "shipping_allowance_days": 30,
        },
    )
    assert response.status_code == 200
    assert not WarrantyPolicy.objects.filter(name="手机").exists()


def test_the_english_policy_page_has_no_chinese_labels(login, people, data):
    """The car fields were labelled "Car: 三包 period" on the English page."""
    client = login(people["service_manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/warranty/new/").content.decode()
    assert "Car: exchange and return period (months)" in page
    labels = re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
    assert labels and not [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]


def test_the_policies_list_names_the_main_components_on_a_phone_too(login, people, data):
    """The fourth column is hidden on a phone: the components go under the policy's name."""
    from aftersales.catalog.models import MainComponent

    MainComponent.objects.create(category=data["category"], code="compressor", name="压缩机")
    WarrantyPolicy.objects.create(
        company=data["company"],
        name="空调三包",
        category=data["category"],
        whole_unit_months=12,
        components={"compressor": 72},
    )
    page = login(people["service_manager"]).get("/warranty/").content.decode()
    narrow = re.search(r'data-testid="policy-components-narrow">([^<]*)<', page)
    assert narrow is not None and "压缩机 72" in narrow.group(1)
    assert page.count("压缩机 72") == 2  # and in the column of a wider screen
    assert '<th class="d-none d-md-table-cell">' in page
