"""/api/v1/stock: warehouses, levels (with low-stock alerts), the ledger, and one endpoint per
movement (receipt, issue, return, adjustment, scrap, transfer shipped / received) and
reservation. Each endpoint parses, calls one action or selector, answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.api.types import Id, PageParams, known_filter, page_of
from aftersales.core import clock
from aftersales.core.selectors import get_visible, keyset_page
from aftersales.parts import actions
from aftersales.parts.choices import MoveKind, RequestStatus, ReturnStatus
from aftersales.parts.selectors import (
    ledger,
    levels_visible_to,
    low_stock,
    requests_visible_to,
    returns_visible_to,
    warehouses_visible_to,
)

router = Router(tags=["stock"])


class WarehouseIn(Schema):
    kind: str
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    region_id: int | None = None
    station_id: int | None = None
    technician_id: int | None = None


class WarehouseOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    region_id: int | None
    station_id: int | None
    technician_id: int | None
    is_active: bool


class LevelOut(Schema):
    id: int
    warehouse_id: int
    part_id: int
    part_code: str = Field(..., alias="part.code")
    on_hand: int
    reserved: int
    available: int
    min_level: int
    max_level: int


class WarehousePage(Schema):
    items: list[WarehouseOut]
    next_after: int | None


class LevelPage(Schema):
    items: list[LevelOut]
    next_after: int | None


class LevelParams(PageParams):
    warehouse: Id | None = None
    part: Id | None = None
    low: bool = False


class LevelSetIn(Schema):
    warehouse_id: int
    part_id: int
    min_level: int = Field(..., ge=0, le=100_000)
    max_level: int = Field(..., ge=0, le=100_000)


class MoveOut(Schema):
    id: int
    warehouse_id: int
    part_id: int
    kind: str
    quantity: int
    at: dt.datetime
    recorded_at: dt.datetime
    actor_id: int | None
    order_id: int | None
    transfer_id: int | None
    serial: str
    old_serial: str
    reason: str


class MovePage(Schema):
    items: list[MoveOut]
    next_after: int | None


class LedgerParams(Schema):
    warehouse: Id | None = None
    part: Id | None = None
    kind: str = ""
    order: Id | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    after: Id | None = None
    limit: int = Field(50, ge=1, le=200)


class StockMoveIn(Schema):
    warehouse_id: int
    part_id: int
    quantity: int
    at: dt.datetime | None = None
    serial: str = Field("", max_length=64)
    reason: str = Field("", max_length=500)


class IssueIn(Schema):
    warehouse_id: int
    part_id: int
    quantity: int
    order_id: int
    at: dt.datetime | None = None
    serial: str = Field("", max_length=64)
    old_serial: str = Field("", max_length=64)
    reservation_id: int | None = None


class ReturnIn(Schema):
    warehouse_id: int
    part_id: int
    quantity: int
    order_id: int
    serial: str = Field("", max_length=64)
    reason: str = Field("", max_length=500)


class TransferIn(Schema):
    source_id: int
    target_id: int
    part_id: int
    quantity: int
    shipment: str = Field("", max_length=100)


class TransferOut(Schema):
    id: int
    source_id: int
    target_id: int
    part_id: int
    quantity: int
    status: str
    shipment: str
    shipped_at: dt.datetime
    received_at: dt.datetime | None


class ReserveIn(Schema):
    warehouse_id: int
    part_id: int
    quantity: int
    order_id: int


class ReservationOut(Schema):
    id: int
    warehouse_id: int
    part_id: int
    order_id: int
    quantity: int
    status: str
    created_at: dt.datetime


def _actor(request: AuthedRequest) -> Any:
    return request.user


@router.get("/stock/warehouses", response={200: WarehousePage, **ERRORS})
def warehouse_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    require(request.user, Perm.STOCK_VIEW)
    return page_of(warehouses_visible_to(request.user), params)


@router.post("/stock/warehouses", response={201: WarehouseOut, **ERRORS})
def warehouse_create(request: AuthedRequest, payload: WarehouseIn) -> Any:
    row = actions.warehouse_create(
        actor=_actor(request),
        kind=payload.kind,
        code=payload.code,
        name=payload.name,
        region=payload.region_id,
        station=payload.station_id,
        technician=payload.technician_id,
    )
    return Status(201, row)


@router.get("/stock/levels", response={200: LevelPage, **ERRORS})
def level_list(request: AuthedRequest, params: Query[LevelParams]) -> Any:
    """On hand, reserved and available per warehouse and part; `low=true`: at or below the
    minimum only."""
    require(request.user, Perm.STOCK_VIEW)
    qs = low_stock(request.user) if params.low else levels_visible_to(request.user)
    if params.warehouse:
        qs = qs.filter(warehouse_id=params.warehouse)
    if params.part:
        qs = qs.filter(part_id=params.part)
    return page_of(qs.select_related("part"), params)


@router.put("/stock/levels", response={200: LevelOut, **ERRORS})
def level_set(request: AuthedRequest, payload: LevelSetIn) -> Any:
    return actions.stock_level_set(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        min_level=payload.min_level,
        max_level=payload.max_level,
    )


@router.get("/stock/moves", response={200: MovePage, **ERRORS})
def move_list(request: AuthedRequest, params: Query[LedgerParams]) -> Any:
    """The ledger, most recently recorded first (`at` is when a movement happened, which may be
    earlier); pass `after` = the previous page's `next_after`."""
    require(request.user, Perm.STOCK_VIEW)
    known_filter("kind", params.kind, MoveKind.values)
    page = keyset_page(ledger(request.user, params.dict()), after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after}


