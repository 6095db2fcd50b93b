"""Fee rules (结算标准) as data, and the pricing of one order for its station: a pure core.

A rule is versioned data with a valid-from date. It names the criteria it matches (service
type, product category or model, fault code, repair level, station grade, region: an empty
criterion matches anything) and one kind of fee with its parameters. For each kind at most one
rule prices an order: among the rules valid on the order's completion date that match it, the
most specific wins (see `specificity`); a tie goes to the later valid-from, then the higher id.

Kinds:
- labour (工时费): a fixed amount, or standard hours × rate;
- travel (里程费): distance bands (the band's amount; beyond the last band, per km over its
  bound) or a free distance then per km; once per visit (× visits) or once per household
  (only the household's first order of the day is paid);
- remote (偏远补贴): a fixed allowance, from a minimum distance if the rule says so;
- handling (配件管理费): per part quantity and/or a percentage of the parts' value;
- night / holiday / urgent surcharges: a percentage of the labour fee;
- cap (封顶): the order's total is limited to the amount (a negative line takes off the rest).

Money is Decimal yuan. Each line is computed exactly and rounded once, to 2 places with
ROUND_HALF_UP (0.005 -> 0.01); the order's total is the sum of its rounded lines. Every priced
line carries its formula and the rule (id and version) that priced it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")

LABOUR = "labour"
TRAVEL = "travel"
REMOTE = "remote"
HANDLING = "handling"
NIGHT = "night"
HOLIDAY = "holiday"
URGENT = "urgent"
CAP = "cap"
SURCHARGES = (NIGHT, HOLIDAY, URGENT)
# The order in which an order's fee lines are priced and listed (the cap last).
KINDS = (LABOUR, TRAVEL, REMOTE, HANDLING, NIGHT, HOLIDAY, URGENT, CAP)

PER_VISIT = "visit"
PER_HOUSEHOLD = "household"

# What each criterion weighs when two rules match: a model is more specific than a category,
# a fault code or repair level more than a service type, a station grade more than a region.
CRITERIA_WEIGHTS = {
    "product_model": 64,
    "fault_code": 32,
    "repair_level": 16,
    "category": 8,
    "service_type": 4,
    "station_grade": 2,
    "region": 1,
}


def money(value: Decimal) -> Decimal:
    """The one rounding rule: 2 places, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    id: int
    version: int
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None = None  # exclusive: the day the next version starts
    # Criteria (empty: any).
    service_type: str = ""
    category: str = ""
    product_model: str = ""
    fault_code: str = ""
    repair_level: str = ""
    station_grade: str = ""
    region: str = ""
    # Parameters (which ones count depends on the kind).
    amount: Decimal | None = None
    hours: Decimal | None = None
    rate: Decimal | None = None
    free_km: Decimal = ZERO
    per_km: Decimal = ZERO
    bands: tuple[tuple[Decimal, Decimal], ...] = ()  # (up to km, amount), ascending
    per: str = PER_VISIT
    min_km: Decimal = ZERO
    percent: Decimal = ZERO
    name: str = ""

    def criteria(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in CRITERIA_WEIGHTS if getattr(self, c)}

    def specificity(self) -> tuple[int, int]:
        """(how many criteria, their weight): more wins."""
        named = self.criteria()
        return len(named), sum(CRITERIA_WEIGHTS[c] for c in named)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class OrderFacts:
    """What pricing needs to know about one completed order (read by the caller)."""

    order_id: int
    completed_on: dt.date
    service_type: str = ""
    category: str = ""
    product_model: str = ""
    fault_code: str = ""
    repair_level: str = ""
    station_grade: str = ""
    region: str = ""
    distance_km: Decimal | None = None
    visits: int = 1
    # False for a household's second and later orders of the day (travel paid once).
    household_first: bool = True
    parts_quantity: int = 0
    parts_value: Decimal = ZERO
    night: bool = False
    holiday: bool = False
    urgent: bool = False

    def value(self, criterion: str) -> str:
        return str(getattr(self, criterion) or "")


@dataclass(frozen=True)
class PricedLine:
    kind: str
    amount: Decimal
    formula: str
    rule_id: int
    rule_version: int
    basis: dict[str, Any] = field(default_factory=dict)


def matches(rule: Rule, facts: OrderFacts) -> bool:
    return rule.valid_on(facts.completed_on) and all(
        facts.value(c) == v for c, v in rule.criteria().items()
    )


def _rank(rule: Rule) -> tuple[int, int, dt.date, int]:
    count, weight = rule.specificity()
    return count, weight, rule.valid_from, rule.id


def candidates(rules: Iterable[Rule], facts: OrderFacts, kind: str) -> list[Rule]:
    """The rules of `kind` that match the order, the winner first."""
    found = [r for r in rules if r.kind == kind and matches(r, facts)]
    return sorted(found, key=_rank, reverse=True)


def winner(rules: Iterable[Rule], facts: OrderFacts, kind: str) -> Rule | None:
    found = candidates(rules, facts, kind)
    return found[0] if found else None


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _labour(rule: Rule) -> tuple[Decimal, str, dict[str, Any]] | None:
    if rule.hours is not None and rule.rate is not None:
        exact = rule.hours * rule.rate
        amount = money(exact)
        return (
            amount,
            f"{_fmt(rule.hours)} h × {rule.rate} = {amount}",
            {
                "hours": str(rule.hours),
                "rate": str(rule.rate),
            },
        )
    if rule.amount is not None:
        return money(rule.amount), f"{money(rule.amount)}", {}
    return None


