"""The on-site rules as tables of cases and properties (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.fieldwork import rules

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def _m(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("now", "appointment", "arrived", "calls", "expected"),
    [
        (_m(30), _m(0), _m(0), 1, None),  # 30 minutes past the appointment, one call
        (_m(29), _m(0), _m(0), 1, "too_early"),
        (_m(45), _m(0), _m(0), 0, "call_first"),  # waited, but never called
        (_m(40), _m(0), _m(20), 1, "too_early"),  # came late: the wait counts from arrival
        (_m(50), _m(0), _m(20), 1, None),
        (_m(30), _m(-120), _m(0), 2, None),  # the window began long before: from arrival
        (_m(10), _m(60), _m(0), 1, "too_early"),  # early arrival waits for the window too
        (_m(89), _m(60), _m(0), 1, "too_early"),
        (_m(90), _m(60), _m(0), 1, None),
        (_m(30), None, _m(0), 1, None),  # no appointment: from the check-in
        (_m(99), _m(0), None, 1, "not_arrived"),
    ],
)
def test_no_show_needs_the_wait_and_a_call(now, appointment, arrived, calls, expected):
    refusal = rules.no_show_refusal(
        now=now,
        appointment_start=appointment,
        arrived_at=arrived,
        absent_minutes=30,
        call_attempts=calls,
    )
    assert (refusal[0] if refusal else None) == expected


def test_too_early_names_the_earliest_moment():
    refusal = rules.no_show_refusal(
        now=_m(5), appointment_start=_m(0), arrived_at=_m(0), absent_minutes=30, call_attempts=1
    )
    assert refusal == ("too_early", _m(30))


@given(
    appointment=st.integers(-600, 600),
    arrived=st.integers(-600, 600),
    waited=st.integers(0, 2000),
    wait=st.integers(0, 120),
)
def test_no_show_is_never_allowed_before_the_wait_has_passed(appointment, arrived, waited, wait):
    start = max(_m(appointment), _m(arrived))
    now = _m(arrived) + dt.timedelta(minutes=waited)
    refusal = rules.no_show_refusal(
        now=now,
        appointment_start=_m(appointment),
        arrived_at=_m(arrived),
        absent_minutes=wait,
        call_attempts=1,
    )
    allowed = refusal is None
    assert allowed == (now >= start + dt.timedelta(minutes=wait))


@pytest.mark.parametrize(
    ("hours_before", "late"), [(8, False), (7.99, True), (24, False), (0.5, True), (-1, True)]
)
def test_notice_of_less_than_eight_hours_is_late(hours_before, late):
    appointment = T0 + dt.timedelta(hours=hours_before)
    assert rules.late_notice(T0, appointment, 8) is late


def test_no_appointment_is_never_late_notice():
    assert rules.late_notice(T0, None, 8) is False
    assert rules.notice_hours_given(T0, None) is None


@pytest.mark.parametrize(
    ("decision", "cause", "acknowledged", "reason", "expected"),
    [
        ("paid_repair", "product_fault", False, "", None),
        ("paid_repair", "not_product_fault", False, "", "acknowledgement_required"),
        ("paid_repair", "not_product_fault", True, "", None),
        ("free_repair", "product_fault", False, "", "free_repair_reason_required"),
        ("free_repair", "product_fault", False, "  ", "free_repair_reason_required"),
        ("free_repair", "product_fault", False, "客户要求加装支架", None),
        ("free_repair", "not_product_fault", False, "人为损坏", "acknowledgement_required"),
        ("free_repair", "not_product_fault", True, "人为损坏", None),
        ("exchange", "", False, "", "free_repair_reason_required"),
        ("return", "", False, "", "free_repair_reason_required"),
        ("undetermined", "", False, "", None),
    ],
)
def test_who_may_be_charged(decision, cause, acknowledged, reason, expected):
    refusal = rules.charge_refusal(
        decision=decision, cause=cause, acknowledged=acknowledged, reason=reason
    )
    assert refusal == expected


def test_quote_total_is_the_sum_of_rounded_lines():
    lines = [
        rules.Line("labour", "上门费", Decimal("1"), Decimal("50.00")),
        rules.Line("part", "电容", Decimal("2"), Decimal("35.005")),
        rules.Line("travel", "远程", Decimal("1.5"), Decimal("3.33")),
    ]
    assert [line.amount for line in lines] == [Decimal("50.00"), Decimal("70.01"), Decimal("5.00")]
    assert rules.quote_total(lines) == Decimal("125.01")
    assert rules.quote_total([]) == Decimal("0.00")


COMPLETE = {
    "condition_checked": True,
    "diagnosis": "电容老化",
    "cause": "product_fault",
    "result": "fixed",
    "result_note": "",
    "signed": True,
    "parts_issued": 0,
}


def _facts(**kw):
    return rules.FinishFacts(**{**COMPLETE, **kw})


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({}, []),
        ({"signed": False}, ["signature"]),
        ({"result": ""}, ["result"]),
        ({"result": "bogus"}, ["result"]),
        ({"condition_checked": False}, ["condition"]),
        ({"diagnosis": " "}, ["diagnosis"]),
        ({"cause": ""}, ["cause"]),
        ({"result": "replaced_part"}, ["parts"]),
        ({"result": "replaced_part", "parts_issued": 1}, []),
        ({"result": "not_fixed"}, ["result_note"]),
        ({"result": "not_fixed", "result_note": "客户拒绝付费维修"}, []),
        ({"result": "second_visit", "diagnosis": "", "cause": ""}, []),
        ({"result": "needs_parts", "diagnosis": ""}, ["diagnosis"]),
        ({"quote_status": "proposed", "quote_total": Decimal("80")}, ["quote_accepted"]),
        ({"quote_status": "accepted", "quote_total": Decimal("80")}, ["payment"]),
        ({"quote_status": "accepted", "quote_total": Decimal("0")}, []),
        ({"quote_status": "paid", "quote_total": Decimal("80")}, []),
        (
            {"signed": False, "result": "replaced_part", "condition_checked": False},
            ["condition", "parts", "signature"],
        ),
    ],
)
def test_what_finishing_a_visit_needs(change, missing):
    assert rules.finish_missing(_facts(**change)) == missing


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((31.2304, 121.4737), (31.2304, 121.4737), 0),
        ((31.2304, 121.4737), (31.2394, 121.4737), 1001),  # 0.009° of latitude ≈ 1 km
        ((39.9042, 116.4074), (31.2304, 121.4737), 1_067_000),  # Beijing – Shanghai
    ],
)
def test_distance(a, b, metres):
    assert rules.distance_m(a, b) == pytest.approx(metres, rel=0.01, abs=2)


@pytest.mark.parametrize(
    ("lat", "lng", "ok"),
    [
        (31.2, 121.4, True),
        (None, 121.4, False),
        (91, 0, False),
        (0, 181, False),
        (float("nan"), 0, False),
        (-90, -180, True),
    ],
)
def test_valid_position(lat, lng, ok):
    assert rules.valid_position(lat, lng) is ok
