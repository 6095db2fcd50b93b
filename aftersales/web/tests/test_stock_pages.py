"""Stock pages through Django's test client: levels, the movement forms, the ledger, Excel."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from aftersales.parts import actions
from aftersales.parts.models import StockLevel, StockMove

pytestmark = pytest.mark.django_db


def test_the_stock_page_shows_levels_and_flags_low_stock(login, stock):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=2)
    actions.stock_level_set(actor=m, warehouse=wh, part=cap, min_level=2, max_level=10)
    page = login(m).get(f"/stock/?warehouse={wh.pk}").content.decode()
    row = page[page.index('data-part="CAP-35"') :]
    assert "table-warning" in page[page.index('data-part="CAP-35"') - 40 :][:120]
    assert 'data-testid="on-hand">2<' in row


def test_issue_form_books_a_part_on_an_order_by_number(login, stock):
    m, wh, cap, order = stock["manager"], stock["station"], stock["capacitor"], stock["order"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=3)
    client = login(m)
    client.post(
        "/stock/change/",
        {"op": "issue", "warehouse": wh.pk, "part": cap.pk, "order": order.number, "quantity": 2},
    )
    move = StockMove.objects.get(kind="issue")
    assert (move.order_id, move.quantity) == (order.pk, -2)
    too_many = client.post(
        "/stock/change/",
        {"op": "issue", "warehouse": wh.pk, "part": cap.pk, "order": order.number, "quantity": 5},
        follow=True,
    )
    assert "库存不足" in too_many.content.decode()
    assert StockLevel.objects.get(warehouse=wh, part=cap).on_hand == 1


def test_a_technician_sees_their_van_and_receives_a_shipment(login, stock):
    m, cap = stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=4)
    transfer = actions.transfer_ship(
        actor=m, source=stock["central"], target=stock["van"], part=cap, quantity=4
    )
    client = login(stock["people"]["tech"])
    page = client.get("/stock/").content.decode()
    assert 'data-testid="receive-transfer"' in page  # their van is chosen by default
    assert 'data-testid="adjust-form"' not in page  # technicians do not adjust
    client.post(
        "/stock/change/",
        {"op": "receive_transfer", "warehouse": stock["van"].pk, "transfer": transfer.pk},
    )
    assert StockLevel.objects.get(warehouse=stock["van"], part=cap).on_hand == 4


def test_levels_export_to_excel(login, stock):
    m = stock["manager"]
    actions.stock_receive(actor=m, warehouse=stock["station"], part=stock["capacitor"], quantity=7)
    response = login(m).get("/stock/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("S1", "CAP-35", "压缩机电容", 7)


def test_request_sent_from_the_stock_page_and_approved_on_its_page(login, stock):
    from aftersales.parts.models import PartsRequest, Transfer

    people, m, cap = stock["people"], stock["manager"], stock["capacitor"]
    actions.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=10)
    tech = login(people["tech"])
    sent = tech.post(
        "/stock/requests/new/",
        {"op": "submit", "target": stock["van"].pk, "part": cap.pk, "quantity": 3, "note": "补货"},
    )
    request = PartsRequest.objects.get()
    assert sent.status_code == 302 and sent.url == f"/stock/requests/{request.pk}/"
    assert 'data-testid="approve"' not in tech.get(sent.url).content.decode()

    manager = login(people["station_manager"])
    assert f"#{request.pk}" in manager.get("/stock/requests/").content.decode()
    page = manager.get(f"/stock/requests/{request.pk}/").content.decode()
    assert 'data-testid="approve"' in page
    line = request.lines.get()
    manager.post(
        f"/stock/requests/{request.pk}/change/",
        {"op": "approve", "source": stock["central"].pk, f"qty-{line.pk}": "2", "reason": "ok"},
    )
    request.refresh_from_db()
    assert request.status == "approved"
    assert Transfer.objects.get(request_line=line).quantity == 2


def test_returns_queue_colours_overdue_and_records_an_inspection(login, stock):
    import datetime as dt

    from aftersales.orders.models import ServiceOrder
    from aftersales.parts.models import Chargeback, ReturnObligation

    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    ServiceOrder.objects.filter(pk=stock["order"].pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=2)
    for _ in range(2):
        actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=1, order=stock["order"])
    late, fine = ReturnObligation.objects.order_by("id")
    ReturnObligation.objects.filter(pk=late.pk).update(due=dt.date(2020, 1, 1))

    client = login(m)
    page = client.get("/stock/returns/").content.decode()
    assert page.count('data-overdue="1"') == 1 and page.count('data-overdue="0"') == 1
    client.post(f"/stock/returns/{fine.pk}/change/", {"op": "receive"})
    client.post(f"/stock/returns/{fine.pk}/change/", {"op": "inspect", "outcome": "misuse"})
    assert Chargeback.objects.get().obligation_id == fine.pk


def test_the_ledger_is_filtered_and_exported(login, stock):
    m, wh, cap, order = stock["manager"], stock["station"], stock["capacitor"], stock["order"]
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=3)
    actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=1, order=order, old_serial="O1")
    client = login(m)
    page = client.get(f"/stock/?warehouse={wh.pk}&kind=issue").content.decode()
    assert page.count('data-testid="move"') == 1
    response = client.get(f"/stock/ledger.xlsx?warehouse={wh.pk}&kind=issue")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2:6] == ("工单领用", "CAP-35", -1, order.number)
    assert rows[1][7] == "O1"  # the old part's serial
