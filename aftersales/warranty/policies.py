"""From database rows to the engine's plain policies, and the statutory floor."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aftersales.warranty import engine


def to_engine(row: Any) -> engine.Policy:
    base = LAWS.get(row.kind, engine.GENERAL)
    fmt = row.serial_format or None
    return replace(
        base,
        name=row.name,
        kind=row.kind,
        whole_unit_months=row.whole_unit_months,
        components={str(k): int(v) for k, v in (row.components or {}).items()},
        accessories={str(k): int(v) for k, v in (row.accessories or {}).items()},
        windows_restart_on_exchange=row.windows_restart_on_exchange,
        car_use_rate=row.car_use_rate,
        wear_parts={str(k): (int(v[0]), int(v[1])) for k, v in (row.wear_parts or {}).items()},
        start_event=row.start_event,
        return_days=row.return_days,
        exchange_days=row.exchange_days,
        repair_count_threshold=row.repair_count_threshold,
        max_repair_days=row.max_repair_days,
        max_parts_wait_days=row.max_parts_wait_days,
        depreciation_per_day=row.depreciation_per_day,
        void_without_documents=row.void_without_documents,
        serial_format=engine.SerialFormat(
            year=tuple(fmt["year"]),
            month=tuple(fmt["month"]) if fmt.get("month") else None,
            week=tuple(fmt["week"]) if fmt.get("week") else None,
        )
        if fmt
        else None,
        shipping_allowance_days=row.shipping_allowance_days,
        civil_code_days=row.civil_code_days if row.kind != "car" else False,
        car_months=row.car_months,
        car_km=row.car_km,
        car_repair_months=row.car_repair_months,
        car_repair_km=row.car_repair_km,
        car_loaner_after_days=row.car_loaner_after_days,
        car_max_repair_days=row.car_max_repair_days,
        car_max_same_fault_repairs=row.car_max_same_fault_repairs,
    )


# The statutory floor of each kind of rule.
LAWS = {
    "general": engine.GENERAL,
    "car": engine.CAR,
    "phone": engine.PHONE,
    "computer": engine.COMPUTER,
}


def below_floor(policy: engine.Policy) -> list[str]:
    """The fields in which a promise gives the customer less than the law."""
    law = LAWS.get(policy.kind, engine.GENERAL)
    worse = []
    if any(policy.components.get(code, 0) < months for code, months in law.components.items()):
        worse.append("components")
    if any(policy.accessories.get(code, 0) < months for code, months in law.accessories.items()):
        worse.append("accessories")
    if policy.whole_unit_months < law.whole_unit_months:
        worse.append("whole_unit_months")
    if policy.return_days < law.return_days:
        worse.append("return_days")
    if policy.exchange_days < law.exchange_days:
        worse.append("exchange_days")
    if policy.repair_count_threshold > law.repair_count_threshold:
        worse.append("repair_count_threshold")
    if policy.max_repair_days > law.max_repair_days:
        worse.append("max_repair_days")
    if policy.max_parts_wait_days > law.max_parts_wait_days:
        worse.append("max_parts_wait_days")
    if policy.kind == "car":
        for name in ("car_months", "car_km", "car_repair_months", "car_repair_km"):
            if getattr(policy, name) < getattr(law, name):
                worse.append(name)
        for name in ("car_loaner_after_days", "car_max_repair_days", "car_max_same_fault_repairs"):
            if getattr(policy, name) > getattr(law, name):
                worse.append(name)
        if policy.car_use_rate > engine.CAR_USE_RATE_MAX or policy.car_use_rate < 0:
            worse.append("car_use_rate")
    return worse
