"""Hypothesis stateful test: random sequences of actions by random people never leave an order
in an invalid state, and every accepted change is one event."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from aftersales.core.errors import ApplicationError
from aftersales.orders import actions
from aftersales.orders.choices import OPEN, PAUSED, TRANSITIONS, Status
from aftersales.orders.models import OrderEvent, OrderPause, ServiceOrder

ACTIONS = [*TRANSITIONS, "reopen"]
WHO = ["agent", "dispatcher", "tech", "tech_b", "station_manager", "service_manager", "finance"]


@pytest.mark.django_db
def test_random_action_sequences_keep_orders_valid(people, data, new_order):
    class OrderMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.orders = [new_order()]
            self.events = {self.orders[0].pk: 1}

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(
            index=st.integers(0, 5),
            action=st.sampled_from(ACTIONS),
            who=st.sampled_from(WHO),
            station=st.sampled_from(["s1", "s2"]),
            tech=st.sampled_from(["tech", "tech_b"]),
            reason=st.sampled_from(["", "客户要求"]),
        )
        def act(self, index: int, action: str, who: str, station: str, tech: str, reason: str):
            order = self.orders[index % len(self.orders)]
            before = ServiceOrder.objects.get(pk=order.pk)
            try:
                with transaction.atomic():
                    if action == "reopen":
                        new = actions.order_reopen(actor=people[who], order=order, reason=reason)
                        self.orders.append(new)
                        self.events[new.pk] = 1
                        self.events[order.pk] += 1
                        return
                    after = actions.order_transition(
                        actor=people[who],
                        order=order,
                        action=action,
                        reason=reason,
                        station=data[station],
                        technician=people[tech],
                    )
            except ApplicationError:
                assert ServiceOrder.objects.get(pk=order.pk).status == before.status
                return
            allowed_from, _to = TRANSITIONS[action]
            assert before.status in allowed_from
            assert after.version == before.version + 1
            self.events[order.pk] += 1

        @invariant()
        def orders_are_consistent(self) -> None:
            for order in ServiceOrder.objects.filter(pk__in=[o.pk for o in self.orders]):
                assert order.status in Status.values
                assert OrderEvent.objects.filter(order=order).count() == self.events[order.pk]
                open_pauses = OrderPause.objects.filter(order=order, ended_at__isnull=True).count()
                assert open_pauses == (1 if order.status in PAUSED else 0)
                if order.status in PAUSED:
                    assert order.status_before_pause and order.next_escalation_at is None
                if order.status in ("assigned", "accepted", "en_route", "on_site"):
                    assert order.technician_id is not None and order.station_id is not None
                    assert order.technician.station_id == order.station_id
                if order.status == "dispatched":
                    assert order.station_id is not None and order.technician_id is None
                if order.status in ("completed", "followed_up", "closed"):
                    assert order.completed_at and order.arrived_at and order.responded_at
                if order.status == "cancelled":
                    assert order.cancel_reason
                if order.status not in OPEN:
                    assert order.next_escalation_at is None or order.status not in OPEN

    OrderMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    OrderMachine.TestCase().runTest()
