"""Reads of settlement: the fee rules as the pure core's data, the facts of orders to price,
statements and the station account, scoped by the reader's role."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet, Sum

from aftersales.accounts.models import Station
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.billing import fees
from aftersales.billing.models import (
    BillingSettings,
    FeeRule,
    InvoiceRecord,
    LedgerEntry,
    Payout,
    Refund,
    Statement,
    StationTerms,
    WarrantyClaim,
)
from aftersales.billing.vouchers import Accounts, Settlement, vouchers
from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock
from aftersales.core.errors import NotFound
from aftersales.core.selectors import get_visible
from aftersales.dispatch.optimizer.travel import Point, haversine_m
from aftersales.fieldwork.models import ServiceRecord
from aftersales.orders.choices import Priority, Status
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.models import StockMove, SupplierClaim

# Orders whose work is done: they are settled with the station.
DONE = (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED)


def billing_settings(company_id: int) -> BillingSettings:
    found = BillingSettings.objects.filter(company_id=company_id).first()
    return found or BillingSettings(company_id=company_id)


def fee_rules(company_id: int) -> list[fees.Rule]:
    """Every active rule version as the pure core's data; a version ends where the next
    version of the same code starts."""
    rows = list(
        FeeRule.objects.filter(company_id=company_id, is_active=True).order_by("code", "version")
    )
    starts: dict[str, list[dt.date]] = defaultdict(list)
    for row in rows:
        starts[row.code].append(row.valid_from)
    out = []
    for row in rows:
        later = [d for d in starts[row.code] if d > row.valid_from]
        out.append(
            fees.Rule(
                id=row.pk,
                version=row.version,
                kind=row.kind,
                valid_from=row.valid_from,
                valid_to=min(later) if later else None,
                service_type=row.service_type,
                category=row.category,
                product_model=row.product_model,
                fault_code=row.fault_code,
                repair_level=row.repair_level,
                station_grade=row.station_grade,
                region=row.region,
                amount=row.amount,
                hours=row.hours,
                rate=row.rate,
                free_km=Decimal(row.free_km),
                per_km=Decimal(row.per_km),
                bands=tuple((Decimal(str(a)), Decimal(str(b))) for a, b in (row.bands or [])),
                per=row.per,
                min_km=Decimal(row.min_km),
                percent=Decimal(row.percent),
                name=row.name,
            )
        )
    return out


def _station_grade(station_id: int) -> str:
    terms = StationTerms.objects.filter(station_id=station_id).first()
    return terms.grade if terms else ""


def _done_at(order: ServiceOrder) -> dt.datetime:
    """When an order to price was completed: it is done, or a preview gave it a moment."""
    assert order.completed_at is not None
    return order.completed_at


def order_facts(orders: Sequence[ServiceOrder], *, company_id: int) -> dict[int, fees.OrderFacts]:
    """The pricing facts of these orders (loaded with `orders_to_price`), in bulk."""
    if not orders:
        return {}
    tz = ZoneInfo(settings.TIME_ZONE)
    cfg = billing_settings(company_id)
    calendar = work_calendar(company_id)
    ids = [o.pk for o in orders]
    parts: dict[int, tuple[int, Decimal]] = {}
    for row in (
        StockMove.objects.filter(order_id__in=ids, kind__in=("issue", "return"))
        .values("order_id", "quantity", "unit_price")
        .order_by()
    ):
        qty, value = parts.get(row["order_id"], (0, Decimal(0)))
        used = -int(row["quantity"])  # issues are negative, returns positive
        parts[row["order_id"]] = (qty + used, value + used * (row["unit_price"] or Decimal(0)))
    grades: dict[int, str] = {}
    # Travel once per household and day: the first order (lowest id) of each address and day.
    first_of_household: dict[tuple[Any, dt.date], int] = {}
    for o in sorted(orders, key=lambda o: o.pk):
        key = (o.address_id or ("customer", o.customer_id), _done_at(o).astimezone(tz).date())
        first_of_household.setdefault(key, o.pk)
    out = {}
    for o in orders:
        local = _done_at(o).astimezone(tz)
        day = local.date()
        station = o.station
        assert station is not None  # an order to price has its station
        if station.pk not in grades:
            grades[station.pk] = _station_grade(station.pk)
        distance = None
        address = o.address
        if (
            address is not None
            and address.latitude is not None
            and station.latitude is not None
            and station.longitude is not None
            and address.longitude is not None
        ):
            metres = haversine_m(
                Point(station.longitude, station.latitude),
                Point(address.longitude, address.latitude),
            )
            distance = (Decimal(metres) / 1000).quantize(Decimal("0.1"))
        model = o.unit.product_model if o.unit is not None else None
        fault = o.fault_code
        qty, value = parts.get(o.pk, (0, Decimal(0)))
        hour = local.hour
        out[o.pk] = fees.OrderFacts(
            order_id=o.pk,
            completed_on=day,
            service_type=o.service_type,
            category=model.category.code if model else "",
            product_model=model.code if model else "",
            fault_code=fault.code if fault is not None else "",
            repair_level=fault.repair_level if fault is not None else "",
            station_grade=grades[station.pk],
            region=station.region.code,
            distance_km=distance,
            visits=max(1, getattr(o, "billing_visits", 1) or 1),
            household_first=first_of_household[(o.address_id or ("customer", o.customer_id), day)]
            == o.pk,
            parts_quantity=max(0, qty),
            parts_value=max(Decimal(0), value),
            night=hour >= cfg.night_start or hour < cfg.night_end,
            holiday=not calendar.is_working_day(day),
            urgent=o.priority == Priority.HIGH,
        )
    return out


def orders_to_price(queryset: QuerySet[ServiceOrder]) -> list[ServiceOrder]:
    """The orders with what pricing reads (station, region, address, model, fault code) and
    their number of finished visits (`billing_visits`, one grouped query)."""
    orders = list(
        queryset.select_related(
            "station__region", "address", "unit__product_model__category", "fault_code"
        ).order_by("completed_at", "id")
    )
    visits: dict[int, int] = {}
    ids = [o.pk for o in orders]
    for i in range(0, len(ids), 5000):
        visits.update(
            ServiceRecord.objects.filter(order_id__in=ids[i : i + 5000], finished_at__isnull=False)
            .values("order_id")
            .annotate(n=Count("id"))
            .values_list("order_id", "n")
            .order_by()
        )
    for o in orders:
        o.billing_visits = visits.get(o.pk, 1)  # type: ignore[attr-defined]
    return orders


def facts_as_json(facts: fees.OrderFacts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(facts).items():
        if isinstance(value, dt.date | Decimal):
            value = str(value)
        out[name] = value
    return out


# -- statements, scoped ---------------------------------------------------------------------


def statements_visible_to(user: Any) -> QuerySet[Statement]:
    qs = Statement.objects.filter(company_id=user.company_id).select_related("station")
    if not has_perm(user, Perm.SETTLEMENT_VIEW):
        return qs.none()
    if user.is_station_user:
        return qs.filter(station_id=user.station_id)
    return qs


def statement_for(user: Any, pk: int) -> Statement:
    found = statements_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", "statement not found")
    return found


def account_balance(station_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(station_id=station_id).aggregate(s=Sum("amount"))["s"]
    return total or Decimal("0.00")


def account_entries(user: Any, station_id: int) -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.filter(company_id=user.company_id, station_id=station_id)
    if not has_perm(user, Perm.SETTLEMENT_VIEW) or (
        user.is_station_user and user.station_id != station_id
    ):
        return qs.none()
    return qs.order_by("at", "id")


def line_total(lines: Iterable[Any]) -> Decimal:
    """The sum of the lines' final amounts (a queryset is summed in the database)."""
    if isinstance(lines, QuerySet):
        found = lines.aggregate(s=Sum("final_amount"))["s"]
        return (found or Decimal("0.00")).quantize(Decimal("0.01"))
    return sum((line.final_amount for line in lines), Decimal("0.00"))


