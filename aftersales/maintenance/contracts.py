"""Service-contract coverage as plain data: what the customer pays (pure)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def covered(amount: Decimal, pct: int) -> Decimal:
    """The part of `amount` the contract pays (pct 0..100), rounded to the fen."""
    pct = max(0, min(100, int(pct)))
    return (amount * Decimal(pct) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def price_with_coverage(
    *, parts: Decimal, labour: Decimal, travel: Decimal, pct: tuple[int, int, int]
) -> dict[str, Decimal]:
    """Each line's price, the contract's share and the customer's; totals. The customer's
    share is the amount less the covered part, so the two always add up to the amount."""
    out: dict[str, Decimal] = {}
    for name, amount, share in (
        ("parts", parts, pct[0]),
        ("labour", labour, pct[1]),
        ("travel", travel, pct[2]),
    ):
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        paid_by_contract = covered(amount, share)
        out[f"{name}_amount"] = amount
        out[f"{name}_covered"] = paid_by_contract
        out[f"{name}_customer"] = amount - paid_by_contract
    out["total"] = out["parts_amount"] + out["labour_amount"] + out["travel_amount"]
    out["covered"] = out["parts_covered"] + out["labour_covered"] + out["travel_covered"]
    out["customer"] = out["total"] - out["covered"]
    return out
