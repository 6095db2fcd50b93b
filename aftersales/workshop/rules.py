"""Pure workshop rules (no ORM): what a job's step does to its order, who may pass the
quality check, pickup codes, unclaimed reminders, ageing on the board, queue numbers, the
turnaround promise and the storage fee."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# What each job verb does to the job's service order (docs/workshop.md):
#   bring_in  -> the order is in the workshop's hands (station, first response, arrival)
#   technician-> the bench technician becomes the order's technician
#   pause     -> the order waits for parts (service-level clock paused)
#   resume    -> the order's clock runs again
#   complete  -> the order is completed (resolution met); the follow-up comes as today
#   cancel    -> the order is cancelled (a mail-in unit that never came; a declined quote)
#   ""        -> no change to the order (an event on the job only)
ORDER_STEP = {
    "receive": "bring_in",
    "diagnose": "technician",
    "quote": "",
    "accept_quote": "",
    "confirm_warranty": "",
    "decline_quote": "cancel",
    "wait_parts": "pause",
    "parts_arrived": "resume",
    "start_repair": "",
    "finish_repair": "",
    "qc_pass": "complete",
    "qc_fail": "",
    "hand_over": "",
    "ship_back": "",
    "deliver": "",
    "cancel": "cancel",
}

PICKUP_CODE_DIGITS = 6


def new_pickup_code() -> str:
    """A random six-digit code for the customer's pickup."""
    return f"{secrets.randbelow(10**PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"


def code_digest(job_key: str, code: str, secret: str) -> str:
    """The stored form of a pickup code: keyed to the job, so a code only opens its own job
    and the database never holds the code itself."""
    message = f"{job_key}:{(code or '').strip()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(job_key: str, code: str, secret: str, digest: str) -> bool:
    if not digest or not (code or "").strip():
        return False
    return hmac.compare_digest(code_digest(job_key, code, secret), digest)


def qc_allowed(*, checker_id: int, repairer_ids: set[int], require_other: bool) -> bool:
    """The quality check is passed or failed by someone who did not repair the unit where the
    station requires it; anyone on the bench otherwise."""
    return not require_other or checker_id not in repairer_ids


def reminder_due(
    *,
    ready_at: dt.datetime,
    now: dt.datetime,
    last_reminder_at: dt.datetime | None,
    after_days: int,
    repeat_days: int,
) -> bool:
    """An unclaimed unit's customer is reminded `after_days` after it became ready, then every
    `repeat_days` (0: once). 0 `after_days` switches reminders off."""
    if after_days <= 0 or now < ready_at + dt.timedelta(days=after_days):
        return False
    if last_reminder_at is None:
        return True
    if repeat_days <= 0:
        return False
    return now >= last_reminder_at + dt.timedelta(days=repeat_days)


AGE_BUCKETS = ((1, "lt1"), (3, "1to3"), (7, "3to7"))


def age_bucket(since: dt.datetime, now: dt.datetime) -> str:
    """The board's ageing colour for a job in its step since `since`: lt1 / 1to3 / 3to7 /
    over7 (days)."""
    days = (now - since).total_seconds() / 86400
    for limit, name in AGE_BUCKETS:
        if days < limit:
            return name
    return "over7"


PURPOSE_PREFIX = {"drop_off": "A", "pickup": "B", "enquiry": "C"}


def ticket_label(purpose: str, number: int) -> str:
    """What the ticket and the hall display show: A007 (hand in), B012 (pickup), C003."""
    return f"{PURPOSE_PREFIX.get(purpose, 'C')}{number:03d}"


def loan_overdue(*, due_at: dt.datetime | None, now: dt.datetime, returned: bool) -> bool:
    return not returned and due_at is not None and now > due_at


# --- turnaround (周转时限) -----------------------------------------------------------------------


def working_day_minutes(intervals: tuple[tuple[dt.time, dt.time], ...]) -> int:
    """The working minutes of an ordinary working day (the calendar's intervals)."""
    total = 0
    for start, end in intervals:
        a = start.hour * 60 + start.minute
        b = end.hour * 60 + end.minute or 24 * 60
        total += max(0, b - a)
    return total or 24 * 60


def parts_pauses(
    moves: list[tuple[dt.datetime, str, str]], waiting: str = "waiting_parts"
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """The stretches a job waited for parts, from its status moves (at, from, to) in order:
    (start, end), end None while it still waits."""
    out: list[tuple[dt.datetime, dt.datetime | None]] = []
    start: dt.datetime | None = None
    for at, before, after in moves:
        if after == waiting and start is None:
            start = at
        elif before == waiting and start is not None:
            out.append((start, at))
            start = None
    if start is not None:
        out.append((start, None))
    return out


def turnaround_days(
    rules: Iterable[tuple[int | None, str, int]],
    *,
    station_id: int | None,
    service_type: str,
    default: int,
) -> int:
    """The promised working days for a job: of the rules (station or None for every station,
    service type or "" for every type, days) the most specific that applies — station and
    type, then station, then type — else the company's default."""
    best: tuple[int, int] | None = None
    for station, kind, days in rules:
        if station is not None and station != station_id:
            continue
        if kind and kind != service_type:
            continue
        rank = (2 if station is not None else 0) + (1 if kind else 0)
        if best is None or rank > best[0]:
            best = (rank, days)
    return default if best is None else best[1]


def turnaround_state(
    *, due: dt.datetime | None, ready_at: dt.datetime | None, now: dt.datetime, paused: bool
) -> str:
    """met / late (ready after the promise) / paused (waiting for parts) / overdue (the
    promise passed and the unit is not ready) / due (on track) / "" (no promise)."""
    if due is None:
        return ""
    if ready_at is not None:
        return "met" if ready_at <= due else "late"
    if paused:
        return "paused"
    return "overdue" if now > due else "due"


# --- storage fee (保管费) ----------------------------------------------------------------------


def storage_charge(
    *, notified_on: dt.date, today: dt.date, free_days: int, per_day: Decimal
) -> tuple[int, Decimal]:
    """The storage fee of a unit not collected: the days after the pickup notice's day beyond
    the free days, times the fee per day (yuan, 2 places). (days charged, fee)."""
    if per_day <= 0:
        return 0, Decimal("0.00")
    days = max(0, (today - notified_on).days - max(0, free_days))
    return days, (per_day * days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
