"""A queue outage after a commit is logged, never raised into the request; the log says whether
the queue was unreachable or the enqueue failed otherwise."""

import logging
import sqlite3

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from aftersales.core.queue import task_name, trigger


def test_a_queue_error_is_logged_not_raised(caplog):
    def enqueue(order_id):
        raise ConnectionError("Connection closed by server.")

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    assert "enqueue(42,) not enqueued" in caplog.text


def test_a_huey_task_is_named_by_its_function():
    from aftersales.notifications.tasks import outbox_send_task

    assert task_name(outbox_send_task) == "outbox_send_task"


@pytest.mark.parametrize(
    "error",
    [
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        RedisTimeoutError("Timeout reading from socket"),
        ConnectionRefusedError(111, "Connection refused"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_an_unreachable_queue_is_logged_as_such(caplog, error):
    def enqueue(order_id):
        raise error

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage().startswith(f"queue unreachable ({type(error).__name__}: ")
    assert "not enqueued" in record.getMessage() and "42" in record.getMessage()


def test_an_unreachable_queue_behind_another_error_is_still_unreachable(caplog):
    def enqueue(order_id):
        try:
            raise RedisConnectionError("Connection reset by peer")
        except RedisConnectionError as exc:
            raise RuntimeError("enqueue failed") from exc

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    assert caplog.records[0].getMessage().startswith("queue unreachable (RuntimeError: ")


def test_any_other_failure_is_logged_as_what_it_was_with_its_traceback(caplog):
    def enqueue(order_id):
        raise TypeError("Object of type Decimal is not JSON serializable")

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    [record] = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "unreachable" not in message and "unavailable" not in message
    assert "raised TypeError: Object of type Decimal is not JSON serializable" in message
    assert "42" in message


def test_a_working_queue_gets_the_call(caplog):
    calls = []
    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(calls.append, 7)
    assert calls == [7] and not caplog.records


def test_a_task_s_own_database_error_is_not_an_unreachable_queue(caplog):
    """Where tasks run at once, the application's database failing inside the task (Django
    wraps the driver's error) is the task's failure, logged with its traceback."""
    from django.db import OperationalError as DjangoOperationalError

    def enqueue(order_id):
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as exc:
            raise DjangoOperationalError("database is locked") from exc

    with caplog.at_level(logging.WARNING, logger="aftersales.core.queue"):
        trigger(enqueue, 42)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "unreachable" not in record.getMessage()