def voucher_lines(user: Any, start: dt.date, end: dt.date) -> list[Any]:
    """The vouchers of statements settled from `start` to `end` (inclusive, Shanghai dates)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    lo = dt.datetime.combine(start, dt.time(), tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    cfg = billing_settings(user.company_id)
    payouts = Payout.objects.filter(
        statement__in=statements_visible_to(user), at__gte=lo, at__lt=hi
    ).select_related("statement__station")
    settled = [
        Settlement(
            day=p.at.astimezone(tz).date(),
            statement_number=p.statement.number,
            station_code=p.statement.station.code,
            station_name=p.statement.station.name,
            amount=p.amount,
            credited=p.mode == "credit",
        )
        for p in payouts
    ]
    accounts = Accounts(
        voucher_type=cfg.voucher_type,
        expense=cfg.account_expense,
        payable=cfg.account_payable,
        bank=cfg.account_bank,
    )
    return vouchers(settled, accounts)


def preview(user: Any, order_id: int) -> dict[str, Any]:
    """How an order is (or would be) priced for its station: its facts, the lines with their
    formulas, and per kind the matching rules with the winner first."""
    order = get_visible(orders_visible_to(user), order_id)
    if order.station_id is None or order.completed_at is None:
        order.completed_at = order.completed_at or clock.now()
        if order.station_id is None:
            raise NotFound("not_priced", "the order has no station yet")
    loaded = orders_to_price(ServiceOrder.objects.filter(pk=order.pk))
    loaded[0].completed_at = order.completed_at
    rules = fee_rules(user.company_id)
    facts = order_facts(loaded, company_id=user.company_id)[order.pk]
    lines = fees.price_order(rules, facts)
    return {
        "order": order,
        "facts": facts_as_json(facts),
        "lines": lines,
        "total": fees.total(lines),
        "explain": fees.explain(rules, facts),
        "rules": {r.id: r for r in rules},
    }


def supplier_recovery(claim: Any) -> list[dict[str, Any]]:
    """The parts of a claim confirmed faulty at inspection, with what is claimed back from
    their supplier (parts.SupplierClaim)."""
    out = []
    for line in claim.lines.filter(obligation__isnull=False).select_related("obligation"):
        found = SupplierClaim.objects.filter(obligation_id=line.obligation_id).first()
        if found is not None:
            out.append({"line": line, "amount": found.amount, "quantity": found.quantity})
    return out


# -- claims, refunds, invoices, station terms: scoped lists -----------------------------------


def claims_visible_to(user: Any) -> QuerySet[Any]:
    """Warranty claims of the user's company; a station's people see their station's."""
    qs = WarrantyClaim.objects.filter(company_id=user.company_id).select_related("station", "order")
    if not has_perm(user, Perm.SETTLEMENT_VIEW):
        return qs.none()
    if user.is_station_user:
        return qs.filter(station_id=user.station_id)
    return qs