@router.post("/stock/receipts", response={201: MoveOut, **ERRORS})
def receipt(request: AuthedRequest, payload: StockMoveIn) -> Any:
    move = actions.stock_receive(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        at=payload.at,
        serial=payload.serial,
        reason=payload.reason,
    )
    return Status(201, move)


@router.post("/stock/issues", response={201: MoveOut, **ERRORS})
def issue(request: AuthedRequest, payload: IssueIn) -> Any:
    """Parts used on an order. 409 `insufficient_stock` (with `available`) when the stock, at
    that moment or any later one, would go negative."""
    move = actions.stock_issue(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        order=payload.order_id,
        at=payload.at,
        serial=payload.serial,
        old_serial=payload.old_serial,
        reservation=payload.reservation_id,
    )
    return Status(201, move)


@router.post("/stock/returns", response={201: MoveOut, **ERRORS})
def order_return(request: AuthedRequest, payload: ReturnIn) -> Any:
    move = actions.stock_return(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        order=payload.order_id,
        serial=payload.serial,
        reason=payload.reason,
    )
    return Status(201, move)


@router.post("/stock/adjustments", response={201: MoveOut, **ERRORS})
def adjustment(request: AuthedRequest, payload: StockMoveIn) -> Any:
    """A stock-count correction; `quantity` is signed, `reason` required."""
    move = actions.stock_adjust(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        reason=payload.reason,
        at=payload.at,
    )
    return Status(201, move)


