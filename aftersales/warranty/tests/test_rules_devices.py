"""Mobile phones (《移动电话机商品修理更换退货责任规定》, 2001) and microcomputers
(《微型计算机商品修理更换退货责任规定》, 2002) as policy kinds: whole unit, main parts and
accessories with their own periods; each case cites its clause ("?" = article number not
confirmed against the official text, see docs/warranty.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from aftersales.warranty.engine import (
    COMPUTER,
    COMPUTER_RULE,
    EXCHANGE,
    FREE_REPAIR,
    PAID_REPAIR,
    PHONE,
    PHONE_RULE,
    RETURN,
    UNVERIFIED,
    FaultFacts,
    Repair,
    UnitFacts,
    evaluate,
)
from aftersales.warranty.policies import below_floor

D = dt.date
SOLD = D(2025, 3, 1)
UNIT = UnitFacts(invoice_date=SOLD)
PERF = FaultFacts()


def acc(code, **kw):
    return FaultFacts(component=code, **kw)


def replaced(code, *days):
    return replace(UNIT, repairs=tuple(Repair(date=d, component=code, replaced=True) for d in days))


# (case id, clause, unit, fault, service date, decision, rule)
PHONE_CASES = [
    ("handset-day-7", "第十一条", UNIT, PERF, D(2025, 3, 8), RETURN, "phone.return_7_days"),
    ("handset-day-8", "第十二条", UNIT, PERF, D(2025, 3, 9), EXCHANGE, "phone.exchange_15_days"),
    ("handset-day-15", "第十二条", UNIT, PERF, D(2025, 3, 16), EXCHANGE, "phone.exchange_15_days"),
    ("handset-day-16", "附录", UNIT, PERF, D(2025, 3, 17), FREE_REPAIR, "phone.whole_unit_period"),
    (
        "handset-cosmetic-day-3",
        "附录",
        UNIT,
        FaultFacts(performance=False),
        D(2025, 3, 4),
        FREE_REPAIR,
        "phone.whole_unit_period",
    ),
    ("handset-1-year", "附录", UNIT, PERF, D(2026, 3, 1), FREE_REPAIR, "phone.whole_unit_period"),
    ("handset-expired", "附录", UNIT, PERF, D(2026, 3, 2), PAID_REPAIR, "phone.period_expired"),
    (
        "handset-repaired-twice",
        "第十三条",
        replace(UNIT, repairs=(Repair(D(2025, 5, 1)), Repair(D(2025, 7, 1)))),
        PERF,
        D(2025, 9, 1),
        EXCHANGE,
        "phone.repaired_twice",
    ),
    (
        "handset-misuse",
        "",
        UNIT,
        FaultFacts(misuse=True),
        D(2025, 3, 3),
        PAID_REPAIR,
        "void.misuse",
    ),
    # Accessories: replaced free inside their own period (battery 6 months, charger 1 year,
    # wired headset 3 months), even in the first 7 days (no return of the phone for them).
    (
        "battery-day-3",
        "第十四条?",
        UNIT,
        acc("battery"),
        D(2025, 3, 4),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "battery-6-months",
        "第十四条?",
        UNIT,
        acc("battery"),
        D(2025, 9, 1),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "battery-expired",
        "附录",
        UNIT,
        acc("battery"),
        D(2025, 9, 2),
        PAID_REPAIR,
        "phone.accessory_expired",
    ),
    (
        "charger-11-months",
        "第十四条?",
        UNIT,
        acc("charger"),
        D(2026, 2, 1),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "headset-3-months",
        "第十四条?",
        UNIT,
        acc("wired_headset"),
        D(2025, 6, 1),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "headset-expired",
        "附录",
        UNIT,
        acc("wired_headset"),
        D(2025, 6, 2),
        PAID_REPAIR,
        "phone.accessory_expired",
    ),
    # Replaced twice and still failing: the accessory is returned.
    (
        "battery-replaced-twice",
        "第十四条?",
        replaced("battery", D(2025, 4, 1), D(2025, 5, 1)),
        acc("battery"),
        D(2025, 6, 1),
        RETURN,
        "phone.accessory_replaced_twice",
    ),
    (
        "battery-replaced-once",
        "第十四条?",
        replaced("battery", D(2025, 4, 1)),
        acc("battery"),
        D(2025, 6, 1),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "charger-replaced-twice-battery-fails",
        "第十四条?",
        replaced("charger", D(2025, 4, 1), D(2025, 5, 1)),
        acc("battery"),
        D(2025, 6, 1),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
    (
        "battery-repair-extends",
        "第十四条?",
        replace(UNIT, repairs=(Repair(D(2025, 4, 1), days_in_repair=10, performance=False),)),
        acc("battery"),
        D(2025, 9, 11),
        FREE_REPAIR,
        "phone.accessory_exchange",
    ),
]

COMPUTER_CASES = [
    ("pc-day-7", "第十一条?", UNIT, PERF, D(2025, 3, 8), RETURN, "computer.return_7_days"),
    ("pc-day-15", "第十二条?", UNIT, PERF, D(2025, 3, 16), EXCHANGE, "computer.exchange_15_days"),
    ("pc-year-1", "第十条", UNIT, PERF, D(2026, 3, 1), FREE_REPAIR, "computer.whole_unit_period"),
    (
        "pc-disk-month-18",
        "第十条",
        UNIT,
        acc("hard_disk"),
        D(2026, 9, 1),
        FREE_REPAIR,
        "computer.main_part_period",
    ),
    (
        "pc-display-2-years",
        "第十条",
        UNIT,
        acc("display"),
        D(2027, 3, 1),
        FREE_REPAIR,
        "computer.main_part_period",
    ),
    (
        "pc-display-expired",
        "附件",
        UNIT,
        acc("display"),
        D(2027, 3, 2),
        PAID_REPAIR,
        "computer.period_expired",
    ),
    (
        "pc-adapter-month-20",
        "第十条",
        UNIT,
        acc("power_adapter"),
        D(2026, 11, 1),
        FREE_REPAIR,
        "computer.main_part_period",
    ),
    (
        "pc-mouse-month-18",
        "附件",
        UNIT,
        acc("mouse"),
        D(2026, 9, 1),
        PAID_REPAIR,
        "computer.period_expired",
    ),
    (
        "pc-repaired-twice",
        "第十三条?",
        replace(UNIT, repairs=(Repair(D(2025, 5, 1)), Repair(D(2025, 7, 1)))),
        PERF,
        D(2025, 9, 1),
        EXCHANGE,
        "computer.repaired_twice",
    ),
    (
        "pc-no-documents",
        "第十八条?",
        replace(UNIT, has_voucher=False, has_invoice=False),
        PERF,
        D(2025, 3, 3),
        PAID_REPAIR,
        "void.no_documents",
    ),
]


@pytest.mark.parametrize(
    ("clause", "unit", "fault", "service", "decision", "rule"),
    [c[1:] for c in PHONE_CASES],
    ids=[c[0] for c in PHONE_CASES],
)
def test_phone_cases(clause, unit, fault, service, decision, rule):
    result = evaluate(PHONE, unit, fault, service)
    assert (result.decision, result.rule) == (decision, rule)
    if rule.startswith("phone."):
        assert result.clause.startswith(PHONE_RULE) and "?" not in result.clause
        if rule in UNVERIFIED:
            assert result.clause == PHONE_RULE  # no unconfirmed article number is shown
        else:
            assert clause in result.clause


@pytest.mark.parametrize(
    ("clause", "unit", "fault", "service", "decision", "rule"),
    [c[1:] for c in COMPUTER_CASES],
    ids=[c[0] for c in COMPUTER_CASES],
)
def test_computer_cases(clause, unit, fault, service, decision, rule):
    result = evaluate(COMPUTER, unit, fault, service)
    assert (result.decision, result.rule) == (decision, rule)
    if rule.startswith("computer."):
        assert result.clause.startswith(COMPUTER_RULE) and "?" not in result.clause
        if rule in UNVERIFIED:
            assert result.clause == COMPUTER_RULE  # no unconfirmed article number is shown
        else:
            assert clause in result.clause


def test_accessory_decisions_say_they_concern_the_accessory():
    result = evaluate(PHONE, UNIT, acc("battery"), D(2025, 4, 1))
    assert result.evidence["scope"] == "accessory:battery"
    assert result.period_ends["accessory:battery"] == D(2025, 9, 1)


def test_a_promise_below_the_phone_rule_is_refused():
    assert below_floor(replace(PHONE, accessories={**PHONE.accessories, "battery": 3})) == [
        "accessories"
    ]
    assert below_floor(replace(COMPUTER, components={"hard_disk": 12})) == ["components"]
    assert below_floor(replace(PHONE, accessories={**PHONE.accessories, "battery": 12})) == []


def test_an_accessory_replaced_as_a_part_used_counts_too():
    unit = replace(
        UNIT,
        repairs=(
            Repair(D(2025, 4, 1), replaced_parts=("battery",)),
            Repair(D(2025, 5, 1), replaced_parts=("battery", "charger")),
        ),
    )
    result = evaluate(PHONE, unit, acc("battery"), D(2025, 6, 1))
    assert (result.decision, result.rule) == (RETURN, "phone.accessory_replaced_twice")
