"""Export → import into an empty company: the same records, KPI figures and 三包 decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.catalog.models import ProductCategory, ProductModel
from aftersales.feedback.models import Complaint, FollowUpResult
from aftersales.imports import actions
from aftersales.imports.export import history_export
from aftersales.imports.tests.legacy import jsonl, legacy_rows
from aftersales.kpi import actions as kpi
from aftersales.kpi import selectors as kpi_selectors
from aftersales.kpi.formulas import DEFINITIONS
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _empty_company() -> dict[str, Any]:
    company = org.company_create(actor=None, name="新公司", code="fresh")
    region = org.region_create(actor=None, company=company, name="华东", code="east")
    station = org.station_create(actor=None, region=region, name="上海一站", code="sh-1")
    category = ProductCategory.objects.create(company=company, code="ac", name="空调")
    ProductModel.objects.create(category=category, code="KFR-35GW", name="挂式空调")
    tech = org.user_create(
        actor=None,
        username="fresh-tech",
        password="pw-for-tests-1",
        role=Role.TECHNICIAN,
        company=company,
        station=station,
    )
    admin = org.user_create(
        actor=None,
        username="fresh-admin",
        password="pw-for-tests-1",
        role=Role.ADMIN,
        company=company,
    )
    return {"company": company, "tech": tech, "admin": admin}


def _import(actor: Any, text: str, staff: dict[str, str] | None = None) -> Any:
    """Store a file as `actor` and apply it: the finished import."""
    job = actions.history_import_create(
        actor=actor, name="history.jsonl", data=text.encode(), staff=staff
    )
    return actions.history_import_apply(import_id=job.pk)


def _history(company_id: int) -> list[Any]:
    orders = ServiceOrder.objects.filter(company_id=company_id).order_by("created_at", "pk")
    return [
        (
            o.created_at,
            o.status,
            o.completed_at,
            o.warranty_decision,
            (o.warranty_detail or {}).get("rule"),
            [
                (e.at, e.kind, e.action, e.from_status, e.to_status, e.source)
                for e in o.events.order_by("at", "pk")
                if e.kind in ("created", "transition")
            ],
        )
        for o in orders
    ]


def _figures(company_id: int) -> dict[str, Any]:
    kpi.kpi_refresh(company_id=company_id, as_of=dt.datetime(2024, 6, 30, tzinfo=dt.UTC))
    out = {}
    for d in DEFINITIONS:
        rows = kpi_selectors.figures(
            company_id=company_id,
            code=d.code,
            period_from=dt.date(2021, 1, 1),
            period_to=dt.date(2024, 6, 30),
        )
        out[d.code] = [(r["numerator"], r["denominator"]) for r in rows]
    return out


def test_round_trip_gives_the_same_records_kpi_figures_and_warranty_decisions(importer, tech):
    # Three repairs a year for three years: within the first year's 三包 period the third
    # repair of the unit is an exchange (repaired twice before), later ones are paid.
    text = jsonl(legacy_rows(technician=tech.username, years=3, per_year=3))
    _import(importer, text)
    exported = history_export(actor=importer)
    assert exported.skipped == 0
    fresh = _empty_company()
    done = _import(fresh["admin"], exported.text(), staff={tech.username: "fresh-tech"})
    assert (done.refused, done.gaps) == (0, 0), list(done.issues.values("line", "params"))
    a, b = importer.company_id, fresh["company"].pk
    assert _history(a) == _history(b)
    decisions = [(h[3], h[4]) for h in _history(b)]
    assert len(decisions) == 9
    assert decisions[:3] == [
        ("free_repair", "general.whole_unit_period"),
        ("free_repair", "general.whole_unit_period"),
        ("exchange", "general.repaired_twice"),
    ]
    assert FollowUpResult.objects.filter(follow_up__company_id=b).count() == 9
    assert Complaint.objects.get(company_id=b).status == "investigating"
    figures_a, figures_b = _figures(a), _figures(b)
    assert figures_a == figures_b
    assert any(n for rows in figures_b.values() for n, _d in rows)


def test_a_customers_export_holds_only_their_records(importer, tech, data):
    text = jsonl(legacy_rows(technician=tech.username, years=1))
    _import(importer, text)
    mine = history_export(actor=importer, customer=data["c1"])
    assert {r["kind"] for r in mine.rows} == {"customer", "address", "unit"}
    assert all(r.get("customer") in (None, f"customer-{data['c1'].pk}") for r in mine.rows)


def test_charges_and_payments_make_the_round_trip(importer, tech):
    """An order charged and paid, one charged and not paid: exported as `charge` and `payment`
    rows, imported into an empty company with the same amounts, methods, times and balance."""
    from decimal import Decimal

    from aftersales.billing.customers import customer_account
    from aftersales.customers.models import Customer
    from aftersales.fieldwork.models import FeeItem, Receipt
    from aftersales.imports.tests.legacy import order_rows

    def charged(n: int, day: dt.date, paid: bool) -> list[dict[str, Any]]:
        rows = order_rows(n, day, technician=tech.username, customer="C-1", unit="U-1")
        steps: list[dict[str, Any]] = [
            {
                "kind": "event",
                "order": f"WO-{n}",
                "action": "charge",
                "reason": "非三包",
                "at": f"{day.isoformat()}T14:45:00+08:00",
                "items": [{"fee_item": "LAB", "quantity": 1}, {"fee_item": "KM", "quantity": 2.5}],
            }
        ]
        if paid:
            steps.append(
                {
                    "kind": "event",
                    "order": f"WO-{n}",
                    "action": "payment",
                    "amount": "95.00",
                    "method": "qr",
                    "reference": f"WX-{n}",
                    "at": f"{day.isoformat()}T14:50:00+08:00",
                }
            )
        return rows[:7] + steps + rows[7:]

    fresh = _empty_company()
    for company in (importer.company, fresh["company"]):
        FeeItem.objects.create(
            company=company, code="LAB", name="人工费", kind="labour", price=Decimal("80.00")
        )
        FeeItem.objects.create(
            company=company, code="KM", name="远程费", kind="travel", price=Decimal("6.00")
        )
    base = legacy_rows(technician=tech.username, years=0)[:3]
    text = jsonl(
        base + charged(1, dt.date(2022, 1, 4), True) + charged(2, dt.date(2022, 3, 8), False)
    )
    first = _import(importer, text)
    assert (first.refused, first.gaps) == (0, 0), list(first.issues.values("line", "params"))

    exported = history_export(actor=importer)
    assert exported.skipped == 0
    charges = [r for r in exported.rows if r.get("action") == "charge"]
    payments = [r for r in exported.rows if r.get("action") == "payment"]
    assert [c["items"] for c in charges] == [
        [{"fee_item": "LAB", "quantity": 1}, {"fee_item": "KM", "quantity": "2.50"}]
    ] * 2
    assert [(p["amount"], p["method"], p["reference"]) for p in payments] == [
        ("95.00", "qr", "WX-1")
    ]

    done = _import(fresh["admin"], exported.text(), staff={tech.username: "fresh-tech"})
    assert (done.refused, done.gaps) == (0, 0), list(done.issues.values("line", "params"))

    def receipts(company_id: int) -> list[Any]:
        return list(
            Receipt.objects.filter(company_id=company_id).values_list(
                "amount", "method", "reference", "paid_at", "quote__total", "quote__status"
            )
        )

    assert receipts(importer.company_id) == receipts(fresh["company"].pk) != []

    def account(company_id: int) -> tuple[Decimal, Decimal, Decimal]:
        customer = Customer.objects.get(company_id=company_id, phone="13700001111")
        found = customer_account(customer, ServiceOrder.objects.filter(company_id=company_id))
        return (found.charged, found.paid, found.balance)

    assert (
        account(importer.company_id)
        == account(fresh["company"].pk)
        == (
            Decimal("190.00"),
            Decimal("95.00"),
            Decimal("95.00"),
        )
    )
