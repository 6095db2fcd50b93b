"""/api/v1/orders: intake with Idempotency-Key, reads, lists, edits and one endpoint per
transition. Each endpoint parses, calls one action, answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.api.types import Id, PageParams, known_filter, page_of
from aftersales.catalog.selectors import component_names
from aftersales.core.errors import check_version
from aftersales.core.selectors import get_visible, keyset_page
from aftersales.fieldwork.actions import visit_accept, visit_arrive, visit_depart
from aftersales.imports.selectors import object_ids
from aftersales.orders import actions
from aftersales.orders.choices import TRANSITIONS, Priority, ServiceType
from aftersales.orders.choices import Status as OrderStatus
from aftersales.orders.selectors import (
    QUEUES,
    open_orders_on_unit,
    order_filter_capped,
    order_queue,
    order_timeline,
    orders_visible_to,
)
from aftersales.warranty.explain import explain as explain_warranty

router = Router(tags=["orders"])


class OrderIn(Schema):
    customer_id: int
    unit_id: int | None = None
    channel: str = "api"
    service_type: str = "repair"
    priority: str = "medium"
    fault_description: str = ""
    fault_code_id: int | None = None
    contract_level: str = ""
    preferred_start: dt.datetime | None = None
    preferred_end: dt.datetime | None = None
    address_id: int | None = None
    allow_duplicate: bool = False


class DueOut(Schema):
    target: str
    due: dt.datetime | None
    state: str


# A plain pydantic model, not a ninja `Schema`: pydantic reads the order's attributes itself
# (from_attributes) instead of through ninja's per-attribute `DjangoGetter`, which was a fifth
# of the list's time (bench/read_path.py). No resolvers, related managers or files among the
# fields, so nothing of the getter is needed. (A comment, not a docstring: it would become the
# schema's description in the OpenAPI document.)
class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    status: str
    channel: str
    service_type: str
    priority: str
    customer_id: int
    unit_id: int | None
    address_id: int | None
    fault_description: str
    fault_code_id: int | None
    contract_level: str
    preferred_start: dt.datetime | None
    preferred_end: dt.datetime | None
    region_id: int | None
    station_id: int | None
    technician_id: int | None
    respond_due: dt.datetime | None
    arrive_due: dt.datetime | None
    resolve_due: dt.datetime | None
    due_provisional: bool
    breached: bool
    responded_at: dt.datetime | None
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancel_reason: str
    reopened_from_id: int | None
    warranty_decision: str
    warranty_detail: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class OrderDetailOut(OrderOut):
    due: list[DueOut]
    actions: list[str]
    # The 三包 decision in the caller's language: decision, reason, clause, policy, facts,
    # periods, options, warnings (warranty.explain).
    warranty_explanation: dict[str, Any]


class OrderPage(Schema):
    items: list[OrderOut]
    next_after: int | None
    refine: bool = Field(
        False,
        description="True when a one- or two-character name matched too many: only the first "
        "500 orders are listed; refine the search (more of the name, a phone, a serial).",
    )


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    kind: str
    action: str
    from_status: str
    to_status: str
    reason: str
    payload: dict[str, Any]


class OrderPatch(Schema):
    version: int
    priority: str | None = None
    service_type: str | None = None
    fault_description: str | None = None
    fault_code_id: int | None = None
    contract_level: str | None = None
    preferred_start: dt.datetime | None = None
    preferred_end: dt.datetime | None = None
    address_id: int | None = None


class TransitionIn(Schema):
    version: int | None = None
    reason: str = ""
    station_id: int | None = None
    technician_id: int | None = None


class ReopenIn(Schema):
    version: int | None = None
    reason: str


class WarrantyOverrideIn(Schema):
    version: int | None = None
    decision: str
    reason: str


class BulkIn(Schema):
    ids: list[int] = Field(..., max_length=500)
    operation: str
    value: Any


class BulkOut(Schema):
    done: list[int]
    failed: dict[int, str]


class OrderListParams(Schema):
    queue: str = "all"
    status: str = ""
    priority: str = ""
    service_type: str = ""
    station: Id | None = None
    technician: Id | None = None
    breach: bool = False
    q: str = ""
    updated_since: dt.datetime | None = None
    # The source system's id of an imported order (history import).
    external_id: str = ""
    after: Id | None = None
    limit: int = Field(25, ge=1, le=200)


# The order's attributes the schema reads. Ninja validates the response once; validating the
# order through `OrderOut` here first (and dumping it) did the work twice (bench/read_path.py).
_ORDER_FIELDS = tuple(OrderOut.model_fields)


def _detail(request: AuthedRequest, order: Any) -> dict[str, Any]:
    out = {name: getattr(order, name) for name in _ORDER_FIELDS}
    out["due"] = [
        {"target": t, "due": getattr(order, f"{t}_due"), "state": order.target_state(t)}
        for t in ("respond", "arrive", "resolve")
    ]
    out["actions"] = actions.available_actions(request.user, order)
    out["warranty_explanation"] = explain_warranty(
        order.warranty_decision,
        order.warranty_detail,
        component_names(order.unit_id, order.warranty_detail or {}),
    )
    return out


@router.post("/orders", response={201: OrderDetailOut, 200: OrderDetailOut, **ERRORS})
def order_create(request: AuthedRequest, payload: OrderIn) -> Any:
    """Register an order. Send `Idempotency-Key: <unique string>`: a retry with the same key
    and body returns the order already made (200) instead of making a second one."""
    data = payload.dict()
    for key in ("customer_id", "unit_id", "fault_code_id", "address_id"):
        data[key[:-3]] = data.pop(key)
    order, created = actions.order_create(
        actor=request.user,
        idempotency_key=request.headers.get("Idempotency-Key"),
        **data,
    )
    return Status(201 if created else 200, _detail(request, order))


@router.get("/orders", response={200: OrderPage, **ERRORS})
def order_list(request: AuthedRequest, params: Query[OrderListParams]) -> Any:
    """Queues: open, unassigned, overdue, due_soon, waiting_parts, waiting_customer, mine,
    to_follow_up, all. Newest first; pass `after` = the previous page's `next_after`.
    `updated_since` (ISO 8601; without an offset, Beijing time) keeps the orders changed at or
    after that moment: poll with the time of the previous poll to sync."""
    require(request.user, Perm.ORDER_VIEW)
    known_filter("queue", params.queue, QUEUES)
    known_filter("status", params.status, OrderStatus.values)
    known_filter("priority", params.priority, Priority.values)
    known_filter("service_type", params.service_type, ServiceType.values)
    queue = params.queue
    qs, refine = order_filter_capped(
        order_queue(request.user, queue), params.dict(), company_id=request.user.company_id
    )
    if params.updated_since is not None:
        since = params.updated_since
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        qs = qs.filter(updated_at__gte=since)
    if params.external_id:
        qs = qs.filter(pk__in=object_ids(request.user.company_id, "order", params.external_id))
    page = keyset_page(qs, after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after, "refine": refine}


@router.post("/orders/bulk", response={200: BulkOut, **ERRORS})
def order_bulk(request: AuthedRequest, payload: BulkIn) -> Any:
    """operation `dispatch` (value: station id) or `priority` (value: high/medium/low)."""
    require(request.user, Perm.ORDER_VIEW)
    return actions.orders_bulk(
        actor=request.user,
        order_ids=payload.ids,
        operation=payload.operation,
        value=payload.value,
    )


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **ERRORS})
def order_get(request: AuthedRequest, order_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return _detail(request, get_visible(orders_visible_to(request.user), order_id))


@router.patch("/orders/{order_id}", response={200: OrderDetailOut, **ERRORS})
def order_update(request: AuthedRequest, order_id: int, payload: OrderPatch) -> Any:
    order = get_visible(orders_visible_to(request.user), order_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for key in ("fault_code_id", "address_id"):
        if key in data:
            data[key[:-3]] = data.pop(key)
    updated = actions.order_update(actor=request.user, order=order, version=version, **data)
    return _detail(request, updated)


@router.get("/orders/{order_id}/events", response={200: list[EventOut], **ERRORS})
def order_events(request: AuthedRequest, order_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    order = get_visible(orders_visible_to(request.user), order_id)
    return list(order_timeline(order))


@router.get("/units/{unit_id}/open-orders", response={200: OrderPage, **ERRORS})
def unit_open_orders(request: AuthedRequest, unit_id: int, params: Query[PageParams]) -> Any:
    """Possible duplicates: the open orders on a unit, newest first."""
    require(request.user, Perm.ORDER_VIEW)
    return page_of(open_orders_on_unit(request.user, unit_id), params)


@router.post("/orders/{order_id}/reopen", response={201: OrderDetailOut, **ERRORS})
def order_reopen(request: AuthedRequest, order_id: int, payload: ReopenIn) -> Any:
    order = get_visible(orders_visible_to(request.user), order_id)
    new = actions.order_reopen(
        actor=request.user,
        order=order,
        reason=payload.reason,
        version=payload.version,
    )
    return Status(201, _detail(request, new))


@router.post("/orders/{order_id}/warranty-override", response={200: OrderDetailOut, **ERRORS})
def order_warranty_override(
    request: AuthedRequest, order_id: int, payload: WarrantyOverrideIn
) -> Any:
    """A service manager replaces the 三包 decision with a reason (recorded and audited)."""
    order = get_visible(orders_visible_to(request.user), order_id)
    changed = actions.order_warranty_override(
        actor=request.user,
        order=order,
        decision=payload.decision,
        reason=payload.reason,
        version=payload.version,
    )
    return _detail(request, changed)


class FulfilIn(Schema):
    outcome: str
    new_serial: str = ""
    reason: str = ""


class FulfilOut(Schema):
    outcome: str
    new_unit_id: int | None


@router.post("/orders/{order_id}/warranty-fulfil", response={200: FulfilOut, **ERRORS})
def order_warranty_fulfil(request: AuthedRequest, order_id: int, payload: FulfilIn) -> Any:
    """Carry out the exchange (a new unit record whose period starts today) or the return that
    the order's 三包 decision allows; 409 `not_entitled` otherwise."""
    order = get_visible(orders_visible_to(request.user), order_id)
    new_unit = actions.order_warranty_fulfil(
        actor=request.user,
        order=order,
        outcome=payload.outcome,
        new_serial=payload.new_serial,
        reason=payload.reason,
    )
    return {"outcome": payload.outcome, "new_unit_id": new_unit.pk if new_unit else None}


