"""Reads of warranty: the policy that applies, a unit's facts and earlier repairs, and the
三包 decision for a unit or an order (evaluated, not stored: `actions.py` stores it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import Q
from django.utils import timezone

from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock
from aftersales.core.workclock import WorkCalendar
from aftersales.customers import meters
from aftersales.customers.models import InstalledUnit
from aftersales.customers.selectors import latest_meter, meter_history
from aftersales.orders.models import ServiceOrder
from aftersales.warranty import engine
from aftersales.warranty.models import WarrantyPolicy
from aftersales.warranty.policies import to_engine

REPAIR_DONE = ("completed", "followed_up", "closed")


def policy_for(
    *, company_id: int, product_model_id: int | None, category_id: int | None
) -> engine.Policy:
    """Model override, then category, then the company default, then the statutory rule."""
    match = Q(category__isnull=True, product_model__isnull=True)
    if category_id is not None:
        match |= Q(category_id=category_id, product_model__isnull=True)
    if product_model_id is not None:
        match |= Q(product_model_id=product_model_id)
    rows = WarrantyPolicy.objects.filter(company_id=company_id).filter(match)
    best = None
    for row in rows:
        rank = 2 if row.product_model_id else 1 if row.category_id else 0
        if best is None or rank > best[0]:
            best = (rank, row)
    return to_engine(best[1]) if best else engine.GENERAL


def policy_for_unit(unit: Any) -> engine.Policy:
    return policy_for(
        company_id=unit.company_id,
        product_model_id=unit.product_model_id,
        category_id=unit.product_model.category_id,
    )


def repairs_of(
    unit_ids: list[int], *, before: dt.datetime | None = None
) -> dict[int, list[engine.Repair]]:
    """Earlier completed repair orders of these units, in one query."""

    done = ServiceOrder.objects.filter(
        unit_id__in=unit_ids,
        service_type="repair",
        status__in=REPAIR_DONE,
        completed_at__isnull=False,
    ).select_related("fault_code")
    if before is not None:
        done = done.filter(completed_at__lt=before)
    out: dict[int, list[engine.Repair]] = {}
    orders = list(done)
    replaced = _replaced_components([o.pk for o in orders])
    for o in orders:
        # Set on every row by the filter (unit_id__in, completed_at__isnull=False).
        unit_id = cast(int, o.unit_id)
        completed_at = cast(dt.datetime, o.completed_at)
        out.setdefault(unit_id, []).append(
            engine.Repair(
                date=timezone.localtime(completed_at).date(),
                fault=o.fault_code.code if o.fault_code else "",
                performance=o.fault_code.is_performance_fault if o.fault_code else True,
                days_in_repair=max(0, (completed_at - (o.arrived_at or completed_at)).days),
                hours_in_repair=max(
                    0.0, (completed_at - (o.arrived_at or completed_at)).total_seconds() / 3600
                ),
                replaced_parts=tuple(sorted(replaced.get(o.pk, ()))),
            )
        )
    return out


# Functions (order ids -> {order id: main component codes replaced}) that say which main
# components each order replaced: parts registers its stock ledger's answer in
# `PartsConfig.ready()`, so warranty imports nothing above it.
REPLACED_COMPONENTS_HOOKS: list[Callable[[list[int]], dict[int, set[str]]]] = []


def _replaced_components(order_ids: list[int]) -> dict[int, set[str]]:
    """The main components (and accessories) each order replaced (the registered hooks)."""
    out: dict[int, set[str]] = {}
    if not order_ids:
        return out
    for hook in REPLACED_COMPONENTS_HOOKS:
        for order_id, codes in hook(order_ids).items():
            out.setdefault(order_id, set()).update(codes)
    return out


def unit_facts(
    unit: Any,
    *,
    repairs: list[engine.Repair] | None = None,
    mileage_km: int | None = None,
    follow_exchanges: bool = True,
) -> engine.UnitFacts:
    """The unit's dates and documents, and its earlier repairs (read if not given). A unit
    given as an exchange keeps the first unit's start for the 7/15-day windows (the engine
    restarts only the period on the exchange date; `follow_exchanges=False` when the caller
    knows the unit replaced none). `mileage_km`: the km reading to decide with."""

    if repairs is None:
        repairs = repairs_of([unit.pk]).get(unit.pk, [])
    root, exchanges = unit, []
    for _step in range(20 if follow_exchanges else 0):
        before = InstalledUnit.objects.filter(replaced_by_id=root.pk).first()
        if before is None:
            break
        exchanges.append(root.invoice_date or root.purchase_date or root.installation_date)
        root = before
    if not (root.invoice_date or root.purchase_date or root.installation_date):
        root, exchanges = unit, []
    return engine.UnitFacts(
        invoice_date=root.invoice_date,
        sale_date=root.purchase_date,
        # Cars: the first unit's delivery (an exchange restarts the period on its own date).
        delivery_date=getattr(root, "delivery_date", None),
        installation_date=root.installation_date,
        price=getattr(unit, "purchase_price", None) or getattr(root, "purchase_price", None),
        commercial_use=getattr(unit, "use", "") == "commercial",
        has_voucher=bool(unit.voucher_no),
        has_invoice=unit.invoice_date is not None,
        serial=unit.serial,
        mileage_km=mileage_km,
        repairs=tuple(repairs),
        exchanges=tuple(d for d in exchanges if d is not None),
    )


def km_on(unit: Any, day: dt.date) -> tuple[int | None, dt.date | None]:
    """The unit's lifetime km by its last reading on or before `day` (a new meter's readings
    continue the old one's), and the reading's date; (None, None) without a reading."""

    if latest_meter(unit, "km") is None:
        return None, None
    known = [(d, t) for d, t in meters.totals(meter_history(unit, "km")) if d <= day]
    if not known:
        return None, None
    return int(known[-1][1]), known[-1][0]


def statutory_day_off(
    company_id: int, *, calendar: WorkCalendar | None = None
) -> Callable[[dt.date], bool]:
    """The company calendar's statutory days off for the Civil Code's last-day rule: weekends
    (unless a 调休 make-up working day) and statutory holidays; company closures are not.
    `calendar`: the company's working calendar when the caller has read it already (a batch
    reads it once); otherwise it is read here."""

    cal = calendar if calendar is not None else work_calendar(company_id)

    def off(day: dt.date) -> bool:
        if day in cal.make_up_days:
            return False
        return day in cal.days_off or day.weekday() >= 5

    return off


def plain(value: Any) -> Any:
    """Evidence as JSON: dates as ISO text, decimals as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decision_detail(policy: engine.Policy, result: engine.Decision) -> dict[str, Any]:
    """What is stored with an order (and answered by the API): codes and figures; pages turn
    them into sentences in the reader's language (warranty.explain)."""
    return {
        "policy": policy.name,
        "kind": policy.kind,
        "rule": result.rule,
        "clause": result.clause,
        "options": list(result.options),
        "period_ends": {k: v.isoformat() for k, v in result.period_ends.items()},
        "warnings": list(result.warnings),
        "evidence": plain(result.evidence),
        "evaluated_at": clock.now().isoformat(),
    }


