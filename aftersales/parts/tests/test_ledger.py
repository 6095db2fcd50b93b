"""The ledger's arithmetic: a withdrawal is allowed exactly when no balance goes negative."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aftersales.parts.ledger import balances, headroom, never_negative


def test_now_the_headroom_is_the_balance():
    assert headroom(5, []) == 5
    assert headroom(0, []) == 0


def test_a_back_dated_issue_cannot_take_what_a_later_issue_already_took():
    # Received 5 on Monday, issued 4 on Wednesday: on Tuesday only 1 may still leave.
    assert headroom(1, [-4]) == 1
    # Received 5 Monday, 3 more on Thursday, 6 issued on Friday: on Tuesday 2 may leave.
    assert headroom(2, [3, -6]) == 2
    # A later receipt does not help a moment before it.
    assert headroom(10, [10]) == 0


@given(
    history=st.lists(st.integers(-5, 8), max_size=30),
    at=st.integers(0, 30),
    take=st.integers(1, 10),
)
def test_headroom_is_exactly_what_keeps_every_balance_standing(history, at, take):
    # Keep only a valid history (accepted movements), as the ledger would.
    valid: list[int] = []
    for q in history:
        if never_negative([*valid, q]):
            valid.append(q)
    at = min(at, len(valid))
    on_hand = sum(valid)
    later = valid[at:]
    with_issue = [*valid[:at], -take, *later]
    assert (take <= headroom(on_hand, later)) == never_negative(with_issue)


def test_balances_run():
    assert balances([5, -2, 3]) == [5, 3, 6]