# The technician's steps that are more than a status change: accepting, setting off (the
# service record opens, the customer is told the ETA) and arriving (the check-in time and
# position). Their generic endpoints run the same field-work step as /field/{step}, which
# also takes the ETA and the position.
FIELD_STEPS = {"accept": visit_accept, "depart": visit_depart, "arrive": visit_arrive}


def _transition_endpoint(action: str) -> Callable[..., Any]:
    def endpoint(request: AuthedRequest, order_id: int, payload: TransitionIn) -> Any:
        order = get_visible(orders_visible_to(request.user), order_id)
        if action in FIELD_STEPS:
            check_version(
                order,
                payload.version,
                _("Someone else changed this order; reload it and try again."),
            )
            step = FIELD_STEPS[action]
            done = step(actor=request.user, order=order)
            return _detail(request, done)
        changed = actions.order_transition(
            actor=request.user,
            order=order,
            action=action,
            reason=payload.reason,
            version=payload.version,
            station=payload.station_id,
            technician=payload.technician_id,
        )
        return _detail(request, changed)

    endpoint.__name__ = f"order_{action}"
    endpoint.__doc__ = f"Transition `{action}`; refused with 409 `illegal_transition` otherwise."
    if action in FIELD_STEPS:
        endpoint.__doc__ += (
            f" Runs the field-work step `{action}` (as `POST /orders/{{order_id}}/field/{action}`,"
            " which also takes `eta_minutes` or the position)."
        )
    return endpoint


for _action in TRANSITIONS:
    router.post(
        f"/orders/{{order_id}}/{_action.replace('_', '-')}",
        response={200: OrderDetailOut, **ERRORS},
        operation_id=f"order_{_action}",
    )(_transition_endpoint(_action))