@router.post("/stock/scrap", response={201: MoveOut, **ERRORS})
def scrap(request: AuthedRequest, payload: StockMoveIn) -> Any:
    move = actions.stock_scrap(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return Status(201, move)


@router.post("/stock/transfers", response={201: TransferOut, **ERRORS})
def transfer_ship(request: AuthedRequest, payload: TransferIn) -> Any:
    row = actions.transfer_ship(
        actor=_actor(request),
        source=payload.source_id,
        target=payload.target_id,
        part=payload.part_id,
        quantity=payload.quantity,
        shipment=payload.shipment,
    )
    return Status(201, row)


@router.post("/stock/transfers/{transfer_id}/receive", response={200: TransferOut, **ERRORS})
def transfer_receive(request: AuthedRequest, transfer_id: int) -> Any:
    """Receive at the target; 409 `already_received` the second time."""
    return actions.transfer_receive(actor=_actor(request), transfer=transfer_id)


@router.post("/stock/reservations", response={201: ReservationOut, **ERRORS})
def reserve(request: AuthedRequest, payload: ReserveIn) -> Any:
    row = actions.stock_reserve(
        actor=_actor(request),
        warehouse=payload.warehouse_id,
        part=payload.part_id,
        quantity=payload.quantity,
        order=payload.order_id,
    )
    return Status(201, row)


@router.post(
    "/stock/reservations/{reservation_id}/release", response={200: ReservationOut, **ERRORS}
)
def release(request: AuthedRequest, reservation_id: int) -> Any:
    return actions.reservation_release(actor=_actor(request), reservation=reservation_id)


# --- parts requests --------------------------------------------------------------------------


class RequestLineIn(Schema):
    part_id: int
    quantity: int


class RequestIn(Schema):
    target_id: int
    lines: list[RequestLineIn] = Field(..., min_length=1, max_length=50)
    order_id: int | None = None
    note: str = Field("", max_length=500)


class RequestLineOut(Schema):
    id: int
    part_id: int
    quantity: int
    approved: int
    shipped: int
    received: int
    backordered: int


class RequestEventOut(Schema):
    at: dt.datetime
    actor_id: int | None
    action: str
    from_status: str
    to_status: str
    reason: str
    payload: dict[str, Any]


class RequestOut(Schema):
    id: int
    station_id: int
    target_id: int
    order_id: int | None
    warranty: bool
    value: str
    approver_level: str
    status: str
    note: str
    requested_by_id: int
    created_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str
    lines: list[RequestLineOut]
    events: list[RequestEventOut]


class RequestPage(Schema):
    items: list[RequestOut]
    next_after: int | None


class ApproveIn(Schema):
    source_id: int
    quantities: dict[int, int] | None = None  # line id -> approved units (default: all)
    reason: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class ShipIn(Schema):
    source_id: int


def _request_out(row: Any) -> dict[str, Any]:
    out = {
        f: getattr(row, f)
        for f in (
            "id",
            "station_id",
            "target_id",
            "order_id",
            "warranty",
            "approver_level",
            "status",
            "note",
            "requested_by_id",
            "created_at",
            "decided_by_id",
            "decided_at",
            "decision_reason",
        )
    }
    out["value"] = str(row.value)
    # Sorted here, not with order_by(): the list endpoint prefetched them (one query each).
    out["lines"] = sorted(row.lines.all(), key=lambda line: line.pk)
    out["events"] = sorted(row.events.all(), key=lambda event: (event.at, event.pk))
    return out


@router.get("/stock/requests", response={200: RequestPage, **ERRORS})
def request_list(
    request: AuthedRequest, status: str = "", after: Id | None = None, limit: int = 25
) -> Any:
    """The parts requests the user may see (a technician: their own), newest first."""
    require(request.user, Perm.STOCK_VIEW)
    known_filter("status", status, RequestStatus.values)
    qs = requests_visible_to(request.user).prefetch_related("lines", "events")
    if status:
        qs = qs.filter(status=status)
    page = keyset_page(qs, after=after, size=limit)
    return {"items": [_request_out(r) for r in page.items], "next_after": page.next_after}


@router.post("/stock/requests", response={201: RequestOut, **ERRORS})
def request_submit(request: AuthedRequest, payload: RequestIn) -> Any:
    row = actions.parts_request_submit(
        actor=_actor(request),
        target=payload.target_id,
        lines=[(line.part_id, line.quantity) for line in payload.lines],
        order=payload.order_id,
        note=payload.note,
    )
    return Status(201, _request_out(row))


@router.get("/stock/requests/{request_id}", response={200: RequestOut, **ERRORS})
def request_get(request: AuthedRequest, request_id: int) -> Any:
    require(request.user, Perm.STOCK_VIEW)
    return _request_out(get_visible(requests_visible_to(request.user), request_id))


@router.post("/stock/requests/{request_id}/approve", response={200: RequestOut, **ERRORS})
def request_approve(request: AuthedRequest, request_id: int, payload: ApproveIn) -> Any:
    """Approve and ship from `source_id` what it has; the rest on back-order. 403
    `approver_level` when the value or warranty status needs a higher approver; 409
    `request_decided` the second time."""
    row = actions.parts_request_approve(
        actor=_actor(request),
        request=request_id,
        source=payload.source_id,
        quantities=payload.quantities,
        reason=payload.reason,
    )
    return _request_out(row)


@router.post("/stock/requests/{request_id}/reject", response={200: RequestOut, **ERRORS})
def request_reject(request: AuthedRequest, request_id: int, payload: ReasonIn) -> Any:
    row = actions.parts_request_reject(
        actor=_actor(request), request=request_id, reason=payload.reason
    )
    return _request_out(row)


@router.post("/stock/requests/{request_id}/cancel", response={200: RequestOut, **ERRORS})
def request_cancel(request: AuthedRequest, request_id: int, payload: ReasonIn) -> Any:
    row = actions.parts_request_cancel(
        actor=_actor(request), request=request_id, reason=payload.reason
    )
    return _request_out(row)


@router.post("/stock/requests/{request_id}/ship", response={200: RequestOut, **ERRORS})
def request_ship(request: AuthedRequest, request_id: int, payload: ShipIn) -> Any:
    """Ship the back-order from `source_id`."""
    actions.parts_request_ship(actor=_actor(request), request=request_id, source=payload.source_id)
    return _request_out(get_visible(requests_visible_to(request.user), request_id))


# --- old-part returns ------------------------------------------------------------------------


class ReturnOut(Schema):
    id: int
    order_id: int
    part_id: int
    quantity: int
    old_serial: str
    station_id: int
    due: dt.date
    overdue: bool
    status: str
    shipment: str
    outcome: str
    chargeback: str | None  # amount, when charged


class ReturnPage(Schema):
    items: list[ReturnOut]
    next_after: int | None


class ReturnShipIn(Schema):
    shipment: str = Field("", max_length=100)


class InspectIn(Schema):
    outcome: str
    note: str = Field("", max_length=500)


def _return_out(row: Any) -> dict[str, Any]:
    today = clock.today()
    charge = getattr(row, "chargeback", None)  # none yet: the reverse lookup raises, caught
    return {
        **{
            f: getattr(row, f)
            for f in (
                "id",
                "order_id",
                "part_id",
                "quantity",
                "old_serial",
                "station_id",
                "due",
                "status",
                "shipment",
                "outcome",
            )
        },
        "overdue": row.overdue(today),
        "chargeback": str(charge.amount) if charge else None,
    }


@router.get("/stock/returns", response={200: ReturnPage, **ERRORS})
def return_list(request: AuthedRequest, params: Query[PageParams], status: str = "") -> Any:
    """Old parts to send back (each with its deadline; overdue ones are flagged)."""
    require(request.user, Perm.STOCK_VIEW)
    known_filter("status", status, ReturnStatus.values)
    qs = returns_visible_to(request.user).select_related("chargeback")
    if status:
        qs = qs.filter(status=status)
    return page_of(qs, params, _return_out)


@router.post("/stock/returns/{return_id}/ship", response={200: ReturnOut, **ERRORS})
def return_ship(request: AuthedRequest, return_id: int, payload: ReturnShipIn) -> Any:
    return _return_out(
        actions.return_ship(actor=_actor(request), obligation=return_id, shipment=payload.shipment)
    )


@router.post("/stock/returns/{return_id}/receive", response={200: ReturnOut, **ERRORS})
def return_receive(request: AuthedRequest, return_id: int) -> Any:
    return _return_out(actions.return_receive(actor=_actor(request), obligation=return_id))


@router.post("/stock/returns/{return_id}/inspect", response={200: ReturnOut, **ERRORS})
def return_inspect(request: AuthedRequest, return_id: int, payload: InspectIn) -> Any:
    """outcome: confirmed_fault (supplier claim), no_fault_found, wrong_part or misuse (both
    charged back to the station)."""
    row = actions.return_inspect(
        actor=_actor(request), obligation=return_id, outcome=payload.outcome, note=payload.note
    )
    return _return_out(returns_visible_to(request.user).get(pk=row.pk))


class PartsSettingsIO(Schema):
    return_days: int


@router.get("/stock/settings", response={200: PartsSettingsIO, **ERRORS})
def settings_get(request: AuthedRequest) -> Any:
    require(request.user, Perm.STOCK_VIEW)
    return actions.parts_settings(company_of(request.user))


@router.put("/stock/settings", response={200: PartsSettingsIO, **ERRORS})
def settings_put(request: AuthedRequest, payload: PartsSettingsIO) -> Any:
    """Days to send an old part back (service manager, administrator)."""
    return actions.parts_settings_update(actor=_actor(request), return_days=payload.return_days)
