"""Concurrency on PostgreSQL: row locks and the unique idempotency key hold under load."""

from __future__ import annotations

from collections import Counter

import pytest

from aftersales.orders import actions
from aftersales.orders.models import OrderEvent, ServiceOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_assigns_one_succeeds(people, data, new_order, api, race):
    order = new_order()
    actions.order_transition(
        actor=people["dispatcher"], order=order, action="dispatch", station=data["s1"]
    )
    clients = [api(people["dispatcher"]) for _ in range(20)]
    techs = [people["tech"], people["tech_b"]]

    def assign(i):
        r = clients[i].post(f"/orders/{order.pk}/assign", {"technician_id": techs[i % 2].pk})
        return r.status_code

    codes = Counter(race(20, assign))
    assert codes == {200: 1, 409: 19}
    assert OrderEvent.objects.filter(order=order, action="assign").count() == 1


def test_ten_concurrent_creates_with_one_key_make_one_order(people, data, api, race):
    clients = [api(people["agent"]) for _ in range(10)]
    body = {"customer_id": data["c1"].pk, "unit_id": data["u1"].pk, "fault_description": "x"}

    def create(i):
        r = clients[i].post("/orders", body, HTTP_IDEMPOTENCY_KEY="same-key")
        return r.status_code, r.json().get("id")

    results = race(10, create)
    assert ServiceOrder.objects.count() == 1
    only = ServiceOrder.objects.get().pk
    assert sorted(code for code, _ in results) == [200] * 9 + [201], results
    assert {oid for _, oid in results} == {only}