def refunds_visible_to(user: Any) -> QuerySet[Any]:
    """Refunds of the orders the user sees."""
    return Refund.objects.filter(
        company_id=user.company_id, order__in=orders_visible_to(user)
    ).select_related("order", "customer", "receipt", "requested_by")


def invoices_visible_to(user: Any) -> QuerySet[Any]:
    """Invoice records of the orders the user sees."""
    return InvoiceRecord.objects.filter(
        company_id=user.company_id, order__in=orders_visible_to(user)
    ).select_related("order", "customer")


def station_terms_rows(user: Any) -> list[dict[str, Any]]:
    """Every station of the user's company (a station's people: their own) with its grade,
    payout mode and account balance."""
    stations = Station.objects.filter(company_id=user.company_id).select_related("region")
    if user.is_station_user:
        stations = stations.filter(pk=user.station_id)
    terms = {t.station_id: t for t in StationTerms.objects.filter(station__in=stations)}
    balances = dict(
        LedgerEntry.objects.filter(station__in=stations)
        .values("station_id")
        .annotate(s=Sum("amount"))
        .values_list("station_id", "s")
        .order_by()
    )
    out = []
    for station in stations.order_by("code"):
        t = terms.get(station.pk)
        out.append(
            {
                "station": station,
                "grade": t.grade if t else "",
                "payout_mode": t.payout_mode if t else "pay",
                "balance": balances.get(station.pk) or Decimal("0.00"),
            }
        )
    return out
