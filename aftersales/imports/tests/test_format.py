"""The file's checks, pure: schema, references, times in order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.imports import format as fmt

CUSTOMER = {"kind": "customer", "id": "C1", "at": "2021-01-01T09:00", "name": "王", "phone": "1"}
ORDER = {"kind": "order", "id": "O1", "at": "2021-02-01T09:00", "customer": "C1"}


def _check(*rows, known=frozenset()):
    return fmt.check_rows([(i, r) for i, r in enumerate(rows, 1)], set(known))


def _codes(check):
    return [code for code, _params in check.problems]


@pytest.mark.parametrize(
    ("row", "codes"),
    [
        ({**ORDER, "id": "O2", "kind": "ship"}, ["unknown_kind"]),
        ({**ORDER, "id": "O2", "colour": "red"}, ["unknown_field"]),
        ({"kind": "order", "id": "O2", "at": "2021-02-01"}, ["missing"]),
        ({**ORDER, "id": "O2", "at": "yesterday"}, ["bad_time"]),
        ({**ORDER, "id": "O2", "customer": "C9"}, ["unknown_ref"]),
        ({"kind": "event", "order": "O1", "action": "fly", "at": "2021-02-02"}, ["bad_value"]),
        (
            {"kind": "event", "order": "O1", "action": "cancel", "at": "2021-02-02"},
            ["reason_needed"],
        ),
        ({"kind": "event", "order": "O1", "action": "dispatch", "at": "2021-02-02"}, ["missing"]),
        ({"kind": "event", "order": "O1", "action": "accept", "at": "2021-01-31"}, ["time_back"]),
        (
            {"kind": "reading", "unit": "U", "meter": "miles", "value": 3, "at": "2021-03-01"},
            ["bad_value", "unknown_ref"],
        ),
        ([1, 2], ["not_object"]),
    ],
)
def test_a_bad_row_is_refused_with_its_reason(row, codes):
    checks = _check(CUSTOMER, ORDER, row)
    assert checks[0].ok and checks[1].ok
    assert _codes(checks[2]) == codes
    assert all(fmt.message(c, p) for c, p in checks[2].problems)


def test_a_line_that_is_not_json_is_refused():
    rows = fmt.read_lines('{"kind": "customer"\n\n' + json.dumps(CUSTOMER))
    checks = fmt.check_rows(rows, set())
    assert _codes(checks[0]) == ["bad_json"] and checks[1].ok and checks[1].line == 3


def test_a_reference_to_a_refused_row_is_refused_and_ids_are_unique():
    checks = _check({**CUSTOMER, "phone": ""}, ORDER, {**ORDER, "customer": "C1"})
    assert _codes(checks[1]) == ["ref_refused"]
    assert _codes(checks[2]) == ["duplicate_id"]


def test_rows_already_imported_are_marked_and_may_be_named_by_later_files():
    checks = _check(
        CUSTOMER, {**ORDER, "customer": "C0"}, known={("customer", "C1"), ("customer", "C0")}
    )
    assert checks[0].already and checks[1].ok and not checks[1].already


def test_an_event_without_an_id_gets_one_from_its_order_action_and_time():
    checks = _check(
        CUSTOMER,
        ORDER,
        {"kind": "event", "order": "O1", "action": "triage", "at": "2021-02-01T10:00:00+08:00"},
    )
    assert checks[2].external_id == "O1/triage/2021-02-01T02:00:00+00:00"


def test_a_time_without_offset_is_beijing_time_and_a_date_is_nine_in_the_morning():
    assert fmt.parse_time("2021-02-01T10:00") == dt.datetime(2021, 2, 1, 2, tzinfo=dt.UTC)
    assert fmt.parse_time("2021-02-01") == dt.datetime(2021, 2, 1, 1, tzinfo=dt.UTC)
    assert fmt.parse_time("2021-02-01T10:00Z") == dt.datetime(2021, 2, 1, 10, tzinfo=dt.UTC)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20))
def test_events_are_accepted_exactly_when_their_times_never_go_back(minutes):
    start = dt.datetime(2021, 2, 1, 9, tzinfo=dt.UTC)
    events = [
        {
            "kind": "event",
            "id": f"E{i}",
            "order": "O1",
            "action": "triage",
            "at": (start + dt.timedelta(minutes=m)).isoformat(),
        }
        for i, m in enumerate(minutes)
    ]
    checks = _check(CUSTOMER, {**ORDER, "at": start.isoformat()}, *events)
    accepted = [c.ok for c in checks[2:]]
    high = 0
    for m, ok in zip(minutes, accepted, strict=True):
        assert ok == (m >= high)
        if ok:
            high = m
