"""Old-part returns (旧件返还): a warranty part issued creates a return with a deadline; shipped,
received, inspected; a confirmed fault becomes a supplier claim, a wrong part or misuse a
chargeback; an overdue return exactly one chargeback however often the job runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.orders.models import ServiceOrder
from aftersales.parts import actions
from aftersales.parts.models import Chargeback, PartsSettings, ReturnObligation, SupplierClaim

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _warranty_issue(stock, *, old_serial="OLD-1"):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    ServiceOrder.objects.filter(pk=stock["order"].pk).update(warranty_decision="free_repair")
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=5, now=NOW)
    actions.stock_issue(
        actor=m,
        warehouse=wh,
        part=cap,
        quantity=2,
        order=stock["order"],
        old_serial=old_serial,
        now=NOW,
    )
    return ReturnObligation.objects.get()


def test_a_warranty_issue_creates_a_return_with_the_configured_deadline(stock):
    PartsSettings.objects.create(company=stock["central"].company, return_days=15)
    row = _warranty_issue(stock)
    assert (row.quantity, row.old_serial, row.status) == (2, "OLD-1", "open")
    assert row.due == timezone.localdate(NOW) + dt.timedelta(days=15)
    assert row.station_id == stock["station"].station_id


def test_a_paid_repair_part_creates_no_return(stock):
    m, wh, cap = stock["manager"], stock["station"], stock["capacitor"]
    ServiceOrder.objects.filter(pk=stock["order"].pk).update(warranty_decision="paid_repair")
    actions.stock_receive(actor=m, warehouse=wh, part=cap, quantity=1)
    actions.stock_issue(actor=m, warehouse=wh, part=cap, quantity=1, order=stock["order"])
    assert not ReturnObligation.objects.exists()


def test_the_cycle_to_a_supplier_claim_with_its_events(stock):
    m = stock["manager"]
    row = _warranty_issue(stock)
    actions.return_ship(actor=stock["people"]["station_manager"], obligation=row, shipment="SF9")
    actions.return_receive(actor=m, obligation=row)
    actions.return_inspect(actor=m, obligation=row, outcome="confirmed_fault", note="电容击穿")
    row.refresh_from_db()
    assert row.status == "inspected"
    claim = SupplierClaim.objects.get(obligation=row)
    assert claim.amount == Decimal("70.00")
    assert not Chargeback.objects.exists()
    assert list(row.events.values_list("action", flat=True)) == [
        "create",
        "ship",
        "receive",
        "inspect",
    ]


def test_misuse_is_charged_back_to_the_station(stock):
    m = stock["manager"]
    row = _warranty_issue(stock)
    actions.return_receive(actor=m, obligation=row)
    actions.return_inspect(actor=m, obligation=row, outcome="misuse")
    charge = Chargeback.objects.get()
    assert (charge.station_id, charge.amount, charge.reason) == (
        stock["station"].station_id,
        Decimal("70.00"),
        "misuse",
    )
    with pytest.raises(ApplicationError) as err:
        actions.return_inspect(actor=m, obligation=row, outcome="wrong_part")
    assert err.value.code == "return_not_received"


def test_an_overdue_return_is_charged_once_even_when_the_job_runs_twice(stock):
    row = _warranty_issue(stock)
    later = NOW + dt.timedelta(days=31)
    assert actions.returns_charge_overdue(now=NOW) == 0  # not due yet
    assert actions.returns_charge_overdue(now=later) == 1
    assert actions.returns_charge_overdue(now=later) == 0
    assert Chargeback.objects.filter(obligation=row).count() == 1
    # Sent back late and then rejected: still one chargeback.
    actions.return_ship(actor=stock["manager"], obligation=row)
    actions.return_receive(actor=stock["manager"], obligation=row)
    actions.return_inspect(actor=stock["manager"], obligation=row, outcome="misuse")
    assert Chargeback.objects.count() == 1


def test_only_the_returns_desk_receives_and_inspects(stock):
    row = _warranty_issue(stock)
    with pytest.raises(ApplicationError) as err:
        actions.return_receive(actor=stock["people"]["station_manager"], obligation=row)
    assert err.value.code == "forbidden"
