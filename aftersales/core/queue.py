"""Triggering background work after a commit, without letting the queue fail the request.

The database row is the truth; the queue only says "look now". When the queue (Redis) is
restarting, a trigger is logged and dropped, and the periodic sweep of that kind of work (the
outbox sweep, the follow-up sweep, ...) picks the row up within minutes. A request whose data
is committed therefore never answers 500 because the queue was away for a moment.

The log says what happened: the queue could not be reached (a warning: expected while Redis or
the queue's SQLite file is away), or enqueueing raised something else — a bug, a task that
cannot be serialised, or, where tasks run at once (tests, `immediate`), the task itself failing
(an error with its traceback).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError as DjangoDatabaseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)


# What the queue's storage raises when it cannot be reached: the network (refused, reset, timed
# out), Redis's own connection errors (`BusyLoadingError` while it restarts is one), the SQLite
# queue file locked or unreadable.
UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    sqlite3.OperationalError,
    RedisConnectionError,
    RedisTimeoutError,
)


def queue_unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from) says the queue could not be reached.
    An error of the application's database (Django wraps it; the queue's storage does not use
    Django) is not: where tasks run at once, a task's own `database is locked` is a failure of
    that task, not of the queue."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DjangoDatabaseError):
            return False
        if isinstance(current, UNREACHABLE):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def task_name(task: Any) -> str:
    """The task's name for the log: a Huey task's function name (its `name` is usually unset),
    else the callable's own name."""
    for found in (
        getattr(task, "name", None),
        getattr(getattr(task, "task_class", None), "__name__", None),
        getattr(task, "__name__", None),
    ):
        if found:
            return str(found)
    return repr(task)


def trigger(task: Callable[..., Any], *args: Any) -> None:
    name = task_name(task)
    try:
        task(*args)
    except Exception as exc:  # neither may undo or fail committed work
        if queue_unreachable(exc):
            log.warning(
                "queue unreachable (%s: %s): %s%r not enqueued; its sweep will pick it up",
                type(exc).__name__,
                exc,
                name,
                args,
            )
        else:
            log.error(
                "enqueueing %s%r raised %s: %s; not retried now, its sweep will pick it up",
                name,
                args,
                type(exc).__name__,
                exc,
                exc_info=True,
            )
