"""The stock ledger's arithmetic, pure: a balance is the sum of the movements up to a moment,
and no movement may make any balance negative, at its own moment or at any later one (a
back-dated issue must leave every later balance standing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def headroom(on_hand: int, later: Sequence[int]) -> int:
    """How many units may leave at a moment t without any balance from t on going negative.

    `on_hand` is the balance now (after every movement); `later` are the quantities of the
    movements dated after t, in time order. The balance just before t is on_hand - sum(later);
    a withdrawal of n at t lowers that balance and every later one by n, so n may be at most
    the lowest of them."""
    running = on_hand - sum(later)
    low = running
    for quantity in later:
        running += quantity
        low = min(low, running)
    return low


def balances(quantities: Iterable[int]) -> list[int]:
    """The running balance after each movement."""
    out, total = [], 0
    for quantity in quantities:
        total += quantity
        out.append(total)
    return out


def never_negative(quantities: Iterable[int]) -> bool:
    return all(b >= 0 for b in balances(quantities))
