"""The policy page edits main components as rows (component by its name, months), not as
`code:months` text."""

from __future__ import annotations

import pytest

from aftersales.catalog.models import MainComponent
from aftersales.warranty.models import WarrantyPolicy

pytestmark = pytest.mark.django_db

BASE = {
    "name": "空调",
    "kind": "general",
    "whole_unit_months": 12,
    "start_event": "invoice",
    "return_days": 7,
    "exchange_days": 15,
    "repair_count_threshold": 2,
    "max_repair_days": 30,
    "max_parts_wait_days": 90,
    "shipping_allowance_days": 30,
}


def _rows(*rows, total=3):
    data = {"components-TOTAL_FORMS": total, "components-INITIAL_FORMS": 0}
    for k, (component, months) in enumerate(rows):
        data[f"components-{k}-component"] = component
        data[f"components-{k}-months"] = months
    return data


@pytest.fixture
def components(data):
    cat = data["category"]
    MainComponent.objects.create(category=cat, code="compressor", name="压缩机")
    MainComponent.objects.create(category=cat, code="panel", name="显示面板")


def test_components_are_chosen_by_name_and_saved_as_rows(login, people, data, components):
    manager = login(people["service_manager"])
    page = manager.get("/warranty/new/").content.decode()
    assert 'data-testid="component-rows"' in page
    assert '<option value="compressor">压缩机</option>' in page
    assert 'name="components"' not in page  # no code:months text any more
    response = manager.post(
        "/warranty/new/",
        {**BASE, "category": data["category"].pk, **_rows(("compressor", 72), ("panel", 36))},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = WarrantyPolicy.objects.get(name="空调")
    assert policy.components == {"compressor": 72, "panel": 36}

    edit = manager.get(f"/warranty/{policy.pk}/").content.decode()
    assert '<option value="compressor" selected>压缩机</option>' in edit
    assert 'value="72"' in edit
    manager.post(
        f"/warranty/{policy.pk}/",
        {**BASE, "category": data["category"].pk, **_rows(("compressor", 60), ("", ""))},
    )
    policy.refresh_from_db()
    assert policy.components == {"compressor": 60}  # an emptied row is removed


@pytest.mark.parametrize(
    "rows",
    [
        (("compressor", 72), ("compressor", 36)),  # twice
        (("compressor", ""),),  # no months
        (("compressor", 0),),  # not a period
        (("boiler", 12),),  # not a component of the company
    ],
)
def test_bad_rows_are_refused_and_nothing_is_saved(login, people, data, components, rows):
    response = login(people["service_manager"]).post(
        "/warranty/new/", {**BASE, "category": data["category"].pk, **_rows(*rows)}
    )
    assert response.status_code == 200
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert not WarrantyPolicy.objects.filter(name="空调").exists()


def _accessories(*rows, total=3):
    data = {"accessories-TOTAL_FORMS": total, "accessories-INITIAL_FORMS": 0}
    for k, (code, months) in enumerate(rows):
        data[f"accessories-{k}-code"] = code
        data[f"accessories-{k}-months"] = months
    return data


def test_accessories_are_rows_too(login, people, data):
    manager = login(people["service_manager"])
    page = manager.get("/warranty/new/").content.decode()
    assert 'data-testid="accessory-rows"' in page and "配件编码" in page
    assert 'name="accessories"' not in page  # no code:months text any more
    response = manager.post(
        "/warranty/new/", {**BASE, **_accessories(("battery", 6), ("charger", 12))}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = WarrantyPolicy.objects.get(name="空调")
    assert policy.accessories == {"battery": 6, "charger": 12}
    edit = manager.get(f"/warranty/{policy.pk}/").content.decode()
    assert 'name="accessories-1-code" value="charger"' in edit
    manager.post(f"/warranty/{policy.pk}/", {**BASE, **_accessories(("", ""), ("charger", 9))})
    policy.refresh_from_db()
    assert policy.accessories == {"charger": 9}
    # A client that does not send the rows keeps them.
    manager.post(f"/warranty/{policy.pk}/", BASE)
    policy.refresh_from_db()
    assert policy.accessories == {"charger": 9}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((("battery", 6), ("battery", 12)), "每种配件只能填写一次"),
        ((("battery", ""),), "请填写该配件的保修月数"),
        ((("battery", 0),), 'id="id_accessories-0-months"'),
        ((("电池!", 6),), "字母、数字和下划线"),
    ],
)
def test_bad_accessory_rows_are_refused(login, people, data, rows, message):
    response = login(people["service_manager"]).post(
        "/warranty/new/", {**BASE, **_accessories(*rows)}
    )
    text = response.content.decode()
    assert response.status_code == 200 and 'class="invalid-feedback d-block"' in text
    assert message in text
    assert not WarrantyPolicy.objects.filter(name="空调").exists()


def test_accessories_below_the_law_are_refused_under_their_rows(login, people, data):
    response = login(people["service_manager"]).post(
        "/warranty/new/", {**BASE, "kind": "phone", **_accessories(("battery", 3))}
    )
    text = response.content.decode()
    assert response.status_code == 200 and not WarrantyPolicy.objects.exists()
    rows = text.split('data-testid="accessory-rows"')[1].split("</fieldset>")[0]
    assert "低于法定标准" in rows
