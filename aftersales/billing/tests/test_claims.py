"""Warranty claims to the manufacturer: lines at the claim rules, waiting for the old part,
rejected when it is overdue, late submission, duplicates, decisions per line, recovery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from aftersales.billing import actions, selectors
from aftersales.core.errors import ApplicationError
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def warranty_order(completed: Any, data: dict[str, Any]) -> Any:
    """A 三包 repair completed on 2026-11-10 with a compressor (300 yuan) to return by 11-20."""
    from aftersales.catalog.models import Part
    from aftersales.parts.models import ReturnObligation, StockMove, Warehouse

    order = completed(dt.datetime(2026, 11, 10, 10, 0), warranty_decision="free_repair")
    wh = Warehouse.objects.create(company=data["company"], station=data["s1"], code="W", name="W")
    part = Part.objects.create(company=data["company"], code="YSJ-1", name="压缩机", price=D("300"))
    move = StockMove.objects.create(
        company=data["company"], warehouse=wh, part=part, kind="issue", quantity=-1, order=order
    )
    ob = ReturnObligation.objects.create(
        company=data["company"],
        issue=move,
        order=order,
        part=part,
        quantity=1,
        station=data["s1"],
        due=dt.date(2026, 11, 20),
    )
    return {"order": order, "obligation": ob}


def test_claim_lines_at_the_claim_rules_and_one_claim_per_order(
    warranty_order: dict[str, Any], people: dict[str, Any]
) -> None:
    mgr = people["service_manager"]
    claim = actions.claim_create(actor=mgr, order_id=warranty_order["order"].pk)
    assert [(line.kind, line.amount) for line in claim.lines.all()] == [
        ("labour", D("80.00")),
        ("travel", D("18.00")),
        ("part", D("300.00")),
    ]
    assert claim.claimed == D("398.00")
    with pytest.raises(ApplicationError) as err:
        actions.claim_create(actor=mgr, order_id=warranty_order["order"].pk)
    assert err.value.code == "duplicate"


def test_a_paid_order_is_not_claimed(completed: Any, people: dict[str, Any]) -> None:
    order = completed(dt.datetime(2026, 11, 10, 10, 0), warranty_decision="paid_repair")
    with pytest.raises(ApplicationError) as err:
        actions.claim_create(actor=people["service_manager"], order_id=order.pk)
    assert err.value.code == "not_warranty"


def test_a_claim_waits_for_the_old_part_then_is_rejected_when_it_is_overdue(
    warranty_order: dict[str, Any], people: dict[str, Any]
) -> None:
    mgr = people["service_manager"]
    claim = actions.claim_create(actor=mgr, order_id=warranty_order["order"].pk)
    with pytest.raises(ApplicationError) as err:
        actions.claim_submit(actor=mgr, claim_id=claim.pk, today=dt.date(2026, 11, 15))
    assert err.value.code == "waiting_for_return"
    claim.refresh_from_db()
    assert claim.status == "open"
    # The return deadline passes with the part still at the station.
    claim = actions.claim_submit(actor=mgr, claim_id=claim.pk, today=dt.date(2026, 11, 21))
    part = claim.lines.get(kind="part")
    assert (part.decision, part.reason_code, part.approved_amount) == (
        "rejected",
        "part_not_returned",
        D("0.00"),
    )
    assert claim.status == "submitted"
    labour, travel = claim.lines.exclude(kind="part").order_by("id")
    actions.claim_line_decide(actor=mgr, line_id=labour.pk, decision="approved")
    with pytest.raises(ApplicationError) as err:
        actions.claim_line_decide(actor=mgr, line_id=travel.pk, decision="partly", amount="10")
    assert err.value.code == "reason_required"
    actions.claim_line_decide(
        actor=mgr, line_id=travel.pk, decision="partly", amount="10", reason_code="excessive_labour"
    )
    claim.refresh_from_db()
    assert claim.status == "decided" and claim.approved == D("90.00")


def test_a_claim_submitted_too_late_is_rejected_line_by_line(
    warranty_order: dict[str, Any], people: dict[str, Any]
) -> None:
    mgr = people["service_manager"]
    claim = actions.claim_create(actor=mgr, order_id=warranty_order["order"].pk)
    claim = actions.claim_submit(actor=mgr, claim_id=claim.pk, today=dt.date(2027, 3, 1))
    assert set(claim.lines.values_list("reason_code", flat=True)) == {"submitted_late"}
    assert claim.status == "decided" and claim.approved == D("0.00")


def test_a_returned_confirmed_fault_is_recovered_from_the_supplier(
    warranty_order: dict[str, Any], people: dict[str, Any], data: dict[str, Any]
) -> None:
    from aftersales.parts.models import ReturnObligation, SupplierClaim

    ob = warranty_order["obligation"]
    ReturnObligation.objects.filter(pk=ob.pk).update(status="inspected", outcome="confirmed_fault")
    SupplierClaim.objects.create(
        company=data["company"], obligation=ob, part=ob.part, quantity=1, amount=D("280")
    )
    mgr = people["service_manager"]
    claim = actions.claim_create(actor=mgr, order_id=warranty_order["order"].pk)
    claim = actions.claim_submit(actor=mgr, claim_id=claim.pk, today=dt.date(2026, 11, 15))
    assert claim.status == "submitted"
    assert [r["amount"] for r in selectors.supplier_recovery(claim)] == [D("280")]
    assert ServiceOrder.objects.get(pk=claim.order_id).warranty_decision == "free_repair"


def test_claims_through_the_api(
    warranty_order: dict[str, Any], people: dict[str, Any], api: Any
) -> None:
    client = api(people["service_manager"])
    r = client.post("/billing/claims", {"order_id": warranty_order["order"].pk})
    assert r.status_code == 201, r.content
    claim = r.json()
    assert claim["claimed"] == "398.00"
    assert (
        client.post("/billing/claims", {"order_id": warranty_order["order"].pk}).json()["code"]
        == "duplicate"
    )
    assert (
        api(people["station_manager"]).post("/billing/claims", {"order_id": 1}).status_code == 403
    )
