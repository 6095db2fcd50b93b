"""Every allowed and every refused transition, against a table written independently of
`orders/choices.py`."""

from __future__ import annotations

import pytest

from aftersales.core.errors import Conflict
from aftersales.orders import actions
from aftersales.orders.choices import FIELD_ONLY, NEEDS_REASON, RECORDED_ONLY, Status
from aftersales.orders.models import OrderEvent, ServiceOrder

ALL = [s.value for s in Status]
BEFORE_SITE = ["triaged", "dispatched", "assigned", "accepted", "en_route", "on_site"]
OPEN = ["registered", "reopened", *BEFORE_SITE, "waiting_parts", "waiting_customer"]

# action -> (statuses it may start from, the status it must end in)
EXPECTED = {
    "triage": (["registered", "reopened"], "triaged"),
    "dispatch": (["registered", "reopened", "triaged"], "dispatched"),
    "redispatch": (["dispatched"], "dispatched"),
    "assign": (["dispatched"], "assigned"),
    "unassign": (["assigned", "accepted"], "dispatched"),
    "accept": (["assigned"], "accepted"),
    "decline": (["assigned", "accepted"], "dispatched"),
    "cannot_keep": (["assigned", "accepted", "en_route"], "dispatched"),
    "no_show": (["on_site"], "dispatched"),
    "revisit": (["on_site"], "accepted"),
    "depart": (["accepted"], "en_route"),
    "arrive": (["en_route"], "on_site"),
    "complete": (["on_site"], "completed"),
    "follow_up": (["completed"], "followed_up"),
    "close": (["followed_up"], "closed"),
    "wait_parts": (BEFORE_SITE, "waiting_parts"),
    "wait_customer": (BEFORE_SITE, "waiting_customer"),
    "resume": (["waiting_parts", "waiting_customer"], "on_site"),
    "cancel": (OPEN, "cancelled"),
}
ACTOR = {
    "triage": "agent",
    "dispatch": "dispatcher",
    "redispatch": "dispatcher",
    "assign": "dispatcher",
    "unassign": "dispatcher",
    "follow_up": "agent",
    "close": "agent",
    "cancel": "agent",
    "wait_parts": "tech",
    "wait_customer": "tech",
    "resume": "tech",
}
CASES = [(action, status) for action in EXPECTED for status in ALL]


def _put(order: ServiceOrder, status: str, people, data) -> ServiceOrder:
    """Test set-up only: place an order in `status` at station s1 with technician `tech`."""
    target = "s1"
    ServiceOrder.objects.filter(pk=order.pk).update(
        status=status,
        station=data[target],
        region=data[target].region,
        technician=people["tech"],
        status_before_pause="on_site" if status.startswith("waiting") else "",
    )
    return ServiceOrder.objects.get(pk=order.pk)


@pytest.mark.parametrize(("action", "status"), CASES)
def test_transition_table(action, status, people, data, new_order):
    order = _put(new_order(), status, people, data)
    allowed_from, expected_to = EXPECTED[action]
    extra = {}
    if action in ("dispatch", "redispatch"):
        extra["station"] = data["s2"]
    if action == "assign":
        ServiceOrder.objects.filter(pk=order.pk).update(station=data["s1"], technician=None)
        extra["technician"] = people["tech"]
    reason = "客户要求" if action in NEEDS_REASON else ""
    if action in RECORDED_ONLY:  # the table only; their rules are the field / follow-up tests'
        extra["recorded"] = True
    events_before = OrderEvent.objects.filter(order=order).count()
    call = lambda: actions.order_transition(  # noqa: E731
        actor=people[ACTOR.get(action, "tech")], order=order, action=action, reason=reason, **extra
    )
    if status in allowed_from:
        changed = call()
        assert changed.status == expected_to
        event = OrderEvent.objects.filter(order=order).latest("id")
        assert (event.action, event.from_status, event.to_status) == (action, status, expected_to)
        assert OrderEvent.objects.filter(order=order).count() == events_before + 1
    else:
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "illegal_transition"
        assert ServiceOrder.objects.get(pk=order.pk).status == status
        assert OrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.parametrize("status", ALL)
def test_reopen_only_from_completed_followed_up_or_closed(status, people, data, new_order):
    order = _put(new_order(), status, people, data)
    ServiceOrder.objects.filter(pk=order.pk).update(completed_at=order.created_at)
    if status in ("completed", "followed_up", "closed"):
        new = actions.order_reopen(actor=people["agent"], order=order, reason="又坏了")
        assert new.status == "reopened" and new.reopened_from_id == order.pk
    else:
        with pytest.raises(Conflict):
            actions.order_reopen(actor=people["agent"], order=order, reason="又坏了")


@pytest.mark.parametrize("action", sorted(FIELD_ONLY))
def test_field_transitions_are_refused_outside_the_field_work_actions(
    action, people, data, new_order
):
    status = sorted(EXPECTED[action][0])[0]  # a status the action may start from
    order = _put(new_order(), status, people, data)
    with pytest.raises(Conflict) as exc:
        actions.order_transition(actor=people["tech"], order=order, action=action, reason="x")
    assert exc.value.code == "use_field_work"
    assert ServiceOrder.objects.get(pk=order.pk).status == status


def test_follow_up_is_refused_outside_the_follow_up_actions(people, data, new_order):
    order = _put(new_order(), "completed", people, data)
    with pytest.raises(Conflict) as exc:
        actions.order_transition(actor=people["agent"], order=order, action="follow_up")
    assert exc.value.code == "use_follow_up"
