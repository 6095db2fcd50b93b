"""The general rule's edges (《部分商品修理更换退货责任规定》 1995) and the Civil Code's day
counting with a calendar (《民法典》 第二百零一条–第二百零三条); each case cites its clause."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from aftersales.warranty.engine import (
    EXCHANGE,
    FREE_REPAIR,
    GENERAL,
    GENERAL_RULE,
    RETURN,
    UNVERIFIED,
    FaultFacts,
    Repair,
    UnitFacts,
    evaluate,
    window_end,
)

D = dt.date
SOLD = D(2025, 3, 1)
UNIT = UnitFacts(invoice_date=SOLD)
IN = D(2025, 6, 1)  # brought in for repair
NATIONAL_DAY = {D(2025, 10, d) for d in range(1, 9)}


def brought(cause):
    return FaultFacts(brought_in=IN, delay_cause=cause)


# (case id, clause, policy, unit, fault, service date, decision, rule)
CASES = [
    # 30 days from the day brought in, the repairer's own delay (第十二条): the day brought in
    # is not counted.
    (
        "repairer-30",
        "第十二条",
        GENERAL,
        UNIT,
        brought("repairer"),
        D(2025, 7, 1),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
    (
        "repairer-31",
        "第十二条",
        GENERAL,
        UNIT,
        brought("repairer"),
        D(2025, 7, 2),
        EXCHANGE,
        "general.repair_over_30_days",
    ),
    (
        "no-cause-is-repairer",
        "第十二条",
        GENERAL,
        UNIT,
        brought(""),
        D(2025, 7, 2),
        EXCHANGE,
        "general.repair_over_30_days",
    ),
    # 90 days from the day brought in when the maker supplied no parts.
    (
        "parts-45",
        "第十二条",
        GENERAL,
        UNIT,
        brought("parts"),
        D(2025, 7, 16),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
    (
        "parts-90",
        "第十二条",
        GENERAL,
        UNIT,
        brought("parts"),
        D(2025, 8, 30),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
    (
        "parts-91",
        "第十二条",
        GENERAL,
        UNIT,
        brought("parts"),
        D(2025, 8, 31),
        EXCHANGE,
        "general.parts_wait_over_90_days",
    ),
    (
        "overdue-cosmetic",
        "第十二条",
        GENERAL,
        UNIT,
        FaultFacts(performance=False, brought_in=IN),
        D(2025, 8, 1),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
    # An exchange restarts the period (第十四条), not the 7/15-day windows counted from the
    # sale; a policy may promise more, explicitly.
    (
        "exchange-day-10-no-window",
        "第十条 第十四条",
        GENERAL,
        replace(UNIT, exchanges=(D(2025, 3, 5),)),
        FaultFacts(),
        D(2025, 3, 10),
        EXCHANGE,
        "general.exchange_15_days",
    ),
    (
        "exchange-day-20-no-window",
        "第十四条 第八条",
        GENERAL,
        replace(UNIT, exchanges=(D(2025, 3, 5),)),
        FaultFacts(),
        D(2025, 3, 20),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
    (
        "exchange-promised-window",
        "第十条 第十四条",
        replace(GENERAL, windows_restart_on_exchange=True),
        replace(UNIT, exchanges=(D(2025, 3, 5),)),
        FaultFacts(),
        D(2025, 3, 20),
        EXCHANGE,
        "general.exchange_15_days",
    ),
    (
        "exchange-period-restarted",
        "第十四条 第八条",
        GENERAL,
        replace(UNIT, exchanges=(D(2025, 6, 1),)),
        FaultFacts(),
        D(2026, 5, 31),
        FREE_REPAIR,
        "general.whole_unit_period",
    ),
]


@pytest.mark.parametrize(
    ("clause", "policy", "unit", "fault", "service", "decision", "rule"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_general_edge_cases(clause, policy, unit, fault, service, decision, rule):
    result = evaluate(policy, unit, fault, service)
    assert (result.decision, result.rule) == (decision, rule)
    assert "?" not in result.clause
    if rule in UNVERIFIED:
        assert result.clause == GENERAL_RULE  # no unconfirmed article number is shown
    elif rule != "general.whole_unit_period":  # where the tested article does not decide
        assert any(part in result.clause for part in clause.split())


def test_depreciation_counts_days_of_use_less_repair_and_parts_waiting_days():
    """A return instead of an exchange: depreciation per day of use; days with the repairer
    (waiting for parts included) are not use."""
    unit = replace(
        UNIT,
        repairs=(
            Repair(D(2025, 5, 1), days_in_repair=12, days_waiting_parts=5),
            Repair(D(2025, 7, 1), days_in_repair=8),
        ),
    )
    result = evaluate(GENERAL, unit, FaultFacts(days_in_repair=4), D(2025, 9, 1))
    assert result.rule == "general.repaired_twice" and RETURN in result.options
    # 1 March to 1 September: 184 days, of which 12 + 8 + 4 = 24 in repair.
    assert result.evidence["days_used"] == 160
    assert result.evidence["repair_days_not_counted"] == 24
    assert result.evidence["depreciation_if_returned"] == Decimal("0.0005") * 160


def test_days_brought_in_are_shown_as_evidence():
    result = evaluate(GENERAL, UNIT, brought("parts"), D(2025, 8, 31))
    assert result.evidence["days_since_brought_in"] == 91
    assert result.evidence["brought_in"] == IN


# --- the calendar ---------------------------------------------------------------------------


def test_repair_days_are_added_before_a_last_day_off_is_moved():
    """民法典 第二百零三条: the period with its extension ends on 2 October (National Day), so it
    moves to 9 October; moving 25 September first and adding 7 days would end on a holiday."""
    end = window_end(
        D(2024, 9, 25),
        months=12,
        civil_code=True,
        is_day_off=NATIONAL_DAY.__contains__,
        extra_days=7,
    )
    assert end == D(2025, 10, 9)


def test_a_last_day_off_does_not_move_when_the_extension_takes_it_past():
    end = window_end(
        D(2024, 10, 1),
        months=12,
        civil_code=True,
        is_day_off=NATIONAL_DAY.__contains__,
        extra_days=10,
    )
    assert end == D(2025, 10, 11)  # not 9 October + 10 days


def test_the_engine_applies_the_calendar_to_the_extended_period():
    unit = UnitFacts(
        invoice_date=D(2024, 9, 25),
        repairs=(Repair(D(2025, 1, 10), days_in_repair=7, performance=False),),
    )
    result = evaluate(
        GENERAL, unit, FaultFacts(), D(2025, 10, 9), is_day_off=NATIONAL_DAY.__contains__
    )
    assert result.period_ends["whole_unit"] == D(2025, 10, 9)
    assert result.rule == "general.whole_unit_period"


def test_without_civil_code_counting_no_day_moves():
    end = window_end(
        D(2024, 10, 1), months=12, civil_code=False, is_day_off=NATIONAL_DAY.__contains__
    )
    assert end == D(2025, 9, 30)
