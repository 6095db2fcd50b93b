"""The service report PDF of a planned service lists its checklist with the results."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from aftersales.fieldwork import actions as field
from aftersales.fieldwork.report import REPORT_SECTIONS
from aftersales.maintenance import actions
from aftersales.maintenance.models import MaintenanceVisit

pytestmark = pytest.mark.django_db


def test_the_report_pdf_lists_the_checklist(plan, data, people, walk, login):
    assert actions.checklist_report_section in REPORT_SECTIONS
    tech = people["tech"]
    actions.unit_generate(unit=data["u1"])
    order = walk(MaintenanceVisit.objects.get(unit=data["u1"]).order, "accept")
    field.visit_depart(actor=tech, order=order, eta_minutes=20)
    order = field.visit_arrive(actor=tech, order=order, latitude=31.2304, longitude=121.4737)
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    actions.checklist_record(
        actor=tech,
        order=order,
        answers={
            tasks["check"].pk: {"done": True},
            tasks["measure"].pk: {"done": True, "value": "610"},  # above 550 kPa
            tasks["replace"].pk: {"done": True},
        },
        reading="55",
    )
    response = login(tech).get(f"/orders/{order.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("检查皮带张紧", "机油压力", "610 kPa", "200 – 550", "更换机油滤清器", "55"):
        assert expected in text, expected
    section = actions.checklist_report_section(order)
    assert section is not None
    assert [row[0] for row in section["rows"]] == ["#", "1", "2", "3"]
    assert "kPa" in section["rows"][2][2]