def _travel_once(rule: Rule, km: Decimal) -> tuple[Decimal, str]:
    if rule.bands:
        bound, last = ZERO, ZERO
        for up_to, band_amount in rule.bands:
            if km <= up_to:
                return band_amount, f"{_fmt(km)} km ≤ {_fmt(up_to)} km: {band_amount}"
            bound, last = up_to, band_amount
        over = km - bound
        exact = last + over * rule.per_km
        return exact, f"{last} + ({_fmt(km)} − {_fmt(bound)}) km × {rule.per_km}"
    paid_km = max(ZERO, km - rule.free_km)
    exact = paid_km * rule.per_km
    return exact, f"({_fmt(km)} − {_fmt(rule.free_km)}) km × {rule.per_km}"


def _travel(rule: Rule, facts: OrderFacts) -> tuple[Decimal, str, dict[str, Any]] | None:
    if facts.distance_km is None:
        return None
    km = facts.distance_km
    basis: dict[str, Any] = {"distance_km": str(km), "per": rule.per}
    if rule.per == PER_HOUSEHOLD:
        if not facts.household_first:
            return None
        exact, text = _travel_once(rule, km)
        amount = money(exact)
        return amount, f"{text} = {amount} (once per household)", basis
    visits = max(1, facts.visits)
    exact, text = _travel_once(rule, km)
    amount = money(exact * visits)
    basis["visits"] = visits
    if visits == 1:
        return amount, f"{text} = {amount}", basis
    return amount, f"[{text}] × {visits} visits = {amount}", basis


def _remote(rule: Rule, facts: OrderFacts) -> tuple[Decimal, str, dict[str, Any]] | None:
    if rule.amount is None:
        return None
    if rule.min_km > 0:
        if facts.distance_km is None or facts.distance_km < rule.min_km:
            return None
        amount = money(rule.amount)
        return (
            amount,
            f"{_fmt(facts.distance_km)} km ≥ {_fmt(rule.min_km)} km: {amount}",
            {"distance_km": str(facts.distance_km)},
        )
    return money(rule.amount), f"{money(rule.amount)}", {}


def _handling(rule: Rule, facts: OrderFacts) -> tuple[Decimal, str, dict[str, Any]] | None:
    if facts.parts_quantity <= 0:
        return None
    terms: list[str] = []
    exact = ZERO
    if rule.amount is not None:
        exact += rule.amount * facts.parts_quantity
        terms.append(f"{facts.parts_quantity} × {rule.amount}")
    if rule.percent:
        exact += facts.parts_value * rule.percent / 100
        terms.append(f"{facts.parts_value} × {_fmt(rule.percent)} %")
    if not terms:
        return None
    amount = money(exact)
    return (
        amount,
        f"{' + '.join(terms)} = {amount}",
        {
            "parts_quantity": facts.parts_quantity,
            "parts_value": str(facts.parts_value),
        },
    )


def price_order(rules: Sequence[Rule], facts: OrderFacts) -> list[PricedLine]:
    """The station's fee lines for one order, in `KINDS` order. Deterministic: the same rules
    and facts give the same lines."""
    lines: list[PricedLine] = []

    def add(rule: Rule, result: tuple[Decimal, str, dict[str, Any]] | None) -> None:
        if result is None:
            return
        amount, formula, basis = result
        lines.append(PricedLine(rule.kind, amount, formula, rule.id, rule.version, basis))

    labour_amount = ZERO
    for kind in KINDS:
        rule = winner(rules, facts, kind)
        if rule is None:
            continue
        if kind == LABOUR:
            result = _labour(rule)
            if result:
                labour_amount = result[0]
            add(rule, result)
        elif kind == TRAVEL:
            add(rule, _travel(rule, facts))
        elif kind == REMOTE:
            add(rule, _remote(rule, facts))
        elif kind == HANDLING:
            add(rule, _handling(rule, facts))
        elif kind in SURCHARGES:
            if getattr(facts, kind) and rule.percent and labour_amount:
                amount = money(labour_amount * rule.percent / 100)
                add(
                    rule,
                    (
                        amount,
                        f"{labour_amount} × {_fmt(rule.percent)} % = {amount}",
                        {"labour": str(labour_amount), "percent": str(rule.percent)},
                    ),
                )
        elif kind == CAP and rule.amount is not None:
            total = sum((line.amount for line in lines), ZERO)
            limit = money(rule.amount)
            if total > limit:
                cut = limit - total
                add(
                    rule,
                    (cut, f"{limit} − {total} = {cut}", {"total": str(total), "cap": str(limit)}),
                )
    return lines


def total(lines: Iterable[PricedLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def explain(rules: Sequence[Rule], facts: OrderFacts) -> list[dict[str, Any]]:
    """For the preview: per kind, the matching rules with the winner first and why it won."""
    out = []
    for kind in KINDS:
        found = candidates(rules, facts, kind)
        out.append(
            {
                "kind": kind,
                "winner": found[0].id if found else None,
                "candidates": [
                    {
                        "id": r.id,
                        "version": r.version,
                        "name": r.name,
                        "criteria": r.criteria(),
                        "specificity": r.specificity(),
                        "valid_from": r.valid_from.isoformat(),
                    }
                    for r in found
                ],
            }
        )
    return out
