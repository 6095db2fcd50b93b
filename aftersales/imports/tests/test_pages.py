"""The history import pages: upload, dry-run report, xlsx, apply, progress, find."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.imports.models import HistoryImport
from aftersales.imports.tests.legacy import jsonl, legacy_rows
from aftersales.imports.workbook import COLUMNS, template, to_jsonl

pytestmark = pytest.mark.django_db


def test_upload_report_apply_and_find_through_the_pages(login, importer, tech):
    client = login(importer)
    assert client.get("/history/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    text = jsonl(legacy_rows(technician=tech.username, years=1))
    file = SimpleUploadedFile("legacy.jsonl", text.encode())
    made = client.post("/history/upload/", {"file": file})
    job = HistoryImport.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/history/{job.pk}/"
    page = client.get(f"/history/{job.pk}/").content.decode()
    assert "将导入" in page and 'data-testid="history-apply"' in page
    xlsx = client.get(f"/history/{job.pk}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.post(f"/history/{job.pk}/apply/").status_code == 302
    progress = client.get(f"/history/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    found = client.get("/history/find/?kind=order&external_id=WO-1")
    assert found.status_code == 302 and found["Location"].startswith("/orders/")
    missing = client.get("/history/find/?kind=workshop&external_id=nope")
    # the finder again, with what was typed and the answer, not an error page
    assert missing.status_code == 404
    html = missing.content.decode()
    assert 'data-testid="history-find-error"' in html and "没有记录使用此外部编号" in html
    assert 'value="nope"' in html and '<option value="workshop" selected>' in html


def test_others_do_not_see_the_pages(login, data, make_user):
    from aftersales.accounts.choices import Role

    assert login(make_user(Role.AGENT)).get("/history/").status_code == 403


def test_the_template_reads_back_as_json_lines():
    text = to_jsonl(template())
    assert text.splitlines()[1].startswith('{"kind": "customer", "id": "C-1"')
    assert COLUMNS[:3] == ["kind", "id", "at"]
