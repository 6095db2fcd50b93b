"""The workshop state machine as data: legal and illegal steps, the QC loop, reachability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.errors import ApplicationError
from aftersales.workshop import rules
from aftersales.workshop.choices import AT_WORKSHOP, DONE, MACHINE, JobStatus

J = JobStatus

HAPPY_PICKUP = [
    ("diagnose", J.DIAGNOSING),
    ("quote", J.AWAITING_APPROVAL),
    ("accept_quote", J.APPROVED),
    ("wait_parts", J.WAITING_PARTS),
    ("parts_arrived", J.IN_REPAIR),
    ("finish_repair", J.QUALITY_CHECK),
    ("qc_fail", J.IN_REPAIR),
    ("finish_repair", J.QUALITY_CHECK),
    ("qc_pass", J.READY),
    ("hand_over", J.HANDED_OVER),
]


def test_happy_path_with_quote_parts_and_qc_loop() -> None:
    status = J.RECEIVED
    for verb, expected in HAPPY_PICKUP:
        status = MACHINE.target(status, verb)
        assert status == expected


def test_warranty_path_and_ship_back() -> None:
    status = J.AWAITING_UNIT
    for verb in ("receive", "diagnose", "confirm_warranty", "start_repair", "finish_repair"):
        status = MACHINE.target(status, verb)
    status = MACHINE.target(MACHINE.target(status, "qc_pass"), "ship_back")
    assert MACHINE.target(status, "deliver") == J.DELIVERED


@pytest.mark.parametrize(
    ("status", "verb"),
    [
        (J.RECEIVED, "start_repair"),  # no repair before diagnosis and approval
        (J.DIAGNOSING, "start_repair"),
        (J.DIAGNOSING, "hand_over"),
        (J.AWAITING_APPROVAL, "start_repair"),
        (J.IN_REPAIR, "qc_pass"),  # no pass without the repair being done
        (J.QUALITY_CHECK, "hand_over"),
        (J.READY, "qc_fail"),
        (J.HANDED_OVER, "hand_over"),  # handed over once
        (J.DELIVERED, "ship_back"),
        (J.RECEIVED, "cancel"),  # a unit at the workshop is returned, not cancelled
        (J.WAITING_PARTS, "finish_repair"),
    ],
)
def test_illegal_steps_are_refused(status: str, verb: str) -> None:
    with pytest.raises(ApplicationError) as exc:
        MACHINE.target(status, verb)
    assert exc.value.code == "illegal_transition"


def test_unknown_verb() -> None:
    with pytest.raises(ApplicationError) as exc:
        MACHINE.target(J.RECEIVED, "teleport")
    assert exc.value.code == "unknown_action"


@pytest.mark.parametrize("verb", ["decline_quote", "wait_parts", "qc_fail", "cancel"])
def test_reason_required(verb: str) -> None:
    with pytest.raises(ApplicationError):
        MACHINE.check_reason(verb, "  ")


def test_final_statuses_have_no_way_out() -> None:
    for status in DONE:
        assert MACHINE.available(status) == []


def test_every_status_reachable_and_every_open_one_can_finish() -> None:
    def reach(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            s = todo.pop()
            for verb in MACHINE.available(s):
                t = MACHINE.target(s, verb)
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    assert reach(J.AWAITING_UNIT) == set(J.values)
    for status in AT_WORKSHOP:
        assert reach(status) & {J.HANDED_OVER, J.DELIVERED}


def test_every_verb_has_an_order_step_and_a_label() -> None:
    assert set(rules.ORDER_STEP) == set(MACHINE.table)
    assert all(verb in MACHINE.labels for verb in MACHINE.table)


@given(st.lists(st.sampled_from(sorted(MACHINE.table)), max_size=40))
def test_random_walks_stay_legal(verbs: list[str]) -> None:
    """Whatever is tried, only table moves happen; parts are only waited for after approval
    and a quality check only follows a repair."""
    status, previous = J.RECEIVED, None
    for verb in verbs:
        if not MACHINE.can(status, verb):
            with pytest.raises(ApplicationError):
                MACHINE.target(status, verb)
            continue
        previous, status = status, MACHINE.target(status, verb)
        if status == J.QUALITY_CHECK:
            assert previous == J.IN_REPAIR
        if status == J.WAITING_PARTS:
            assert previous in (J.APPROVED, J.IN_REPAIR)
        if status == J.IN_REPAIR:
            assert previous in (J.APPROVED, J.WAITING_PARTS, J.QUALITY_CHECK)
