"""The household-car rule (《家用汽车产品修理更换退货责任规定》, 2021) case by case: each case
cites the article it tests (numbers marked "?" are not confirmed against the official text;
see docs/warranty.md). Cars count days as 24-hour periods: a window of 7 days from 1 March
runs through 7 March."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from aftersales.warranty.engine import (
    CAR,
    CAR_RULE,
    EXCHANGE,
    FREE_REPAIR,
    PAID_REPAIR,
    RETURN,
    UNVERIFIED,
    FaultFacts,
    Repair,
    UnitFacts,
    car_repair_days,
    evaluate,
    use_compensation,
)

D = dt.date
INVOICED = D(2025, 3, 1)
CAR_UNIT = UnitFacts(invoice_date=INVOICED, mileage_km=1_000, price=Decimal("150000.00"))
PERF = FaultFacts()
ENGINE_SWAP = FaultFacts(system="engine", needs_replacement=True)
CRANKSHAFT = FaultFacts(system="engine", component="crankshaft", needs_replacement=True)


def rep(day, **kw):
    return Repair(date=day, **kw)


def km(n):
    return replace(CAR_UNIT, mileage_km=n)


# (case id, article, unit, fault, service date, decision, rule)
CASES = [
    # 第十八条?: the period starts at the invoice date, or at delivery when that differs.
    ("start-invoice", "第十八条?", CAR_UNIT, PERF, D(2027, 3, 1), FREE_REPAIR, "car.sanbao_period"),
    (
        "start-invoice-after",
        "第十八条?",
        CAR_UNIT,
        PERF,
        D(2027, 3, 2),
        FREE_REPAIR,
        "car.repair_warranty",
    ),
    (
        "start-delivery-later",
        "第十八条?",
        replace(CAR_UNIT, delivery_date=D(2025, 3, 20)),
        PERF,
        D(2027, 3, 15),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "start-delivery-7-days",
        "第十八条? 第二十二条?",
        replace(CAR_UNIT, delivery_date=D(2025, 3, 20)),
        ENGINE_SWAP,
        D(2025, 3, 26),
        RETURN,
        "car.first_7_days_major_part",
    ),
    # 第十八条?: 三包 2 years / 50,000 km, repair warranty 3 years / 60,000 km, first reached.
    (
        "sanbao-km-edge",
        "第十八条?",
        km(50_000),
        PERF,
        D(2026, 1, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "sanbao-km-over",
        "第十八条?",
        km(50_001),
        PERF,
        D(2026, 1, 1),
        FREE_REPAIR,
        "car.repair_warranty",
    ),
    (
        "repair-km-over",
        "第十八条?",
        km(60_001),
        PERF,
        D(2026, 1, 1),
        PAID_REPAIR,
        "car.period_expired",
    ),
    (
        "repair-3-years-over",
        "第十八条?",
        CAR_UNIT,
        PERF,
        D(2028, 3, 2),
        PAID_REPAIR,
        "car.period_expired",
    ),
    # 第二十二条?: within 7 days, the engine / transmission / traction battery / drive motor
    # or a main part of one needs replacing → free exchange or return.
    (
        "7d-engine-day-1",
        "第二十二条?",
        CAR_UNIT,
        ENGINE_SWAP,
        INVOICED,
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-engine-day-7",
        "第二十二条?",
        CAR_UNIT,
        ENGINE_SWAP,
        D(2025, 3, 7),
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-engine-day-8",
        "第二十二条?",
        CAR_UNIT,
        ENGINE_SWAP,
        D(2025, 3, 8),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "7d-main-part",
        "第二十二条?",
        CAR_UNIT,
        CRANKSHAFT,
        D(2025, 3, 3),
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-transmission",
        "第二十二条?",
        CAR_UNIT,
        FaultFacts(system="transmission", needs_replacement=True),
        D(2025, 3, 3),
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-battery",
        "第二十二条?",
        CAR_UNIT,
        FaultFacts(system="traction_battery", needs_replacement=True),
        D(2025, 3, 3),
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-motor",
        "第二十二条?",
        CAR_UNIT,
        FaultFacts(component="drive_motor", needs_replacement=True),
        D(2025, 3, 3),
        RETURN,
        "car.first_7_days_major_part",
    ),
    (
        "7d-engine-repairable",
        "第二十二条?",
        CAR_UNIT,
        FaultFacts(system="engine"),
        D(2025, 3, 3),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "7d-other-system",
        "第二十二条?",
        CAR_UNIT,
        FaultFacts(system="suspension", needs_replacement=True),
        D(2025, 3, 3),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    # 第二十三条: within 60 days or 3,000 km, first reached: steering or braking failure,
    # body cracking, fuel leak, traction-battery fire → exchange or return.
    *[
        (
            f"60d-{failure}",
            "第二十三条",
            CAR_UNIT,
            FaultFacts(early_failure=failure),
            D(2025, 4, 29),
            RETURN,
            "car.early_60_days_failure",
        )
        for failure in (
            "steering_failure",
            "braking_failure",
            "body_crack",
            "fuel_leak",
            "battery_fire",
        )
    ],
    (
        "60d-day-61",
        "第二十三条",
        CAR_UNIT,
        FaultFacts(early_failure="braking_failure"),
        D(2025, 4, 30),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "60d-3000-km",
        "第二十三条",
        km(3_000),
        FaultFacts(early_failure="fuel_leak"),
        D(2025, 3, 10),
        RETURN,
        "car.early_60_days_failure",
    ),
    (
        "60d-3001-km",
        "第二十三条",
        km(3_001),
        FaultFacts(early_failure="fuel_leak"),
        D(2025, 3, 10),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    # 第二十四条(一): a serious safety fault repaired twice and not resolved (or a new one).
    (
        "safety-twice",
        "第二十四条(一)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), serious_safety=True),
                rep(D(2025, 6, 1), serious_safety=True),
            ),
        ),
        FaultFacts(serious_safety=True),
        D(2025, 7, 1),
        EXCHANGE,
        "car.serious_safety_repaired_twice",
    ),
    (
        "safety-once",
        "第二十四条(一)",
        replace(CAR_UNIT, repairs=(rep(D(2025, 5, 1), serious_safety=True),)),
        FaultFacts(serious_safety=True),
        D(2025, 7, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "safety-twice-now-fixed-other",
        "第二十四条(一)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), serious_safety=True),
                rep(D(2025, 6, 1), serious_safety=True),
            ),
        ),
        PERF,
        D(2025, 7, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    # 第二十四条(二): the engine, transmission, battery or motor replaced twice and still unusable.
    (
        "engine-replaced-twice",
        "第二十四条(二)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="engine", replaced=True),
                rep(D(2025, 6, 1), system="engine", replaced=True),
            ),
        ),
        FaultFacts(system="engine"),
        D(2025, 7, 1),
        EXCHANGE,
        "car.major_assembly_replaced_twice",
    ),
    (
        "engine-repaired-twice",
        "第二十四条(二)",
        replace(
            CAR_UNIT,
            repairs=(rep(D(2025, 5, 1), system="engine"), rep(D(2025, 6, 1), system="engine")),
        ),
        FaultFacts(system="engine"),
        D(2025, 7, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "battery-replaced-twice",
        "第二十四条(二)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="traction_battery", replaced=True),
                rep(D(2025, 6, 1), system="traction_battery", replaced=True),
            ),
        ),
        FaultFacts(system="traction_battery"),
        D(2025, 7, 1),
        EXCHANGE,
        "car.major_assembly_replaced_twice",
    ),
    # 第二十四条(三): the same main part of the engine ... steering, braking, suspension,
    # axles or body replaced twice and still unusable.
    (
        "crankshaft-replaced-twice",
        "第二十四条(三)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="engine", component="crankshaft", replaced=True),
                rep(D(2025, 6, 1), system="engine", component="crankshaft", replaced=True),
            ),
        ),
        FaultFacts(system="engine", component="crankshaft"),
        D(2025, 7, 1),
        EXCHANGE,
        "car.same_main_part_replaced_twice",
    ),
    (
        "brake-pump-replaced-twice",
        "第二十四条(三)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="braking", component="master_cylinder", replaced=True),
                rep(D(2025, 6, 1), system="braking", component="master_cylinder", replaced=True),
            ),
        ),
        FaultFacts(system="braking", component="master_cylinder"),
        D(2025, 7, 1),
        EXCHANGE,
        "car.same_main_part_replaced_twice",
    ),
    (
        "brake-different-parts",
        "第二十四条(三)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="braking", component="master_cylinder", replaced=True),
                rep(D(2025, 6, 1), system="braking", component="caliper", replaced=True),
            ),
        ),
        FaultFacts(system="braking", component="caliper"),
        D(2025, 7, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "axle-replaced-twice",
        "第二十四条(三)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="axle", component="rear_axle", replaced=True),
                rep(D(2025, 6, 1), system="axle", component="rear_axle", replaced=True),
            ),
        ),
        FaultFacts(system="axle", component="rear_axle"),
        D(2025, 7, 1),
        EXCHANGE,
        "car.same_main_part_replaced_twice",
    ),
    (
        "radio-replaced-twice",
        "第二十四条(三)",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2025, 5, 1), system="audio", component="radio", replaced=True),
                rep(D(2025, 6, 1), system="audio", component="radio", replaced=True),
            ),
        ),
        FaultFacts(system="audio", component="radio"),
        D(2025, 7, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "replaced-twice-after-sanbao",
        "第二十四条?",
        replace(
            CAR_UNIT,
            repairs=(
                rep(D(2027, 3, 5), system="engine", component="crankshaft", replaced=True),
                rep(D(2027, 4, 1), system="engine", component="crankshaft", replaced=True),
            ),
        ),
        FaultFacts(system="engine", component="crankshaft"),
        D(2027, 5, 1),
        FREE_REPAIR,
        "car.repair_warranty",
    ),
    # 第二十四条(四) and 第二十五条? (whole days: under 24 hours is one day).
    (
        "30-days-in-half-days",
        "第二十四条(四) 第二十五条?",
        replace(
            CAR_UNIT, repairs=tuple(rep(D(2025, 4, d), days_in_repair=0.5) for d in range(1, 31))
        ),
        FaultFacts(days_in_repair=0.2),
        D(2025, 6, 1),
        EXCHANGE,
        "car.cumulative_repair_over_30_days",
    ),
    (
        "29-short-repairs",
        "第二十四条(四) 第二十五条?",
        replace(
            CAR_UNIT, repairs=tuple(rep(D(2025, 4, d), days_in_repair=0.5) for d in range(1, 30))
        ),
        FaultFacts(days_in_repair=0.2),
        D(2025, 6, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    # 第三十条?: exclusions.
    (
        "taxi",
        "第三十条?",
        replace(CAR_UNIT, commercial_use=True),
        ENGINE_SWAP,
        D(2025, 3, 3),
        PAID_REPAIR,
        "car.commercial_use",
    ),
    (
        "defect-disclosed",
        "第三十条?",
        CAR_UNIT,
        FaultFacts(defect_disclosed=True),
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.defect_disclosed",
    ),
    (
        "forbidden-modification",
        "第三十条?",
        CAR_UNIT,
        FaultFacts(forbidden_modification=True),
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.forbidden_modification",
    ),
    (
        "misuse",
        "第三十条?",
        CAR_UNIT,
        FaultFacts(misuse=True),
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.misuse",
    ),
    (
        "force-majeure",
        "第三十条?",
        CAR_UNIT,
        FaultFacts(force_majeure=True),
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.force_majeure",
    ),
    # 第三十一条?: no valid invoice and 三包 voucher.
    (
        "no-invoice",
        "第三十一条?",
        replace(CAR_UNIT, has_invoice=False),
        PERF,
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.no_documents",
    ),
    (
        "no-voucher",
        "第三十一条?",
        replace(CAR_UNIT, has_voucher=False),
        PERF,
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.no_documents",
    ),
]

WEAR = replace(CAR, wear_parts={"brake_pad": (6, 10_000), "wiper": (3, 0)})
# Wear parts past their own period (第三十条?), checked under a policy that lists them.
WEAR_CASES = [
    (
        "pad-inside",
        km(5_000),
        FaultFacts(wear_part="brake_pad"),
        D(2025, 8, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
    (
        "pad-months-over",
        km(5_000),
        FaultFacts(wear_part="brake_pad"),
        D(2025, 9, 2),
        PAID_REPAIR,
        "car.wear_part_expired",
    ),
    (
        "pad-km-over",
        km(10_001),
        FaultFacts(wear_part="brake_pad"),
        D(2025, 5, 1),
        PAID_REPAIR,
        "car.wear_part_expired",
    ),
    (
        "wiper-no-km-limit",
        km(40_000),
        FaultFacts(wear_part="wiper"),
        D(2025, 5, 1),
        FREE_REPAIR,
        "car.sanbao_period",
    ),
]


@pytest.mark.parametrize(
    ("article", "unit", "fault", "service", "decision", "rule"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_car_rule_cases(article, unit, fault, service, decision, rule):
    result = evaluate(CAR, unit, fault, service)
    assert (result.decision, result.rule) == (decision, rule)
    assert result.clause.startswith(CAR_RULE)
    # Where the tested article decides, the engine names it (the other cases show where it
    # does not apply and the plain period decides).
    assert "?" not in result.clause
    if rule in UNVERIFIED:
        assert result.clause == CAR_RULE  # no unconfirmed article number is shown
    else:
        assert any(part.split("(")[0] in result.clause for part in article.split())


@pytest.mark.parametrize(
    ("unit", "fault", "service", "decision", "rule"),
    [c[1:] for c in WEAR_CASES],
    ids=[c[0] for c in WEAR_CASES],
)
def test_wear_parts_have_their_own_period(unit, fault, service, decision, rule):
    result = evaluate(WEAR, unit, fault, service)
    assert (result.decision, result.rule) == (decision, rule)


def test_the_customer_chooses_exchange_or_return_in_the_first_days():
    result = evaluate(CAR, CAR_UNIT, ENGINE_SWAP, D(2025, 3, 2))
    assert set(result.options) == {RETURN, EXCHANGE}


def test_return_owes_use_compensation_with_its_formula():
    """第二十六条?: price × km ÷ 1000 × n; n set by the company inside the rule's cap."""
    unit = replace(CAR_UNIT, mileage_km=2_400)
    result = evaluate(CAR, unit, FaultFacts(early_failure="body_crack"), D(2025, 4, 1))
    assert result.decision == RETURN
    assert result.evidence["use_compensation"] == Decimal("1800.00")  # 150000 × 2.4 × 0.005
    assert result.evidence["use_compensation_formula"] == "150000.00 × 2400 ÷ 1000 × 0.005"
    cheaper = replace(CAR, car_use_rate=Decimal("0.003"))
    assert evaluate(cheaper, unit, FaultFacts(early_failure="body_crack"), D(2025, 4, 1)).evidence[
        "use_compensation"
    ] == Decimal("1080.00")


