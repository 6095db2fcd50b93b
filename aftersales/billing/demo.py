"""Demo data of settlement: fee rules, station grades, last month's statements (one sent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Station, User
from aftersales.billing import actions
from aftersales.core import clock

RULES: list[tuple[str, str, str, dict[str, str], dict[str, Any]]] = [
    ("labour", "工时费（标准）", "labour", {}, {"hours": "1.5", "rate": "40"}),
    ("labour-install", "安装工时费", "labour", {"service_type": "installation"}, {"amount": "120"}),
    (
        "labour-a",
        "A级网点维修工时费",
        "labour",
        {"service_type": "repair", "station_grade": "A"},
        {"amount": "85"},
    ),
    (
        "travel",
        "里程费",
        "travel",
        {},
        {"bands": [["10", "0"], ["30", "20"], ["50", "40"]], "per_km": "1.2"},
    ),
    ("remote", "偏远补贴", "remote", {}, {"amount": "30", "min_km": "40"}),
    ("urgent", "加急加价", "urgent", {}, {"percent": "20"}),
    ("night", "夜间加价", "night", {}, {"percent": "30"}),
    ("cap", "单笔封顶", "cap", {}, {"amount": "300"}),
]


def demo_settlement(company: Any) -> int:
    """Returns the number of statements generated."""
    finance = User.objects.filter(company=company, role=Role.FINANCE).order_by("id").first()
    if finance is None:
        return 0
    for code, name, kind, criteria, params in RULES:
        actions.fee_rule_create(
            actor=finance,
            code=code,
            name=name,
            kind=kind,
            valid_from=dt.date(2020, 1, 1),
            criteria=criteria,
            params=params,
        )
    stations = list(Station.objects.filter(company=company).order_by("id"))
    for i, station in enumerate(stations):
        actions.station_terms_set(
            actor=finance,
            station=station,
            grade="AB"[i % 2],
            payout_mode="credit" if i % 3 == 2 else "pay",
        )
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    made = actions.statements_generate(actor=finance, period=last_month)
    if made:
        actions.statement_send(actor=finance, statement_id=made[0].pk)
    return len(made)
