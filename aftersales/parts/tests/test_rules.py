"""Approval levels of parts requests by value and warranty status."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aftersales.parts.rules import approver_level, may_approve


@pytest.mark.parametrize(
    ("value", "warranty", "needed"),
    [
        ("0.01", False, "station_manager"),
        ("500.00", False, "station_manager"),
        ("500.01", False, "service_manager"),
        ("35.00", True, "service_manager"),
        ("5000.00", True, "service_manager"),
        ("5000.01", False, "department_head"),
        ("5000.01", True, "department_head"),
    ],
)
def test_the_approver_depends_on_value_and_warranty(value, warranty, needed):
    assert approver_level(Decimal(value), warranty) == needed


def test_a_higher_role_may_approve_what_a_lower_one_may():
    assert may_approve("department_head", "station_manager")
    assert may_approve("service_manager", "service_manager")
    assert not may_approve("station_manager", "service_manager")
    assert not may_approve("technician", "station_manager")
    assert not may_approve("admin", "station_manager")
