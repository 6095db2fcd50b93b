"""Fault codes are unique per product category: an order's and a diagnosis's codes are those of
the unit's category; a code several categories share is refused when nothing says which."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.catalog.models import FaultCode, ProductCategory, ProductModel
from aftersales.fieldwork.models import ServiceRecord
from aftersales.imports import actions
from aftersales.imports.models import ExternalRef
from aftersales.imports.tests.legacy import jsonl, legacy_rows, order_rows
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_e1(data: dict[str, Any]) -> dict[str, Any]:
    """E1 in the air conditioners and in the water heaters; a water-heater model RSJ-60."""
    ac = data["category"]
    wh = ProductCategory.objects.create(company=ac.company, code="wh", name="热水器")
    ProductModel.objects.create(category=wh, code="RSJ-60", name="电热水器")
    return {
        "ac": FaultCode.objects.create(category=ac, code="E1", symptom="不制冷"),
        "wh": FaultCode.objects.create(category=wh, code="E1", symptom="不加热"),
    }


def _apply(importer: Any, rows: list[dict[str, Any]]) -> Any:
    job = actions.history_import_create(actor=importer, name="c.jsonl", data=jsonl(rows).encode())
    return actions.history_import_apply(import_id=job.pk)


def test_an_orders_fault_codes_are_those_of_its_units_category(importer, tech, shared_e1):
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    rows[0]["fault_code"] = "E1"
    rows[6]["fault_codes"] = ["E1"]  # the diagnosis
    base = legacy_rows(technician=tech.username, years=0)[:3]
    base[1]["model"] = "RSJ-60"  # a water heater
    job = _apply(importer, base + rows)
    assert (job.refused, job.gaps) == (0, 0), list(job.issues.values_list("line", "params"))
    order = ServiceOrder.objects.get(pk=ExternalRef.objects.get(external_id="WO-1").object_id)
    assert order.fault_code == shared_e1["wh"]
    assert list(ServiceRecord.objects.get(order=order).fault_codes.all()) == [shared_e1["wh"]]


def test_a_shared_fault_code_on_an_order_without_a_unit_is_refused(importer, tech, shared_e1):
    rows = order_rows(1, dt.date(2022, 1, 4), technician=tech.username, customer="C-1", unit="U-1")
    del rows[0]["unit"]
    rows[0]["fault_code"] = "E1"
    job = _apply(importer, legacy_rows(technician=tech.username, years=0)[:1] + rows[:1])
    assert job.refused == 1 and not ServiceOrder.objects.exists()
    detail = job.issues.get().params["detail"]
    assert "E1" in detail and "ac, wh" in detail


def test_a_units_model_code_two_categories_share_needs_the_category(importer, tech, shared_e1):
    from aftersales.customers.models import InstalledUnit
    from aftersales.imports.export import history_export

    ac, wh = shared_e1["ac"].category, shared_e1["wh"].category
    ProductModel.objects.create(category=wh, code="KFR-35GW", name="同号热水器")
    base = legacy_rows(technician=tech.username, years=0)[:2]
    job = _apply(importer, base)
    imported = InstalledUnit.objects.filter(serial="KF2101000009")
    assert job.refused == 1 and not imported.exists()
    assert "ac, wh" in job.issues.get().params["detail"]
    base[1]["category"] = "wh"
    job = _apply(importer, base)
    assert job.refused == 0
    assert imported.get().product_model.category == wh
    # The export names the category, so the round trip finds the same model.
    rows = [r for r in history_export(actor=importer).rows if r["kind"] == "unit"]
    row = next(r for r in rows if r["serial"] == "KF2101000009")
    assert (row["model"], row["category"]) == ("KFR-35GW", "wh")
    assert ac != wh
