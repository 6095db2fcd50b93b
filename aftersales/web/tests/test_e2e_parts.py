"""End to end in Chromium: a technician requests a warranty part for an order, the service
manager approves it, the technician receives it in the van and uses it on site, the station
sends the old part back and the returns desk inspects it."""

import pytest
from playwright.sync_api import expect

from aftersales.orders import actions as orders
from aftersales.orders.models import ServiceOrder
from aftersales.parts import actions
from aftersales.parts.models import (
    PartsRequest,
    ReturnObligation,
    StockLevel,
    StockMove,
    SupplierClaim,
)
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_request_approve_receive_consume_return_inspect(page, stock):
    people, cap = stock["people"], stock["capacitor"]
    tech, manager = people["tech"], stock["manager"]
    order = orders.order_transition(
        actor=people["dispatcher"],
        order=stock["order"],
        action="dispatch",
        station=stock["station"].station,
    )
    order = orders.order_transition(
        actor=people["dispatcher"], order=order, action="assign", technician=tech
    )
    ServiceOrder.objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=manager, warehouse=stock["central"], part=cap, quantity=10)

    # The technician asks for the part for the order.
    sign_in(page, tech)
    page.goto("/stock/")
    form = page.locator("[data-testid=request-form]")
    form.locator("select[name=part]").select_option(str(cap.pk))
    form.locator("input[name=order]").fill(order.number)
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=request-status]")).to_have_text("待审批")
    request = PartsRequest.objects.get()

    # The service manager approves it from the central warehouse.
    sign_in(page, manager)
    page.goto(f"/stock/requests/{request.pk}/")
    page.locator("[data-testid=approve-form] select[name=source]").select_option(
        str(stock["central"].pk)
    )
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=request-status]")).to_have_text("已批准")

    # The technician receives it in the van and uses it on the order.
    sign_in(page, tech)
    page.goto("/stock/")
    page.click("[data-testid=receive-transfer]")
    expect(
        page.locator("[data-testid=level][data-part='CAP-35'] [data-testid=on-hand]")
    ).to_have_text("1")
    issue = page.locator("[data-testid=issue-form]")
    issue.locator("select[name=part]").select_option(str(cap.pk))
    issue.locator("input[name=order]").fill(order.number)
    issue.locator("input[name=old_serial]").fill("OLD-CAP-7")
    issue.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=ledger] [data-testid=move]").first).to_contain_text(
        order.number
    )

    # The station sends the old part back; the returns desk receives and inspects it.
    sign_in(page, people["station_manager"])
    page.goto("/stock/returns/")
    row = page.locator("[data-testid=return-row]")
    expect(row).to_contain_text("OLD-CAP-7")
    row.locator("input[name=shipment]").fill("SF0001")
    row.locator("button[type=submit]").click()
    sign_in(page, manager)
    page.goto("/stock/returns/")
    page.click("[data-testid=return-receive]")
    page.locator("select[name=outcome]").select_option("confirmed_fault")
    page.click("[data-testid=return-inspect]")
    expect(page.locator("[data-testid=return-row]")).to_have_count(0)  # inspected: done

    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert StockLevel.objects.get(warehouse=stock["van"], part=cap).on_hand == 0
    assert StockMove.objects.get(kind="issue").old_serial == "OLD-CAP-7"
    assert ReturnObligation.objects.get().outcome == "confirmed_fault"
    assert SupplierClaim.objects.count() == 1
    page.goto(f"/orders/{order.pk}/")
    expect(page.locator("[data-testid=parts-used]")).to_contain_text("CAP-35")
