"""GB/T 27922 self-assessment: score, star levels, not applicable items, gap to next level."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aftersales.kpi import gbt27922 as g

TABLE = g.DEFAULT_TABLE


def test_default_table_has_three_indicators_and_100_points() -> None:
    assert {i["group"] for i in TABLE} == set(g.GROUPS)
    assert sum(i["points"] for i in TABLE) == 100
    assert len({i["code"] for i in TABLE}) == len(TABLE)


def test_all_yes_is_five_stars() -> None:
    got = g.evaluate(TABLE, {i["code"]: "yes" for i in TABLE})
    assert (got.score, got.level, got.next_level) == (D(100), "five_stars", "")


def test_partly_earns_half_and_na_leaves_the_item_out() -> None:
    answers = {i["code"]: "yes" for i in TABLE}
    answers["2.4"] = "partly"  # 10 points → 5
    answers["2.7"] = "na"  # 5 points out
    got = g.evaluate(TABLE, answers)
    assert (got.earned, got.applicable) == (D(90), D(95))
    assert got.score == D("94.74")
    assert got.level == "four_stars" and got.next_level == "five_stars"
    assert got.gap_score == D("0.26")
    assert got.gap_points == D("0.5")  # 95% of 95 = 90.25 → half a point more


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("100", "five_stars"),
        ("95", "five_stars"),
        ("94.99", "four_stars"),
        ("90", "four_stars"),
        ("80", "three_stars"),
        ("79.99", "compliant"),
        ("70", "compliant"),
        ("69.99", ""),
    ],
)
def test_levels(score: str, level: str) -> None:
    assert g.level_of(D(score)) == level


def test_unanswered_counts_as_no_and_gap_to_compliant() -> None:
    answers = {i["code"]: "yes" for i in TABLE if i["group"] == "system"}
    got = g.evaluate(TABLE, answers)
    assert got.score == D(40)
    assert got.level == "" and got.next_level == "compliant"
    assert got.gap_points == D(30)
    assert got.by_group["system"] == (D(40), D(40))


def test_everything_not_applicable_has_no_score() -> None:
    got = g.evaluate(TABLE, {i["code"]: "na" for i in TABLE})
    assert got.score is None and got.level == ""


@pytest.mark.parametrize(
    ("key", "value", "count", "answer"),
    [
        ("training_hours", D(45), None, "yes"),
        ("training_hours", D(25), None, "partly"),
        ("training_hours", D(5), None, "no"),
        ("follow_up_rate", None, None, ""),
        ("complaints", None, 3, "yes"),
        ("complaints", None, 0, ""),
    ],
)
def test_suggestions_from_the_systems_figures(key: str, value: D, count: int, answer: str) -> None:
    assert g.suggest(key, value, count) == answer
