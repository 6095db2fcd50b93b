"""`order_visible` (one loaded order, no query) agrees with `orders_visible_to` (the query every
list and lookup uses) for every kind of user and order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser

from aftersales.accounts.choices import Role
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import order_visible, orders_visible_to


def test_order_visible_agrees_with_the_scope_query(
    org_tree: dict[str, Any],
    people: dict[str, Any],
    make_user: Callable[..., Any],
    new_order: Callable[..., ServiceOrder],
    walk: Callable[..., ServiceOrder],
) -> None:
    fresh = new_order()
    at_s1 = walk(new_order(), "assign")  # station s1 (east), technician "tech"
    at_s2 = new_order()
    walk(at_s2, "triage")
    from aftersales.orders import actions

    at_s2 = actions.order_transition(
        actor=people["dispatcher"], order=at_s2, action="dispatch", station=org_tree["s2"]
    )
    users = [
        *people.values(),
        make_user(Role.DISPATCHER, region=org_tree["east"]),
        make_user(Role.SERVICE_MANAGER, region=org_tree["north"]),
        make_user(Role.DISPATCHER, station=org_tree["s2"]),  # a non-station role tied to one
        make_user(Role.ADMIN, company=org_tree["other"]),
        AnonymousUser(),
    ]
    seen = 0
    for user in users:
        for order in (fresh, at_s1, at_s2):
            row = ServiceOrder.objects.get(pk=order.pk)
            expected = orders_visible_to(user).filter(pk=row.pk).exists()
            assert order_visible(user, row) is expected, (user, row.station_id, row.region_id)
            seen += expected
    # Both answers occur: the agreement is not all-True or all-False.
    assert 0 < seen < len(users) * 3
    # The cases that matter: the technician sees their own order only; the other company none.
    assert order_visible(people["tech"], ServiceOrder.objects.get(pk=at_s1.pk))
    assert not order_visible(people["tech_b"], ServiceOrder.objects.get(pk=at_s1.pk))
    assert not order_visible(users[-2], ServiceOrder.objects.get(pk=fresh.pk))
