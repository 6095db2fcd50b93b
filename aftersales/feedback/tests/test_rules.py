"""Follow-up and complaint rules (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.feedback import rules

T0 = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("service_type", "table", "hours"),
    [
        ("repair", None, 48),
        ("installation", None, 72),
        ("repair", {"repair": 24}, 24),
        ("x", {"default": 12}, 12),
    ],
)
def test_follow_up_due_by_service_type(service_type, table, hours):
    assert rules.follow_up_due(T0, service_type, table) == T0 + dt.timedelta(hours=hours)


def test_the_default_script_is_valid_and_broken_scripts_are_named():
    assert rules.check_script(rules.DEFAULT_QUESTIONS) == []
    assert rules.check_script([]) == ["the script needs at least one question"]
    problems = rules.check_script(
        [
            {"code": "fixed", "kind": "maybe", "en": "?"},
            {"code": "fixed", "kind": "yes_no", "en": "?"},
        ]
    )
    assert "question fixed appears twice" in problems
    assert "question fixed: kind is yes_no, score or text" in problems
    assert "the script must ask satisfaction" in problems


def test_answers_are_checked_against_the_script():
    answers, errors = rules.clean_answers(
        rules.DEFAULT_QUESTIONS,
        {
            "fixed": "yes",
            "on_time": "no",
            "polite": True,
            "charged_correctly": "1",
            "satisfaction": "4",
            "comment": " 好 ",
        },
    )
    assert errors == {}
    assert answers == {
        "fixed": True,
        "on_time": False,
        "polite": True,
        "charged_correctly": True,
        "satisfaction": 4,
        "comment": "好",
    }
    _answers, errors = rules.clean_answers(
        rules.DEFAULT_QUESTIONS, {"fixed": "maybe", "satisfaction": 9, "comment": "x" * 1001}
    )
    assert errors == {
        "fixed": "required",
        "on_time": "required",
        "polite": "required",
        "charged_correctly": "required",
        "satisfaction": "score",
        "comment": "too_long",
    }


@pytest.mark.parametrize(
    ("answers", "reopen", "complaint", "category"),
    [
        ({"fixed": True, "satisfaction": 5, "charged_correctly": True}, False, False, ""),
        ({"fixed": False, "satisfaction": 4, "charged_correctly": True}, True, False, ""),
        (
            {"fixed": True, "satisfaction": 2, "charged_correctly": True, "polite": True},
            False,
            True,
            "quality",
        ),
        (
            {"fixed": True, "satisfaction": 1, "charged_correctly": True, "polite": False},
            False,
            True,
            "attitude",
        ),
        ({"fixed": True, "satisfaction": 5, "charged_correctly": False}, False, True, "charges"),
        ({"fixed": False, "satisfaction": 1, "charged_correctly": False}, True, True, "charges"),
        ({"fixed": True, "satisfaction": 3}, False, False, ""),
    ],
)
def test_what_a_result_sets_off(answers, reopen, complaint, category):
    then = rules.consequences(answers, low_score=2)
    assert (then.reopen, then.complaint, then.complaint_category) == (reopen, complaint, category)


@pytest.mark.parametrize(
    ("elapsed", "level"),
    [(0, 0), (479, 0), (480, 1), (719, 1), (720, 2), (959, 2), (960, 3), (5000, 3)],
)
def test_escalation_levels_by_share_of_the_deadline(elapsed, level):
    assert rules.escalation_level(elapsed, 480) == level


@given(st.floats(0, 10_000), st.floats(0, 10_000), st.integers(1, 5000))
def test_escalation_never_goes_down_as_time_passes(a, b, goal):
    low, high = sorted((a, b))
    assert rules.escalation_level(low, goal) <= rules.escalation_level(high, goal) <= 3


def test_repeat_complaints_within_the_window():
    assert rules.is_repeat([T0 - dt.timedelta(days=89)], T0) is True
    assert rules.is_repeat([T0 - dt.timedelta(days=91)], T0) is False
    assert rules.is_repeat([], T0) is False


def test_the_complaint_lifecycle_table():
    t = rules.COMPLAINT_TRANSITIONS
    assert t["investigate"][0] == {"received", "escalated"}
    assert t["close"] == (frozenset({"customer_feedback"}), "closed")
    assert "closed" not in t["escalate"][0] and "escalated" not in t["escalate"][0]
    reachable = {"received"}
    for _ in range(6):
        reachable |= {to for (starts, to) in t.values() if starts & reachable}
    assert reachable == rules.OPEN_COMPLAINT | {"closed"}