def decide_for_unit(
    unit: Any,
    *,
    fault_code: Any,
    at: dt.datetime,
    mileage_km: int | None = None,
    days_in_repair: float = 0,
    days_waiting_parts: float = 0,
    calendar: WorkCalendar | None = None,
) -> tuple[str, dict[str, Any]]:
    """(decision, detail) for a unit and a fault (a performance fault when no code) at a
    moment, with the company's calendar; never raises: facts that allow no decision give
    "undetermined" with the reason. A unit without voucher and invoice is a decision (paid
    repair, outside 三包), not an error. `calendar`: the unit's company's working calendar
    when the caller read it once for many units (`orders.bulk`); read here when None."""
    policy = policy_for_unit(unit)
    day = timezone.localtime(at).date()
    fault = engine.FaultFacts(
        performance=fault_code.is_performance_fault if fault_code else True,
        fault=fault_code.code if fault_code else "",
        days_in_repair=max(0.0, float(days_in_repair)),
        days_waiting_parts=max(0.0, float(days_waiting_parts)),
    )
    read_on = None
    if mileage_km is None and policy.kind == "car":
        mileage_km, read_on = km_on(unit, day)
    facts = unit_facts(
        unit, repairs=repairs_of([unit.pk], before=at).get(unit.pk, []), mileage_km=mileage_km
    )
    try:
        result = engine.evaluate(
            policy,
            facts,
            fault,
            day,
            is_day_off=statutory_day_off(unit.company_id, calendar=calendar),
        )
    except engine.WarrantyInputError as exc:
        return "undetermined", {"policy": policy.name, "error": exc.code, "message": exc.message}
    detail = decision_detail(policy, result)
    if read_on is not None:
        detail["evidence"]["mileage_read_on"] = read_on.isoformat()
    return result.decision, detail


@dataclass(frozen=True)
class RepairStay:
    """Where the order's unit is with the repairer for this repair (the workshop's job): the
    moment it was brought in (送修日期, the day the 三包 decision is taken on) and the days it
    has been in repair so far, of which waiting for parts (the 30/90-day limits, the car's
    loaner from day 6)."""

    brought_in: dt.datetime
    days_in_repair: float = 0
    days_waiting_parts: float = 0


# Hooks a higher app registers in its AppConfig.ready() (the workshop): order -> RepairStay or
# None. The warranty app imports nothing of theirs.
REPAIR_STAY_HOOKS: list[Callable[[Any], RepairStay | None]] = []


def repair_stay(order: Any) -> RepairStay | None:
    for hook in REPAIR_STAY_HOOKS:
        stay = hook(order)
        if stay is not None:
            return stay
    return None


def decide_for_order(order: Any) -> tuple[str, dict[str, Any]]:
    """The decision for an order's unit and fault on the day it was taken, or, for a unit
    brought in to a workshop, on the day it was brought in with its days in repair and
    waiting for parts so far."""
    if order.unit_id is None:
        return "", {}
    stay = repair_stay(order)
    if stay is None:
        return decide_for_unit(order.unit, fault_code=order.fault_code, at=order.created_at)
    decision, detail = decide_for_unit(
        order.unit,
        fault_code=order.fault_code,
        at=stay.brought_in,
        days_in_repair=stay.days_in_repair,
        days_waiting_parts=stay.days_waiting_parts,
    )
    detail["brought_in"] = timezone.localtime(stay.brought_in).date().isoformat()
    detail["days_in_repair"] = round(stay.days_in_repair, 2)
    detail["days_waiting_parts"] = round(stay.days_waiting_parts, 2)
    return decision, detail
