"""Installation acceptance: the checklist on site, defects as follow-on orders, acceptance
once they are done, the certificate; pages through the client."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from aftersales.core.errors import ApplicationError
from aftersales.fieldwork import actions as field
from aftersales.fieldwork.tests.fixtures import drawn_signature, finish_simply
from aftersales.maintenance import actions, certificate
from aftersales.maintenance.models import AcceptanceRecord
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db

ITEMS = [{"item": "安装牢固", "ok": True}, {"item": "试运行正常", "ok": True}]


@pytest.fixture
def installation(new_order, walk, people):
    order = walk(new_order(service_type="installation", fault_description="新机安装"), "accept")
    field.visit_depart(actor=people["tech"], order=order, eta_minutes=10)
    return field.visit_arrive(actor=people["tech"], order=order, latitude=31.2, longitude=121.4)


def test_accepted_at_once_with_the_signature(installation, people):
    record = actions.acceptance_record(
        actor=people["tech"],
        order=installation,
        checklist=ITEMS,
        measurements=[{"name": "绝缘电阻", "value": "12.5", "unit": "MΩ"}],
        signature=drawn_signature(),
        signer_name="张三",
    )
    assert (record.status, record.certificate_no) == ("accepted", f"YS{installation.number}")
    installation.unit.refresh_from_db()
    assert installation.unit.installation_date == timezone.localdate()
    text = PdfReader(io.BytesIO(certificate.render(record))).pages[0].extract_text()
    assert "安装牢固" in text and "绝缘电阻" in text and record.certificate_no in text
    with pytest.raises(ApplicationError) as again:
        actions.acceptance_record(actor=people["tech"], order=installation, checklist=ITEMS)
    assert again.value.code == "already_accepted"


def test_without_defects_the_signature_is_needed(installation, people):
    with pytest.raises(ApplicationError) as refused:
        actions.acceptance_record(actor=people["tech"], order=installation, checklist=ITEMS)
    assert "signature" in refused.value.details["fields"]


def test_defects_become_orders_and_acceptance_waits_for_them(installation, people, walk, data):
    record = actions.acceptance_record(
        actor=people["tech"],
        order=installation,
        checklist=[*ITEMS, {"item": "外观完好", "ok": False}],
        defects=["室外机支架螺栓缺失"],
    )
    assert record.status == "defects"
    defects = list(record.defects.select_related("order"))
    assert [d.text for d in defects] == ["室外机支架螺栓缺失", "外观完好"]
    assert all(
        d.order.service_type == "repair" and d.order.unit_id == data["u1"].pk for d in defects
    )
    with pytest.raises(ApplicationError) as waiting:
        actions.acceptance_accept(
            actor=people["tech"], order=installation, signature=drawn_signature()
        )
    assert waiting.value.code == "defects_open"
    finish_simply(installation, people["tech"])  # the installation visit itself ends
    for d in defects:
        order = walk(ServiceOrder.objects.get(pk=d.order_id), "arrive")
        finish_simply(order, people["tech"])
    done = actions.acceptance_accept(
        actor=people["agent"], order=installation, signature=drawn_signature(), signer_name="张三"
    )
    assert done.status == "accepted"
    assert list(done.events.values_list("action", flat=True)) == ["defects", "accept"]


def test_only_installation_and_acceptance_orders(new_order, people):
    order = new_order()
    with pytest.raises(ApplicationError) as refused:
        actions.acceptance_record(actor=people["agent"], order=order, checklist=ITEMS)
    assert refused.value.code == "not_acceptance"


def test_the_pages(installation, people, login):
    tech = login(people["tech"])
    page = tech.get(f"/field/{installation.pk}/").content.decode()
    assert 'data-testid="form-acceptance"' in page
    form = {
        "item_0": "安装牢固",
        "ok_0": "1",
        "m_name_0": "",
        "m_value_0": "",
        "m_unit_0": "",
        "defects": "遥控器缺失",
    }
    assert tech.post(f"/maintenance/acceptance/{installation.pk}/save/", form).status_code == 302
    assert AcceptanceRecord.objects.get(order=installation).status == "defects"
    page = (
        login(people["agent"]).get(f"/maintenance/acceptance/{installation.pk}/").content.decode()
    )
    assert "遥控器缺失" in page
    assert tech.get(f"/maintenance/acceptance/{installation.pk}/certificate.pdf").status_code == 404
