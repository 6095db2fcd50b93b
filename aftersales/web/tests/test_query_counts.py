"""Every list page and every list endpoint makes as many queries at 3N rows as at N: a list
that queries once per row (an N+1) fails here, whichever flow added it. Every failing list is
named at once.

The pages are found from the URL configuration (every page without a parameter in its path),
the endpoints from the API's OpenAPI document (every GET without a path parameter); the rows
grown are the ones most lists show: customers and units, orders with their history,
complaints, follow-ups, parts requests, old-part returns and stock movements.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from aftersales.api.main import api as ninja_api
from aftersales.catalog.models import Part
from aftersales.customers import actions as customers
from aftersales.feedback import actions as feedback
from aftersales.orders import actions as orders
from aftersales.parts import actions as parts

N = 2
# Pages that are not lists (forms, actions, redirects, downloads, the portal's own login).
NOT_A_LIST = re.compile(
    r"(^|/)(new|bulk|move|change|save|take|call|intake|match|preview|suggest|optimise|login|"
    r"logout|verify|search|setlang|i18n|health|ready|metrics)(/|$)|^(portal|s|r|q|static|media|"
    r"admin|api)/"
)


def _pages(patterns: list[Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            out += _pages(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            path = prefix + route
            if "<" in path or "(" in path or "^" in path or "$" in path:
                continue
            if NOT_A_LIST.search(path):
                continue
            out.append("/" + path)
    return sorted(set(out))


def _endpoints() -> list[str]:
    schema = ninja_api.get_openapi_schema()
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "get" in operations and "{" not in path and not path.endswith(("/me", "/lookup"))
    )


PAGES = _pages(get_resolver().url_patterns)
ENDPOINTS = _endpoints()


@pytest.fixture
def grow(data: dict[str, Any], people: dict[str, Any], stock: dict[str, Any]) -> Any:
    """Add `n` of each kind of row (customers with a unit, orders with events, complaints,
    parts requests, old-part returns, stock movements)."""
    agent, manager = people["agent"], people["service_manager"]
    counter = {"n": 0}
    capacitor: Part = stock["capacitor"]
    parts.stock_receive(actor=manager, warehouse=stock["van"], part=capacitor, quantity=1000)

    def add(n: int) -> None:
        for _ in range(n):
            counter["n"] += 1
            k = counter["n"]
            customer = customers.customer_create(
                actor=agent,
                name=f"客户{k}",
                phone=f"139{k:08d}",
                station=data["s1"],
                address_line=f"上海市浦东新区{k}号",
            )
            unit = customers.unit_create(
                actor=agent, customer=customer, product_model=data["model"], serial=f"QC-{k:06d}"
            )
            order, _created = orders.order_create(
                actor=agent,
                customer=customer,
                unit=unit,
                fault_description="不制冷",
                allow_duplicate=True,
            )
            orders.order_triage(actor=agent, order=order)
            feedback.complaint_create(
                actor=manager,
                customer=customer,
                order=order,
                source="hotline",
                category="quality",
                severity="low",
                description="修了又坏",
            )
            parts.parts_request_submit(
                actor=manager, target=stock["station"], lines=[(capacitor, 1)], note=f"{k}"
            )
            parts.stock_adjust(
                actor=manager,
                warehouse=stock["van"],
                part=capacitor,
                quantity=-1,
                reason=f"盘点 {k}",
            )

    return add


def _counts(get: Any, paths: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for path in paths:
        get(path)  # warm what is read once (settings rows, calendars)
        with CaptureQueriesContext(connection) as queries:
            response = get(path)
        out[path] = (response.status_code, len(queries))
    return out


def test_list_queries_do_not_grow_with_rows(grow, people, login, api):
    """One database for every list (growing it is the slow part): the pages as the service
    manager sees them, the endpoints with the service manager's token."""
    page = login(people["service_manager"]).get
    endpoint = api(people["service_manager"]).client.get
    grow(N)
    at_n = {**_counts(page, PAGES), **_counts(endpoint, ENDPOINTS)}
    grow(2 * N)
    at_3n = {**_counts(page, PAGES), **_counts(endpoint, ENDPOINTS)}
    grown = {
        path: f"{at_n[path][1]} queries at {N} rows, {at_3n[path][1]} at {3 * N}"
        for path in at_n
        if at_3n[path][1] > at_n[path][1]
    }
    assert grown == {}
    assert {p: s for p, (s, _q) in at_3n.items()} == {p: s for p, (s, _q) in at_n.items()}
    # The walk reached lists, not only refusals.
    assert sum(1 for status, _q in at_n.values() if status == 200) >= 40


def test_the_walk_finds_the_main_lists():
    assert {"/orders/", "/customers/", "/units/", "/complaints/", "/stock/requests/"} <= set(PAGES)
    assert {"/api/v1/orders", "/api/v1/complaints", "/api/v1/stock/requests"} <= set(ENDPOINTS)
