"""Fee rules as tables: most specific wins, valid-from, bands, caps, surcharges, rounding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.billing import fees
from aftersales.billing.fees import OrderFacts, Rule

DAY = dt.date(2026, 11, 15)


def facts(**kw: object) -> OrderFacts:
    base: dict[str, object] = {
        "order_id": 1,
        "completed_on": DAY,
        "service_type": "repair",
        "category": "ac",
        "product_model": "KFR-35GW",
        "fault_code": "E1",
        "repair_level": "2",
        "station_grade": "A",
        "region": "east",
    }
    base.update(kw)
    return OrderFacts(**base)  # type: ignore[arg-type]


def rule(id: int, kind: str = fees.LABOUR, **kw: object) -> Rule:
    base: dict[str, object] = {
        "id": id,
        "version": 1,
        "kind": kind,
        "valid_from": dt.date(2026, 1, 1),
    }
    base.update(kw)
    return Rule(**base)  # type: ignore[arg-type]


GENERAL = rule(1, amount=D("50"))
BY_TYPE = rule(2, service_type="repair", amount=D("60"))
BY_CATEGORY = rule(3, category="ac", amount=D("70"))
BY_MODEL = rule(4, product_model="KFR-35GW", amount=D("90"))
BY_TYPE_AND_REGION = rule(5, service_type="repair", region="east", amount=D("65"))
OTHER_MODEL = rule(6, product_model="X-1", amount=D("999"))
BY_FAULT = rule(7, fault_code="E1", amount=D("80"))


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([GENERAL], 1),
        ([GENERAL, BY_TYPE], 2),
        ([BY_TYPE, BY_CATEGORY], 3),  # a category weighs more than a service type
        ([BY_CATEGORY, BY_MODEL], 4),
        ([BY_TYPE, BY_TYPE_AND_REGION], 5),  # two criteria beat one
        ([BY_MODEL, BY_TYPE_AND_REGION], 5),  # ... even a model alone
        ([GENERAL, OTHER_MODEL], 1),  # a rule for another model does not match
        ([BY_CATEGORY, BY_FAULT], 7),
        ([BY_FAULT, BY_MODEL], 4),
        ([OTHER_MODEL], None),
    ],
)
def test_most_specific_rule_wins(rules: list[Rule], expected: int | None) -> None:
    found = fees.winner(rules, facts(), fees.LABOUR)
    assert (found.id if found else None) == expected


def test_a_tie_goes_to_the_later_valid_from_then_the_higher_id() -> None:
    older = rule(10, service_type="repair", amount=D("1"), valid_from=dt.date(2026, 1, 1))
    newer = rule(9, service_type="repair", amount=D("2"), valid_from=dt.date(2026, 6, 1))
    same = rule(11, service_type="repair", amount=D("3"), valid_from=dt.date(2026, 6, 1))
    assert fees.winner([older, newer], facts(), fees.LABOUR) == newer
    assert fees.winner([older, newer, same], facts(), fees.LABOUR) == same


@pytest.mark.parametrize(
    ("completed_on", "expected"),
    [
        (dt.date(2025, 12, 31), None),  # before the first version
        (dt.date(2026, 1, 1), 1),  # the first version's first day
        (dt.date(2026, 6, 30), 1),
        (dt.date(2026, 7, 1), 2),  # the second version from its valid-from (v1 ends there)
        (dt.date(2027, 1, 1), 2),
    ],
)
def test_valid_from_picks_the_version_in_force(completed_on: dt.date, expected: int | None) -> None:
    v1 = rule(1, version=1, amount=D("50"), valid_to=dt.date(2026, 7, 1))
    v2 = rule(2, version=2, amount=D("55"), valid_from=dt.date(2026, 7, 1))
    lines = fees.price_order([v1, v2], facts(completed_on=completed_on))
    assert (lines[0].rule_id if lines else None) == expected
    if lines:
        assert lines[0].rule_version == expected


def test_labour_standard_hours_times_rate_carries_its_formula() -> None:
    (line,) = fees.price_order([rule(1, hours=D("1.5"), rate=D("45.00"))], facts())
    assert line.amount == D("67.50")
    assert line.formula == "1.5 h × 45.00 = 67.50"
    assert (line.rule_id, line.rule_version) == (1, 1)


BANDS = ((D("10"), D("0")), (D("30"), D("20")), (D("50"), D("40")))


@pytest.mark.parametrize(
    ("km", "expected"),
    [
        (D("0"), D("0.00")),
        (D("10"), D("0.00")),  # a bound belongs to its band
        (D("10.1"), D("20.00")),
        (D("30"), D("20.00")),
        (D("49.9"), D("40.00")),
        (D("50"), D("40.00")),
        (D("62.5"), D("58.75")),  # beyond the last band: 40 + 12.5 km × 1.50
    ],
)
def test_travel_distance_bands(km: D, expected: D) -> None:
    travel = rule(1, fees.TRAVEL, bands=BANDS, per_km=D("1.50"))
    (line,) = fees.price_order([travel], facts(distance_km=km))
    assert line.amount == expected


@pytest.mark.parametrize(
    ("km", "visits", "per", "first", "expected"),
    [
        (D("8"), 1, "visit", True, D("0.00")),  # inside the free distance
        (D("25"), 1, "visit", True, D("30.00")),  # (25 - 10) × 2
        (D("25"), 2, "visit", True, D("60.00")),  # once per visit
        (D("25"), 2, "household", True, D("30.00")),  # once per household
        (D("25"), 1, "household", False, None),  # the household's second order: nothing
        (None, 1, "visit", True, None),  # no distance known: no travel line
    ],
)
def test_travel_free_distance_then_per_km(
    km: D | None, visits: int, per: str, first: bool, expected: D | None
) -> None:
    travel = rule(1, fees.TRAVEL, free_km=D("10"), per_km=D("2"), per=per)
    lines = fees.price_order([travel], facts(distance_km=km, visits=visits, household_first=first))
    assert (lines[0].amount if lines else None) == expected


def test_remote_allowance_from_a_minimum_distance() -> None:
    remote = rule(1, fees.REMOTE, amount=D("30"), min_km=D("50"))
    assert fees.price_order([remote], facts(distance_km=D("49"))) == []
    (line,) = fees.price_order([remote], facts(distance_km=D("50")))
    assert line.amount == D("30.00")


def test_parts_handling_per_part_and_percent() -> None:
    handling = rule(1, fees.HANDLING, amount=D("2"), percent=D("5"))
    (line,) = fees.price_order([handling], facts(parts_quantity=3, parts_value=D("123.45")))
    # 3 × 2 + 123.45 × 5 % = 6 + 6.1725 -> 12.17 (rounded once)
    assert line.amount == D("12.17")
    assert fees.price_order([handling], facts(parts_quantity=0)) == []


@pytest.mark.parametrize(
    ("flags", "expected_kinds", "expected_total"),
    [
        ({}, ["labour"], D("100.00")),
        ({"night": True}, ["labour", "night"], D("120.00")),
        ({"night": True, "urgent": True}, ["labour", "night", "urgent"], D("150.00")),
        ({"holiday": True}, ["labour", "holiday"], D("150.00")),
    ],
)
def test_surcharges_are_a_percentage_of_labour(
    flags: dict[str, bool], expected_kinds: list[str], expected_total: D
) -> None:
    rules = [
        rule(1, amount=D("100")),
        rule(2, fees.NIGHT, percent=D("20")),
        rule(3, fees.HOLIDAY, percent=D("50")),
        rule(4, fees.URGENT, percent=D("30")),
    ]
    lines = fees.price_order(rules, facts(**flags))
    assert [line.kind for line in lines] == expected_kinds
    assert fees.total(lines) == expected_total


@pytest.mark.parametrize(
    ("km", "cap", "expected_total", "cap_line"),
    [
        (D("20"), D("200"), D("120.00"), None),  # under the cap: no cap line
        (D("100"), D("200"), D("200.00"), D("-80.00")),  # 100 + 180 travel capped at 200
        (D("100"), D("280"), D("280.00"), None),  # exactly at the cap
    ],
)
def test_cap_limits_the_orders_total(km: D, cap: D, expected_total: D, cap_line: D | None) -> None:
    rules = [
        rule(1, amount=D("100")),
        rule(2, fees.TRAVEL, per_km=D("2"), free_km=D("10")),
        rule(3, fees.CAP, amount=cap),
    ]
    lines = fees.price_order(rules, facts(distance_km=km))
    assert fees.total(lines) == expected_total
    caps = [line.amount for line in lines if line.kind == fees.CAP]
    assert caps == ([cap_line] if cap_line is not None else [])


def test_one_rule_per_kind_even_when_several_match() -> None:
    rules = [GENERAL, BY_TYPE, BY_MODEL, rule(8, fees.TRAVEL, per_km=D("1"))]
    lines = fees.price_order(rules, facts(distance_km=D("3")))
    assert [line.kind for line in lines] == ["labour", "travel"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), D("0.01")),
        (D("0.004"), D("0.00")),
        (D("2.675"), D("2.68")),
        (D("-0.005"), D("-0.01")),
    ],
)
def test_rounding_is_half_up_to_cents(value: D, expected: D) -> None:
    assert fees.money(value) == expected


@given(
    hours=st.decimals(min_value=0, max_value=20, places=2),
    rate=st.decimals(min_value=0, max_value=500, places=2),
    km=st.decimals(min_value=0, max_value=500, places=1),
)
def test_every_line_has_cents_and_the_total_is_the_sum(hours: D, rate: D, km: D) -> None:
    rules = [
        rule(1, hours=hours, rate=rate),
        rule(2, fees.TRAVEL, bands=BANDS, per_km=D("1.33")),
        rule(3, fees.NIGHT, percent=D("17.5")),
        rule(4, fees.CAP, amount=D("5000")),
    ]
    lines = fees.price_order(rules, facts(distance_km=km, night=True))
    for line in lines:
        assert line.amount == line.amount.quantize(D("0.01"))
    assert fees.total(lines) <= D("5000.00")
    assert fees.price_order(rules, facts(distance_km=km, night=True)) == lines


def test_explain_lists_the_winner_first() -> None:
    out = fees.explain([GENERAL, BY_MODEL, OTHER_MODEL], facts())
    labour = next(item for item in out if item["kind"] == "labour")
    assert labour["winner"] == 4
    assert [c["id"] for c in labour["candidates"]] == [4, 1]
