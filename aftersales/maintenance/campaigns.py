"""Recall and service campaigns as plain data: which units a selection takes, and where each
unit stands (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DONE_STATUSES = frozenset({"completed", "followed_up", "closed"})


@dataclass(frozen=True)
class Selection:
    models: frozenset[int] = frozenset()
    serial_from: str = ""
    serial_to: str = ""
    sold_from: dt.date | None = None
    sold_to: dt.date | None = None
    serials: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (
            self.models
            or self.serial_from
            or self.serial_to
            or self.sold_from
            or self.sold_to
            or self.serials
        )


def selects(s: Selection, *, model: int, serial: str, sold: dt.date | None) -> bool:
    """A unit is in the campaign when it is in the serial list, or when it matches every
    criterion given (model, serial range inclusive, sale date range inclusive)."""
    if serial in s.serials:
        return True
    if s.empty or (
        s.serials and not (s.models or s.serial_from or s.serial_to or s.sold_from or s.sold_to)
    ):
        return False
    if s.models and model not in s.models:
        return False
    if s.serial_from and serial < s.serial_from:
        return False
    if s.serial_to and serial > s.serial_to:
        return False
    if s.sold_from and (sold is None or sold < s.sold_from):
        return False
    return not (s.sold_to and (sold is None or sold > s.sold_to))


def progress(*, has_order: bool, told: bool, unreachable: bool, status: str, booked: bool) -> str:
    """pending → reached (told) → booked → done; unreachable and cancelled aside."""
    if not has_order:
        return "pending"
    if status in DONE_STATUSES:
        return "done"
    if status == "cancelled":
        return "cancelled"
    if booked:
        return "booked"
    if unreachable:
        return "unreachable"
    return "reached" if told else "pending"
