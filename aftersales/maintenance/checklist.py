"""On-site checklist rules (pure): a measurement against its limits, what a task still needs."""

from __future__ import annotations

from decimal import Decimal

CHECK = "check"
MEASURE = "measure"
REPLACE = "replace"


def out_of_limits(value: Decimal | None, low: Decimal | None, high: Decimal | None) -> bool:
    """A measured value below its lowest or above its highest limit (limits inclusive)."""
    if value is None:
        return False
    if low is not None and value < low:
        return True
    return high is not None and value > high


def missing(kind: str, done: bool, value: Decimal | None) -> str | None:
    """Why an answer is incomplete: a measurement needs its value; a check or a replacement
    needs to be ticked. None when complete."""
    if kind == MEASURE:
        return "value" if value is None else None
    return None if done else "done"
