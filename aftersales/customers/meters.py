"""Meter readings of installed units (km for vehicles, running hours for engines and machines):
the pure rules, no ORM.

A unit's readings of one kind form segments: a reading marked as a meter replacement starts a
new segment (the new meter's value). Within a segment readings never go down in time order.
The *total* is the distance or hours over the unit's life: each segment is offset by the last
value of the meter before it, so a projection sees one rising line.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Reading:
    on: dt.date
    value: Decimal
    replaced: bool = False  # this reading is the first of a new (replacement) meter
    seq: int = 0  # insertion order among readings on the same day


class MeterError(ValueError):
    """A reading that breaks the monotonic rule; `code` says which way."""

    def __init__(self, code: str, bound: Decimal) -> None:
        super().__init__(code)
        self.code = code
        self.bound = bound


def ordered(history: list[Reading]) -> list[Reading]:
    return sorted(history, key=lambda r: (r.on, r.seq))


def check_new(history: list[Reading], new: Reading) -> None:
    """Refuse a reading that would make the meter go backwards.

    A reading is placed after every reading of its day already recorded. It must be at least
    the reading before it and at most the reading after it within the same segment; a reading
    marked as a replacement starts a segment and is checked only against the readings after it
    (which must then belong to it). Raises MeterError("lower"/"higher", bound).
    """
    if new.value < 0:
        raise MeterError("negative", Decimal(0))
    rows = ordered(history)
    before = [r for r in rows if r.on <= new.on]
    after = [r for r in rows if r.on > new.on]
    if not new.replaced and before and new.value < before[-1].value:
        raise MeterError("lower", before[-1].value)
    # The first later reading in the same segment bounds it from above.
    if after and not after[0].replaced and new.value > after[0].value:
        raise MeterError("higher", after[0].value)


def totals(history: list[Reading]) -> list[tuple[dt.date, Decimal]]:
    """(date, lifetime total) per reading, replacements offset by the old meter's last value."""
    out: list[tuple[dt.date, Decimal]] = []
    offset = Decimal(0)
    last = Decimal(0)
    for r in ordered(history):
        if r.replaced:
            offset += last
        out.append((r.on, offset + r.value))
        last = r.value
    return out


def daily_rate(history: list[Reading], *, window_days: int = 365) -> Decimal | None:
    """Average use per day over the readings of the last `window_days` (at least two readings on
    different days); None when the history cannot tell."""
    points = totals(history)
    if len(points) < 2:
        return None
    end_day, end_total = points[-1]
    start = [p for p in points if (end_day - p[0]).days <= window_days]
    if len(start) < 2:
        start = points[-2:]
    first_day, first_total = start[0]
    days = (end_day - first_day).days
    if days <= 0:
        return None
    return max(Decimal(0), (end_total - first_total) / Decimal(days))


def total_on(history: list[Reading], day: dt.date) -> Decimal | None:
    """The projected lifetime total on `day` (the last reading plus the rate), None if unknown."""
    points = totals(history)
    if not points:
        return None
    last_day, last_total = points[-1]
    if day <= last_day:
        known = [t for d, t in points if d <= day]
        return known[-1] if known else None
    rate = daily_rate(history)
    if rate is None:
        return last_total
    return last_total + rate * (day - last_day).days


def day_reaching(history: list[Reading], total: Decimal) -> dt.date | None:
    """The day the lifetime total reaches `total` at the current rate: the reading's day if it
    already has; None when there is no rate to project with."""
    points = totals(history)
    for d, t in points:
        if t >= total:
            return d
    rate = daily_rate(history)
    if not points or not rate:
        return None
    last_day, last_total = points[-1]
    return last_day + dt.timedelta(days=math.ceil((total - last_total) / rate))
