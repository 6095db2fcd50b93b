"""Every stock write, by name: warehouses, levels, the movements of the ledger (receipt, issue
to an order, return from an order, adjustment, scrap), transfers shipped and received,
reservations, parts requests and old-part returns. Each movement is one immutable ledger row
and the level's on-hand changes with it in the same transaction, under the level's lock; no
balance, now or later, goes negative.

The writes live in one module per kind (`stock`, `transfers`, `reservations`, `requests`,
`returns`, on the shared core `movements`); this module re-exports them so callers keep
importing `aftersales.parts.actions`. `parts_settings` is a read (`parts.selectors`).
"""

from __future__ import annotations

from aftersales.parts.movements import BACKDATE_DAYS, CLOSED_ORDER, MAX_QUANTITY
from aftersales.parts.requests import (
    MAX_LINES,
    parts_request_approve,
    parts_request_cancel,
    parts_request_reject,
    parts_request_ship,
    parts_request_submit,
)
from aftersales.parts.reservations import reservation_release, stock_reserve
from aftersales.parts.returns import (
    parts_settings_update,
    return_inspect,
    return_receive,
    return_ship,
    returns_charge_overdue,
)
from aftersales.parts.selectors import parts_settings
from aftersales.parts.stock import (
    stock_adjust,
    stock_issue,
    stock_level_set,
    stock_receive,
    stock_return,
    stock_scrap,
    warehouse_create,
)
from aftersales.parts.transfers import transfer_receive, transfer_ship

__all__ = [
    "BACKDATE_DAYS",
    "CLOSED_ORDER",
    "MAX_LINES",
    "MAX_QUANTITY",
    "parts_request_approve",
    "parts_request_cancel",
    "parts_request_reject",
    "parts_request_ship",
    "parts_request_submit",
    "parts_settings",
    "parts_settings_update",
    "reservation_release",
    "return_inspect",
    "return_receive",
    "return_ship",
    "returns_charge_overdue",
    "stock_adjust",
    "stock_issue",
    "stock_level_set",
    "stock_receive",
    "stock_reserve",
    "stock_return",
    "stock_scrap",
    "transfer_receive",
    "transfer_ship",
    "warehouse_create",
]
