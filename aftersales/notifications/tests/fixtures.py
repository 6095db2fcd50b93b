"""A real HTTP endpoint on loopback standing in for the SMS gateway or a webhook receiver:
it records every request and can be told to fail the first n, and it drops a repeated
Idempotency-Key as real gateways do."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Gateway:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server interface
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                entry = {"body": body, "headers": dict(self.headers)}
                state.requests.append(entry)
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
                else:
                    state.delivered.setdefault(self.headers.get("Idempotency-Key", ""), entry)
            self.send_response(503 if failing else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.AFTERSALES_SMS_URL = state.url
    settings.AFTERSALES_WEBHOOK_URL = state.url
    settings.AFTERSALES_WEBHOOK_SECRET = "test-secret"
    yield state
    server.shutdown()
    server.server_close()
