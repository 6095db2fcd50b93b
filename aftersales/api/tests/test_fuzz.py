"""A schema-driven fuzz run (schemathesis) over the whole OpenAPI: no answer is a server error,
and every answer matches the schema documented for its status code. In-process (WSGI), with a
bearer token of a service manager, a handful of examples per operation (bounded for CI), path
ids drawn half from real rows (an order in each of three states, customers, units)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aftersales.accounts import actions as org

# CI runs a bounded, repeatable sample; AFTERSALES_FUZZ_EXAMPLES=200 digs deeper (random seed),
# AFTERSALES_FUZZ_ROLE=tech (a key of the `people` fixture) as another role.
DEEP = "AFTERSALES_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("AFTERSALES_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def in_process(settings: Any) -> Iterator[None]:
    """Like Django's test client: a request must not close the test's connection (it runs
    inside the test's transaction)."""
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(people: dict[str, Any]) -> str:
    role = os.environ.get("AFTERSALES_FUZZ_ROLE", "service_manager")  # e.g. tech, admin
    _, key = org.api_token_create(actor=people[role], name="fuzz")
    return key


def _load_schema() -> Any:
    from ninja.responses import NinjaJSONEncoder

    from aftersales.api.main import api
    from aftersales.wsgi import application

    document = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    return loaded


schema = _load_schema()

# Ids of rows the fixture made, by path parameter name: about half the generated paths name a
# real order, customer or unit, so the endpoints run past their lookups.
KNOWN: dict[str, list[int]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    if not path_parameters:
        return st.just(path_parameters)
    chosen = {}
    for name, value in path_parameters.items():
        ids = KNOWN.get(name) or KNOWN.get("*", [])
        if name.endswith("_id") and ids:
            chosen[name] = st.one_of(st.just(value), st.sampled_from(ids))
        else:
            chosen[name] = st.just(value)
    return st.fixed_dictionaries(chosen)


@pytest.fixture
def world(
    people: dict[str, Any], data: dict[str, Any], new_order: Any, walk: Any
) -> Iterator[None]:
    orders = [new_order(), walk(new_order(), "assign"), walk(new_order(), "arrive")]
    KNOWN.update(
        order_id=[o.pk for o in orders],
        customer_id=[data["c1"].pk, data["c2"].pk],
        unit_id=[data["u1"].pk, data["u2"].pk],
        **{"*": [1, 2, 3]},
    )
    yield
    KNOWN.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not DEEP,
)
def test_no_server_error_and_responses_match_their_schema(
    case: Any, token: str, in_process: None, world: None
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
