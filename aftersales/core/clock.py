"""The clock every action reads instead of `timezone.now()`.

Live requests and jobs see the real time. Replaying history (the history import) and rebuilding
derived data for a past moment (`aftersales backfill --as-of`) run the same actions under
`clock.at(moment)`: every action, default and event row then carries that moment, so the rules
(and the KPIs computed from the events) cannot tell a replayed step from a live one except by
the `source` the replay marks.

The override is a context variable, so it holds for one thread or task and never leaks into a
concurrent request. Code that must not act on the past (customer messages) asks `replaying()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_moment: ContextVar[dt.datetime | None] = ContextVar("aftersales_clock_moment", default=None)
_source: ContextVar[str] = ContextVar("aftersales_clock_source", default="")


def now() -> dt.datetime:
    """The current moment: the replayed one inside `at()`, else the real time (aware, UTC)."""
    moment = _moment.get()
    return moment if moment is not None else timezone.now()


def localtime() -> dt.datetime:
    """`now()` in the configured time zone (Asia/Shanghai by default)."""
    return timezone.localtime(now())


def today() -> dt.date:
    """The local date of `now()`."""
    return localtime().date()


def replaying() -> bool:
    """True inside `at()`: the moment is not the present, so nothing is sent to a person."""
    return _moment.get() is not None


def source() -> str:
    """The mark replayed writes carry (`import`, `backfill`), empty for live ones."""
    return _source.get()


@contextmanager
def at(moment: dt.datetime, *, source: str = "backfill") -> Iterator[None]:
    """Run the block as if it were `moment` (aware), marking what it writes with `source`."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at() needs an aware datetime")
    token_moment = _moment.set(moment)
    token_source = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token_source)
        _moment.reset(token_moment)