def test_return_without_a_price_says_the_compensation_is_unknown():
    unit = replace(CAR_UNIT, price=None)
    result = evaluate(CAR, unit, ENGINE_SWAP, D(2025, 3, 2))
    assert "use_compensation_unknown" in result.warnings
    assert "use_compensation" not in result.evidence


def test_use_compensation_rounds_to_the_fen():
    assert use_compensation(Decimal("99999.99"), 1, Decimal("0.005")) == Decimal("0.50")


@pytest.mark.parametrize(
    ("days", "counted"), [(0, 0), (0.1, 1), (0.99, 1), (1, 1), (1.01, 2), (5, 5), (5.5, 6)]
)
def test_repair_days_are_whole_days_and_under_24_hours_is_one(days, counted):
    assert car_repair_days(days) == counted


@pytest.mark.parametrize(("days", "due"), [(5, False), (5.2, True), (6, True)])
def test_loaner_or_travel_compensation_from_day_6(days, due):
    result = evaluate(CAR, CAR_UNIT, FaultFacts(days_in_repair=days), D(2025, 6, 1))
    assert ("loaner_due_from_day_6" in result.warnings) is due


def test_an_exchanged_car_restarts_the_period_but_not_the_first_7_days():
    unit = replace(CAR_UNIT, exchanges=(D(2025, 6, 1),))
    result = evaluate(CAR, unit, ENGINE_SWAP, D(2025, 6, 3))
    assert result.rule == "car.sanbao_period"
    assert result.period_ends["sanbao"] == D(2027, 6, 1)


