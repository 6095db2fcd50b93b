"""Triggering background work after a commit, without letting the queue fail the request.

The database row is the truth; the queue only says "look now". When the queue (Redis) is
restarting, a trigger is logged and dropped, and the periodic sweep of that kind of work (the
outbox sweep, the follow-up sweep, ...) picks the row up within minutes. A request whose data
is committed therefore never answers 500 because the queue was away for a moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def trigger(task: Callable[..., Any], *args: Any) -> None:
    try:
        task(*args)
    except Exception:  # a queue outage must not undo or fail committed work
        log.warning(
            "queue unavailable: %s%r not enqueued; its sweep will pick it up",
            getattr(task, "name", task),
            args,
            exc_info=True,
        )
