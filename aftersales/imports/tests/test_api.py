"""POST /api/v1/imports, progress, report, apply; records found by their external id."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.accounts.choices import Role
from aftersales.imports.tests.legacy import jsonl, legacy_rows

pytestmark = pytest.mark.django_db


def _upload(client, text: str):
    file = SimpleUploadedFile("legacy.jsonl", text.encode(), content_type="application/jsonl")
    return client.client.post("/api/v1/imports", {"file": file})


def test_upload_report_apply_then_find_records_by_external_id(api, importer, tech):
    client = api(importer)
    rows = legacy_rows(technician=tech.username, years=1)
    rows.append({"kind": "event", "order": "WO-404", "action": "accept", "at": "2023-01-01"})
    made = _upload(client, jsonl(rows))
    assert made.status_code == 201, made.content
    job = made.json()
    assert (job["status"], job["total"], job["refused"]) == ("checked", len(rows), 1)
    report = client.get(f"/imports/{job['id']}/report", HTTP_ACCEPT_LANGUAGE="en").json()
    assert report["create"] == len(rows) - 1 and report["refuse"] == 1
    assert "WO-404" in report["rows"][-1]["messages"][0]
    applied = client.post(f"/imports/{job['id']}/apply")
    assert applied.status_code == 202
    progress = client.get(f"/imports/{job['id']}").json()
    assert progress["status"] == "done" and progress["done"] == len(rows)
    assert progress["applied"] == len(rows) - 1 and progress["refused"] == 1
    issues = client.get(f"/imports/{job['id']}/issues").json()
    assert [i["line"] for i in issues] == [len(rows)]
    orders = client.get("/orders?external_id=WO-2").json()["items"]
    assert len(orders) == 1 and orders[0]["status"] == "closed"
    assert client.get("/orders?external_id=WO-9").json()["items"] == []
    customers = client.get("/customers?external_id=C-1").json()["items"]
    assert [c["name"] for c in customers] == ["王五"]
    units = client.get("/units?external_id=U-1").json()["items"]
    assert [u["serial"] for u in units] == ["KF2101000009"]
    ref = client.get("/external-ids/order/WO-2").json()
    assert ref["id"] == orders[0]["id"]
    assert client.get("/external-ids/order/nope").status_code == 404


def test_only_administrators_and_service_managers_import(api, make_user, data):
    for role, status in ((Role.AGENT, 403), (Role.TECHNICIAN, 403), (Role.SERVICE_MANAGER, 201)):
        user = make_user(role, station=data["s1"] if role == Role.TECHNICIAN else None)
        assert _upload(api(user), "").status_code == status


def test_an_import_of_another_company_is_not_found(api, importer, make_user, org_tree):
    job = _upload(api(importer), "").json()
    stranger = make_user(Role.ADMIN, company=org_tree["other"])
    assert api(stranger).get(f"/imports/{job['id']}").status_code == 404


def test_the_history_exports_as_json_lines_for_the_company_or_a_customer(api, importer, data):
    client = api(importer)
    whole = client.get("/imports/export")
    assert whole.status_code == 200 and whole["Content-Type"].startswith("application/jsonl")
    lines = whole.content.decode().splitlines()
    assert sum('"kind": "customer"' in line for line in lines) == 2
    one = client.get(f"/imports/export?customer={data['c1'].pk}").content.decode()
    assert "张三" in one and "李四" not in one
    assert client.get("/imports/export?customer=999999").status_code == 404
