"""Who may approve a parts request (三包配件申请), pure: by its value and whether the parts are
free to the customer under warranty. Limits in yuan."""

from __future__ import annotations

from decimal import Decimal

STATION_LIMIT = Decimal("500")  # a station manager approves paid refills up to this value
SERVICE_LIMIT = Decimal("5000")  # above this the department head approves

# Approver levels, lowest first (roles of the same names).
LEVELS = ("station_manager", "service_manager", "department_head")


def approver_level(value: Decimal, warranty: bool) -> str:
    """The lowest role that may approve: warranty parts always need the service manager (the
    company pays for them), and large requests the department head."""
    if value > SERVICE_LIMIT:
        return "department_head"
    if warranty or value > STATION_LIMIT:
        return "service_manager"
    return "station_manager"


def may_approve(role: str, needed: str) -> bool:
    if role not in LEVELS:
        return False
    return LEVELS.index(role) >= LEVELS.index(needed)
