"""The order's named verbs on the transition kernel, the dispatcher kept for callers holding a
verb as data, and the hooks that replaced upward imports."""

from __future__ import annotations

import pytest

from aftersales.calendars.actions import DAYS_CHANGED_HOOKS
from aftersales.core.errors import ApplicationError
from aftersales.core.models import TransitionEvent
from aftersales.dispatch.tasks import after_intake
from aftersales.feedback.models import ComplaintEvent
from aftersales.orders import actions
from aftersales.orders.choices import ORDER_MACHINE, TRANSITIONS, OrderVerb
from aftersales.orders.models import OrderEvent
from aftersales.orders.tasks import days_changed
from aftersales.parts.models import PartsRequestEvent, ReturnEvent
from aftersales.parts.selectors import replaced_components
from aftersales.warranty.selectors import REPLACED_COMPONENTS_HOOKS


def test_every_verb_has_its_named_action():
    assert set(actions.ORDER_VERBS) == set(TRANSITIONS) == set(ORDER_MACHINE.table)
    for verb in TRANSITIONS:
        named = getattr(actions, f"order_{verb}")
        assert actions.ORDER_VERBS[verb] is named
        assert named.__name__ == f"order_{verb}"
    assert {v.value for v in OrderVerb} == {*TRANSITIONS, "reopen"}


def test_every_history_is_on_the_kernels_event_base():
    for model in (OrderEvent, ComplaintEvent, PartsRequestEvent, ReturnEvent):
        assert issubclass(model, TransitionEvent)
        assert {f.name for f in TransitionEvent._meta.fields} - {"id"} <= {
            f.name for f in model._meta.fields
        }


def test_lower_apps_reach_higher_ones_through_hooks_registered_at_start():
    assert after_intake in actions.AFTER_INTAKE_HOOKS
    assert days_changed in DAYS_CHANGED_HOOKS
    assert replaced_components in REPLACED_COMPONENTS_HOOKS


def test_named_verb_and_dispatcher_write_the_same_history(new_order, people, data):
    by_name, by_verb = new_order(), new_order()
    actions.order_triage(actor=people["agent"], order=by_name)
    actions.order_dispatch(actor=people["dispatcher"], order=by_name, station=data["s1"])
    actions.order_transition(actor=people["agent"], order=by_verb, action="triage")
    actions.order_transition(
        actor=people["dispatcher"], order=by_verb, action="dispatch", station=data["s1"]
    )

    def history(order):
        return [
            (e.kind, e.action, e.from_status, e.to_status, e.actor_id, e.payload.get("station"))
            for e in order.events.order_by("at", "id")
        ]

    assert history(by_name) == history(by_verb)
    assert history(by_name)[-1][:4] == ("transition", "dispatch", "triaged", "dispatched")
    by_name.refresh_from_db()
    assert (by_name.status, by_name.version) == ("dispatched", 3)


def test_dispatcher_refuses_an_unknown_verb(new_order, people):
    with pytest.raises(ApplicationError) as err:
        actions.order_transition(actor=people["agent"], order=new_order(), action="triag")
    assert (err.value.code, err.value.status) == ("unknown_action", 404)


def test_a_verb_only_its_flow_takes_is_refused_to_others(new_order, people):
    order = new_order()
    with pytest.raises(ApplicationError) as err:
        actions.order_solve_remotely(actor=people["agent"], order=order)
    assert err.value.code == "use_knowledge"
