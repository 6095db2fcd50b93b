"""Pure workshop rules: QC by another person, pickup codes, reminders, ageing, tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.workshop import rules

T0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("checker", "repairers", "required", "allowed"),
    [
        (1, {1}, True, False),
        (2, {1}, True, True),
        (1, {1, 2}, True, False),
        (1, {1}, False, True),
        (3, set(), True, True),
    ],
)
def test_qc_by_another_person(checker: int, repairers: set[int], required: bool, allowed: bool):
    assert (
        rules.qc_allowed(checker_id=checker, repairer_ids=repairers, require_other=required)
        is allowed
    )


def test_pickup_code_opens_only_its_own_job() -> None:
    code = rules.new_pickup_code()
    assert len(code) == 6 and code.isdigit()
    digest = rules.code_digest("job-1", code, "secret")
    assert rules.code_matches("job-1", code, "secret", digest)
    assert not rules.code_matches("job-2", code, "secret", digest)
    assert not rules.code_matches("job-1", "", "secret", digest)
    assert not rules.code_matches("job-1", code, "secret", "")


@given(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8))
def test_different_codes_do_not_match(a: str, b: str) -> None:
    if a.strip() != b.strip():
        digest = rules.code_digest("j", a, "s")
        assert not rules.code_matches("j", b, "s", digest)


@pytest.mark.parametrize(
    ("days_ready", "last_days_ago", "after", "repeat", "due"),
    [
        (6, None, 7, 7, False),
        (7, None, 7, 7, True),
        (10, 3, 7, 7, False),
        (14, 7, 7, 7, True),
        (30, 10, 7, 0, False),  # once only
        (30, None, 0, 7, False),  # switched off
    ],
)
def test_unclaimed_reminders(days_ready, last_days_ago, after, repeat, due) -> None:
    now = T0 + dt.timedelta(days=days_ready)
    last = now - dt.timedelta(days=last_days_ago) if last_days_ago is not None else None
    assert (
        rules.reminder_due(
            ready_at=T0, now=now, last_reminder_at=last, after_days=after, repeat_days=repeat
        )
        is due
    )


@pytest.mark.parametrize(
    ("hours", "bucket"), [(0, "lt1"), (23, "lt1"), (24, "1to3"), (80, "3to7"), (200, "over7")]
)
def test_age_buckets(hours: int, bucket: str) -> None:
    assert rules.age_bucket(T0, T0 + dt.timedelta(hours=hours)) == bucket


def test_ticket_labels() -> None:
    assert rules.ticket_label("drop_off", 7) == "A007"
    assert rules.ticket_label("pickup", 12) == "B012"
    assert rules.ticket_label("enquiry", 1234) == "C1234"


def test_loan_overdue() -> None:
    assert rules.loan_overdue(due_at=T0, now=T0 + dt.timedelta(hours=1), returned=False)
    assert not rules.loan_overdue(due_at=T0, now=T0 + dt.timedelta(hours=1), returned=True)
    assert not rules.loan_overdue(due_at=None, now=T0, returned=False)
