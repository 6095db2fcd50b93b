"""A legacy system's history as the import reads it: years of orders with their steps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

SATISFIED = {
    "fixed": True,
    "on_time": True,
    "polite": True,
    "charged_correctly": True,
    "satisfaction": 5,
}


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute)).isoformat() + "+08:00"


def order_rows(n: int, day: dt.date, *, technician: str, customer: str, unit: str) -> list[dict]:
    o = f"WO-{n}"
    return [
        {
            "kind": "order",
            "id": o,
            "at": at(day, 9),
            "customer": customer,
            "unit": unit,
            "fault": "不制冷",
            "priority": "medium",
        },
        {
            "kind": "event",
            "order": o,
            "action": "dispatch",
            "at": at(day, 9, 30),
            "station": "sh-1",
        },
        {
            "kind": "event",
            "order": o,
            "action": "assign",
            "at": at(day, 10),
            "technician": technician,
        },
        {"kind": "event", "order": o, "action": "accept", "at": at(day, 10, 20)},
        {"kind": "event", "order": o, "action": "depart", "at": at(day, 13)},
        {"kind": "event", "order": o, "action": "check_in", "at": at(day, 14)},
        {
            "kind": "event",
            "order": o,
            "action": "diagnosis",
            "at": at(day, 14, 30),
            "diagnosis": "冷媒不足",
            "cause": "product_fault",
            "work_done": "补充冷媒",
        },
        {"kind": "event", "order": o, "action": "complete", "at": at(day, 15), "result": "fixed"},
        {
            "kind": "follow_up",
            "order": o,
            "at": at(day + dt.timedelta(days=1), 10),
            "answers": SATISFIED,
        },
        {"kind": "event", "order": o, "action": "close", "at": at(day + dt.timedelta(days=1), 11)},
    ]


def walk_in(
    order: str,
    job: str,
    day: dt.date,
    *,
    technician: str,
    checker: str = "",
    customer: str = "C-1",
    unit: str = "U-1",
) -> list[dict[str, Any]]:
    """A unit brought to the counter, quoted (fee item `L1`, ¥80), repaired, checked (by
    `checker`, else the technician), paid and picked up the same day: 11 rows."""

    def step(action: str, hour: int, minute: int = 0, **more: Any) -> dict[str, Any]:
        return {
            "kind": "workshop_step",
            "job": job,
            "action": action,
            "at": at(day, hour, minute),
            **more,
        }

    return [
        {
            "kind": "order",
            "id": order,
            "at": at(day, 9),
            "customer": customer,
            "unit": unit,
            "channel": "walk_in",
            "fault": "不开机",
        },
        {
            "kind": "workshop",
            "id": job,
            "at": at(day, 9, 5),
            "order": order,
            "station": "sh-1",
            "route": "counter",
            "condition": "外壳有划痕",
        },
        step("diagnose", 10, by=technician),
        step("diagnosis", 10, 30, diagnosis="电源板烧坏", cause="product_fault"),
        step("quote", 10, 40, items=[{"fee_item": "L1", "quantity": 1}], reason="保外维修"),
        step("accept_quote", 11),
        step("start_repair", 11, 10),
        step("finish_repair", 12),
        step("qc_pass", 12, 30, **({"by": checker} if checker else {})),
        step("payment", 16, amount="80.00", method="cash"),
        step("hand_over", 16, 1, picked_up_by="王五"),
    ]


def legacy_rows(*, technician: str, years: int = 3, per_year: int = 2) -> list[dict[str, Any]]:
    """One customer with one unit, repaired `per_year` times a year from 2021 on."""
    rows: list[dict[str, Any]] = [
        {
            "kind": "customer",
            "id": "C-1",
            "at": "2021-01-05T09:00:00+08:00",
            "name": "王五",
            "phone": "13700001111",
            "address": "上海市徐汇区漕溪北路1号",
        },
        {
            "kind": "unit",
            "id": "U-1",
            "at": "2021-01-05T09:10:00+08:00",
            "customer": "C-1",
            "model": "KFR-35GW",
            "serial": "KF2101000009",
            "purchase_date": "2021-01-01",
            "invoice_date": "2021-01-01",
            "voucher_no": "SB-2021-1",
        },
        {
            "kind": "reading",
            "id": "R-1",
            "at": "2021-01-05T09:20:00+08:00",
            "unit": "U-1",
            "meter": "hours",
            "value": 12,
        },
    ]
    n = 0
    for year in range(2021, 2021 + years):
        for k in range(per_year):
            n += 1
            day = dt.date(year, 3 + 4 * k, 10)
            rows += order_rows(n, day, technician=technician, customer="C-1", unit="U-1")
    rows += [
        {
            "kind": "complaint",
            "id": "CP-1",
            "at": at(dt.date(2022, 5, 2), 9),
            "customer": "C-1",
            "order": "WO-1",
            "category": "delay",
            "severity": "low",
            "description": "上门太慢",
        },
        {
            "kind": "complaint_step",
            "complaint": "CP-1",
            "action": "investigate",
            "at": at(dt.date(2022, 5, 2), 10),
        },
    ]
    return rows


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
