"""A schema-driven fuzz run (schemathesis) over the whole OpenAPI: no answer is a server error,
and every answer matches the schema documented for its status code. In-process (WSGI), with a
bearer token of a service manager, a handful of examples per operation (bounded for CI)."""

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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aftersales.accounts import actions as org

# CI runs a bounded, repeatable sample; AFTERSALES_FUZZ_EXAMPLES=200 digs deeper (random seed).
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
    _, key = org.api_token_create(actor=people["service_manager"], name="fuzz")
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


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not DEEP,
)
def test_no_server_error_and_responses_match_their_schema(
    case: Any, token: str, in_process: None
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
