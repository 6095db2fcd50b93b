"""The on-site rules (上门服务, seed 004) as pure functions of plain data: no Django models.

- a visit may be recorded as a customer no-show only 30 minutes (configurable) past the
  appointment (or the check-in, when there was none) and after a call was tried (第十一条);
- a visit the technician cannot keep must be called off at least 8 hours ahead (第十条),
  otherwise it is a late notice that needs a reason and is flagged;
- a visit whose fault is not a product fault is chargeable only once the customer has
  acknowledged it (第十七条); on a free-repair order nothing is charged without a reason;
- a visit is finished only with what the record needs (condition check, diagnosis, cause,
  result, the customer's signature, the parts of a replaced-part result, charges settled).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from aftersales.dispatch.optimizer.travel import Point, haversine_m
from aftersales.warranty.engine import FREE_TO_CUSTOMER

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- arrival ---------------------------------------------------------------------------------


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points."""
    return haversine_m(Point(x=a[1], y=a[0]), Point(x=b[1], y=b[0]))


def valid_position(lat: float | None, lng: float | None) -> bool:
    return (
        lat is not None
        and lng is not None
        and math.isfinite(lat)
        and math.isfinite(lng)
        and -90 <= lat <= 90
        and -180 <= lng <= 180
    )


# --- customer absent, cannot keep ------------------------------------------------------------


def no_show_refusal(
    *,
    now: dt.datetime,
    appointment_start: dt.datetime | None,
    arrived_at: dt.datetime | None,
    absent_minutes: int,
    call_attempts: int,
) -> tuple[str, dt.datetime | None] | None:
    """None when a no-show may be recorded now; otherwise (code, the earliest moment or None).

    The technician must have checked in; the wait counts from the appointment's start, or from
    the check-in when there was no window or the technician came after it began."""
    if arrived_at is None:
        return ("not_arrived", None)
    start = max(arrived_at, appointment_start) if appointment_start else arrived_at
    earliest = start + dt.timedelta(minutes=absent_minutes)
    if now < earliest:
        return ("too_early", earliest)
    if call_attempts < 1:
        return ("call_first", None)
    return None


def notice_hours_given(now: dt.datetime, appointment_start: dt.datetime | None) -> float | None:
    """Hours between now and the appointment (None without one; negative once it began)."""
    if appointment_start is None:
        return None
    return (appointment_start - now).total_seconds() / 3600


def late_notice(now: dt.datetime, appointment_start: dt.datetime | None, notice_hours: int) -> bool:
    given = notice_hours_given(now, appointment_start)
    return given is not None and given < notice_hours


# --- charges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    kind: str  # labour / part / travel / other
    description: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)


def quote_total(lines: Iterable[Line]) -> Decimal:
    return money(sum((line.amount for line in lines), Decimal(0)))


def charge_refusal(*, decision: str, cause: str, acknowledged: bool, reason: str) -> str | None:
    """Why charging the customer is not allowed (a code), or None.

    - not a product fault: only with the customer's acknowledgement (004 第十七条);
    - a free repair (三包 free repair, exchange, return) charges nothing unless a reason is
      recorded (for instance a not-product-fault finding, or extra work the customer asked for).
    """
    if cause == "not_product_fault" and not acknowledged:
        return "acknowledgement_required"
    if decision in FREE_TO_CUSTOMER and not reason.strip():
        return "free_repair_reason_required"
    return None


# --- finishing the visit ---------------------------------------------------------------------

# Results that finish the order (the others send the order back for another visit).
FINISHING_RESULTS = frozenset({"fixed", "replaced_part", "not_fixed"})
RESULTS = frozenset({*FINISHING_RESULTS, "needs_parts", "second_visit"})


@dataclass(frozen=True)
class FinishFacts:
    condition_checked: bool
    diagnosis: str
    cause: str
    result: str
    result_note: str
    signed: bool
    parts_issued: int
    quote_status: str = ""  # "" (no quote) / proposed / accepted / paid / void
    quote_total: Decimal = Decimal(0)
    missing: list[str] = field(default_factory=list)


def finish_missing(f: FinishFacts) -> list[str]:
    """The items a visit still lacks before it can be finished, in the order the page shows
    them (empty: it can be finished)."""
    missing = []
    if not f.condition_checked:
        missing.append("condition")  # 004 第十三条: checked and signed before the work
    if f.result not in RESULTS:
        missing.append("result")
    if f.result in FINISHING_RESULTS or f.result == "needs_parts":
        if not f.diagnosis.strip():
            missing.append("diagnosis")
        if not f.cause:
            missing.append("cause")
    if f.result == "replaced_part" and f.parts_issued <= 0:
        missing.append("parts")
    if f.result == "not_fixed" and not f.result_note.strip():
        missing.append("result_note")
    if f.quote_status == "proposed":
        missing.append("quote_accepted")
    if f.quote_status == "accepted" and f.quote_total > 0:
        missing.append("payment")
    if not f.signed:
        missing.append("signature")
    return missing
