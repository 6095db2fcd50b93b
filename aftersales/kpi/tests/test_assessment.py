"""Assessment scoring on hand-made figures: bands, weights, missing figures, rules, caps,
adjustments, grades; the same input gives the same score."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.kpi import assessment as a
from aftersales.kpi.assessment import DEFAULT_SCHEME, Figure

GOOD = {
    "satisfaction": Figure(D(96), D(100), D("96.00")),
    "mttr_working": Figure(D(70), D(10), D("7.00")),
    "first_time_fix": Figure(D(18), D(20), D("90.00")),
    "timely_response": Figure(D(19), D(20), D("95.00")),
    "complaint_rate": Figure(D(0), D(20), D(0)),
}


def test_default_scheme_is_usable() -> None:
    assert a.check_scheme(DEFAULT_SCHEME) == []


def test_bad_scheme_is_reported() -> None:
    bad: dict[str, Any] = {"subject": "x", "items": [{"code": "a", "weight": "0", "kpi": "nope"}]}
    assert set(a.check_scheme(bad)) >= {"subject", "items.a.weight", "items.a.kpi", "grades"}


@pytest.mark.parametrize(
    ("kpi", "value", "points"),
    [
        ("first_time_fix", "95", "100"),
        ("first_time_fix", "90", "100"),
        ("first_time_fix", "89.99", "85"),
        ("first_time_fix", "10", "40"),
        ("mttr_working", "8", "100"),
        ("mttr_working", "8.01", "85"),
        ("mttr_working", "30", "40"),
    ],
)
def test_bands_follow_the_direction(kpi: str, value: str, points: str) -> None:
    item = next(i for i in DEFAULT_SCHEME["items"] if i.get("kpi") == kpi)
    assert a.band_points(kpi, D(value), item["bands"])[0] == D(points)


def test_full_marks_with_attitude_entered() -> None:
    got = a.score(DEFAULT_SCHEME, GOOD, {"attitude": 100})
    assert got.total == D(100)
    assert got.grade == "A"
    items = [ln for ln in got.lines if ln.kind == "item"]
    assert [ln.points for ln in items] == [D(25), D(20), D(20), D(20), D(15)]
    assert "96.00 (96/100) ≥ 95" in items[0].detail


def test_missing_figure_shares_its_weight() -> None:
    figures = {**GOOD, "satisfaction": None}
    got = a.score(DEFAULT_SCHEME, figures, {"attitude": 100})
    assert got.total == D(100)
    assert any(ln.kind == "note" and "满意度" in ln.name for ln in got.lines)


def test_complaints_deduct_per_complaint_with_a_cap() -> None:
    three = {**GOOD, "complaint_rate": Figure(D(3), D(20), D(15))}
    assert a.score(DEFAULT_SCHEME, three, {"attitude": 100}).total == D(94)
    many = {**GOOD, "complaint_rate": Figure(D(30), D(20), D(150))}
    assert a.score(DEFAULT_SCHEME, many, {"attitude": 100}).total == D(80)


def test_commendations_and_adjustments() -> None:
    got = a.score(
        DEFAULT_SCHEME,
        GOOD,
        {"attitude": 80, "praise": 9},
        adjustments=[(D(-1.5), "资料不全")],
    )
    # attitude 80 → 12 of 15; praise capped at +5; adjustment -1.5
    assert got.total == D("100") - D(3) + D(5) - D("1.5")
    assert [ln.kind for ln in got.lines][-1] == "adjustment"


@pytest.mark.parametrize(("total", "grade"), [("95", "A"), ("90", "A"), ("89.99", "B"), ("5", "D")])
def test_grades_by_bands(total: str, grade: str) -> None:
    assert a.grade_of(D(total), DEFAULT_SCHEME["grades"]) == grade


def test_run_state_table() -> None:
    from aftersales.kpi.choices import RUN_LIFECYCLE as m

    assert m.can("draft", "review") and not m.can("draft", "approve")
    assert m.can("reviewed", "approve") and m.can("reviewed", "send_back")
    assert not m.can("approved", "send_back")
    assert m.available("approved") == []
    assert "send_back" in m.needs_reason


@given(
    ftf=st.decimals(0, 100, places=2),
    sat=st.decimals(0, 100, places=2),
    complaints=st.integers(0, 50),
    attitude=st.integers(0, 100),
)
def test_same_input_same_score_and_lines_add_up(
    ftf: D, sat: D, complaints: int, attitude: int
) -> None:
    figures = {
        **GOOD,
        "first_time_fix": Figure(ftf, D(100), ftf),
        "satisfaction": Figure(sat, D(100), sat),
        "complaint_rate": Figure(D(complaints), D(100), D(complaints)),
    }
    one = a.score(DEFAULT_SCHEME, figures, {"attitude": attitude})
    two = a.score(DEFAULT_SCHEME, dict(figures), {"attitude": attitude})
    assert one == two
    assert one.total == sum(ln.points for ln in one.lines).quantize(D("0.01"))
    assert D(-20) <= one.total <= D(100)


@pytest.mark.parametrize(
    "bad", [{"items": [1]}, {"subject": "station", "items": "x"}, {"grades": [[1]]}]
)
def test_malformed_scheme_is_reported_not_raised(bad: Any) -> None:
    assert a.check_scheme(bad)
