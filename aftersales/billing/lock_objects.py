"""Row locks of settlement. A statement is locked before anything of its station's account;
across apps settlement comes after orders and stock (docs/architecture.md's global order)."""

from __future__ import annotations

import datetime as dt

from aftersales.billing.models import Statement


def lock_statement(pk: int) -> Statement | None:
    return Statement.objects.select_for_update().filter(pk=pk).first()


def lock_statement_of(station_id: int, period: dt.date) -> Statement | None:
    return (
        Statement.objects.select_for_update().filter(station_id=station_id, period=period).first()
    )
