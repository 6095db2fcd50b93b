"""A queue outage after a commit is logged, never raised into the request."""

import logging

from aftersales.core.queue import trigger


def test_a_queue_error_is_logged_not_raised(caplog):
    def enqueue(order_id):
        raise ConnectionError("Connection closed by server.")

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    assert "not enqueued" in caplog.text and "42" in caplog.text


def test_a_working_queue_gets_the_call():
    calls = []
    trigger(calls.append, 7)
    assert calls == [7]
