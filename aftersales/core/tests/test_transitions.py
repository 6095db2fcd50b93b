"""The transition kernel's table and guard (pure: no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.errors import ApplicationError
from aftersales.core.transitions import BACK, Machine

STATUSES = {"draft": "Draft", "sent": "Sent", "paused": "Paused", "done": "Done"}
MACHINE = Machine(
    name="doc",
    statuses=STATUSES,
    table={
        "send": (frozenset({"draft"}), "sent"),
        "pause": (frozenset({"draft", "sent"}), "paused"),
        "resume": (frozenset({"paused"}), BACK),
        "finish": (frozenset({"sent"}), "done"),
    },
    needs_reason=frozenset({"pause"}),
    labels={"send": "Send"},
)


def test_target_follows_the_table():
    assert MACHINE.target("draft", "send") == "sent"
    assert MACHINE.target("sent", "finish") == "done"


def test_illegal_verb_for_the_status_is_a_conflict_naming_what_is_allowed():
    with pytest.raises(ApplicationError) as err:
        MACHINE.target("draft", "finish")
    assert err.value.code == "illegal_transition"
    assert err.value.status == 409
    assert err.value.details["allowed"] == ["send", "pause"]


def test_unknown_verb_is_not_found():
    with pytest.raises(ApplicationError) as err:
        MACHINE.target("draft", "sned")
    assert (err.value.code, err.value.status) == ("unknown_action", 404)


def test_back_returns_to_the_previous_status_and_needs_one():
    assert MACHINE.target("paused", "resume", previous="sent") == "sent"
    with pytest.raises(ApplicationError):
        MACHINE.target("paused", "resume")


def test_reason_required_only_where_the_table_says():
    with pytest.raises(ApplicationError) as err:
        MACHINE.check_reason("pause", "   ")
    assert (err.value.code, err.value.status) == ("reason_required", 422)
    assert MACHINE.check_reason("pause", " gone ") == "gone"
    assert MACHINE.check_reason("send", "") == ""


def test_a_table_naming_an_unknown_status_fails_at_definition():
    with pytest.raises(ValueError, match="unknown statuses"):
        Machine(name="bad", statuses=STATUSES, table={"x": (frozenset({"draft"}), "gone")})
    with pytest.raises(ValueError, match="needs_reason"):
        Machine(name="bad", statuses=STATUSES, table={}, needs_reason=frozenset({"x"}))


def test_labels_fall_back_to_the_key_only_when_missing():
    assert MACHINE.verb_label("send") == "Send"
    assert MACHINE.status_label("paused") == "Paused"


@given(st.sampled_from(sorted(STATUSES)), st.sampled_from(["send", "pause", "resume", "finish"]))
def test_can_and_target_agree(status, verb):
    if MACHINE.can(status, verb):
        assert MACHINE.target(status, verb, previous="draft") in STATUSES
        assert verb in MACHINE.available(status)
    else:
        with pytest.raises(ApplicationError):
            MACHINE.target(status, verb, previous="draft")
        assert verb not in MACHINE.available(status)