def test_without_a_km_reading_only_time_is_checked():
    result = evaluate(CAR, replace(CAR_UNIT, mileage_km=None), PERF, D(2026, 6, 1))
    assert result.rule == "car.sanbao_period" and "mileage_unknown" in result.warnings


def test_at_least_forty_car_cases():
    assert len(CASES) + len(WEAR_CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_assemblies_replaced_as_parts_used_count_as_replacements():
    unit = replace(
        CAR_UNIT,
        repairs=(
            Repair(D(2025, 5, 1), replaced_parts=("transmission",)),
            Repair(D(2025, 6, 1), replaced_parts=("transmission",)),
        ),
    )
    result = evaluate(CAR, unit, FaultFacts(system="transmission"), D(2025, 7, 1))
    assert result.rule == "car.major_assembly_replaced_twice"


def test_repair_hours_count_as_whole_days_each():
    """30 repairs of 3 hours each are 30 days (under 24 hours is one day); with a 25-hour
    repair (two days) the total passes 30."""
    short = tuple(Repair(D(2025, 4, d), hours_in_repair=3) for d in range(1, 31))
    unit = replace(CAR_UNIT, repairs=short)
    assert evaluate(CAR, unit, PERF, D(2025, 6, 1)).rule == "car.sanbao_period"
    longer = replace(unit, repairs=(*short[:-1], Repair(D(2025, 4, 30), hours_in_repair=25)))
    result = evaluate(CAR, longer, PERF, D(2025, 6, 1))
    assert result.rule == "car.cumulative_repair_over_30_days"
    assert result.evidence["cumulative_repair_days"] == 31
