"""Creating many orders at once (planned work: maintenance generation, campaigns).

`orders_create_bulk` is the batched twin of `orders.actions.order_create`: the same checks,
the same service-level plan, 三包 decision, numbering, `created` event and idempotency key
(scoped to the caller, with the request's fingerprint), but read and written per batch — the
customers, units, addresses and service-level rules are read once, the orders and their events
inserted in bulk, and the automatic assignment queued as one job for the batch. Each key makes
its order exactly once: keys already used return their order; when a concurrent writer takes
a key between the check and the insert, the batch falls back to `order_create` one by one,
which answers with the order that won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, Conflict
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.customers.models import Address
from aftersales.customers.selectors import customers_visible_to, units_visible_to
from aftersales.orders import sla
from aftersales.orders.actions import AFTER_BULK_INTAKE_HOOKS, CONTRACT_LEVEL_HOOKS, order_create
from aftersales.orders.choices import Channel, EventKind, Priority, ServiceType
from aftersales.orders.intake import Calendars, apply_plan, caller_key, fingerprint, iso, sla_rules
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.warranty.actions import decide_for_unit


@dataclass(frozen=True)
class OrderRequest:
    """One order to create; `key` is its idempotency key (as given to `order_create`).
    `contract_level` None asks the contract hooks, as `order_create` does for an empty one."""

    key: str
    customer: int
    unit: int | None
    service_type: str
    channel: str = "phone"
    priority: str = "medium"
    fault_description: str = ""
    contract_level: str | None = None
    preferred_start: dt.datetime | None = None
    preferred_end: dt.datetime | None = None


@dataclass
class BulkResult:
    """The orders by key (new and already made), which keys were new, and the refused ones
    with their error."""

    orders: dict[str, ServiceOrder] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    refused: dict[str, ApplicationError] = field(default_factory=dict)


def _fields(r: OrderRequest) -> dict[str, Any]:
    """The request as `order_create` takes it (and fingerprints it: the same key with the same
    fields finds the same order through either path)."""
    return {
        "customer": r.customer,
        "unit": r.unit,
        "channel": r.channel,
        "service_type": r.service_type,
        "priority": r.priority,
        "fault_description": r.fault_description,
        "contract_level": r.contract_level or "",
        "preferred_start": r.preferred_start,
        "preferred_end": r.preferred_end,
        "allow_duplicate": True,
    }


def _fingerprint_of(r: OrderRequest) -> str:
    data = _fields(r)
    data.update(fault_code=None, address=None)
    return fingerprint(data)


def orders_create_bulk(
    *, actor: User, requests: Sequence[OrderRequest], calendars: Calendars | None = None
) -> BulkResult:
    """Create the requested orders (open ones on the same unit are allowed: planned work is not
    a duplicate report). Runs in the caller's transaction (or its own). `calendars`: the
    actor's company's calendars read once by a caller that creates many batches (a generation
    run); otherwise read once for this batch. Either way the working calendar and the
    escalation ratios are read once, not per order (the due-time plan and the 三包 decision)."""
    require(actor, Perm.ORDER_CREATE)
    result = BulkResult()
    if not requests:
        return result
    company_id = company_of(actor)
    if calendars is None or calendars.company_id != company_id:
        calendars = Calendars(company_id)
    try:
        with transaction.atomic():
            _create_batch(actor, requests, result, calendars)
    except IntegrityError:
        # A concurrent writer used one of the keys first: one by one, each key answered by the
        # order that won.
        result = BulkResult()
        for r in requests:
            try:
                order, made = order_create(actor=actor, idempotency_key=r.key, **_fields(r))
            except ApplicationError as exc:
                result.refused[r.key] = exc
                continue
            result.orders[r.key] = order
            if made:
                result.created.add(r.key)
    return result


def _create_batch(
    actor: User, requests: Sequence[OrderRequest], result: BulkResult, calendars: Calendars
) -> None:
    company_id = company_of(actor)
    scoped = {r.key: caller_key(actor, r.key) for r in requests}
    fingerprints = {r.key: _fingerprint_of(r) for r in requests}
    existing = {
        o.idempotency_key: o
        for o in ServiceOrder.objects.filter(
            company_id=company_id, idempotency_key__in=list(scoped.values())
        )
    }
    customers = {
        c.pk: c for c in customers_visible_to(actor).filter(pk__in={r.customer for r in requests})
    }
    units = {
        u.pk: u
        for u in units_visible_to(actor)
        .select_related("product_model", "address")
        .filter(pk__in={r.unit for r in requests if r.unit})
    }
    defaults: dict[int, Address] = {}
    for a in Address.objects.filter(customer_id__in=list(customers), is_default=True).order_by(
        "-id"
    ):
        defaults[a.customer_id] = a
    rules = sla_rules(company_id)
    now = clock.now()
    fresh: list[tuple[OrderRequest, ServiceOrder, dict[str, Any]]] = []
    for r in requests:
        old = existing.get(scoped[r.key])
        if old is not None:
            if old.request_fingerprint != fingerprints[r.key]:
                result.refused[r.key] = Conflict(
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request."),
                )
            else:
                result.orders[r.key] = old
            continue
        refused = _check(r, customers, units)
        if refused is not None:
            result.refused[r.key] = refused
            continue
        cust = customers[r.customer]
        unit = units.get(r.unit) if r.unit else None
        contract_level = r.contract_level
        if contract_level is None:
            contract_level = ""
            if unit is not None:
                for hook in CONTRACT_LEVEL_HOOKS:
                    contract_level = hook(unit) or contract_level
        addr = (unit.address if unit is not None and unit.address_id else None) or defaults.get(
            cust.pk
        )
        region_id = (addr.region_id if addr and addr.region_id else None) or cust.region_id
        rule = sla.select_policy(
            rules,
            priority=r.priority,
            service_type=r.service_type,
            region_id=region_id,
            contract_level=contract_level,
        )
        order = ServiceOrder(
            company_id=company_id,
            channel=r.channel,
            service_type=r.service_type,
            priority=r.priority,
            customer=cust,
            unit=unit,
            address=addr,
            fault_description=r.fault_description.strip(),
            contract_level=contract_level,
            preferred_start=r.preferred_start,
            preferred_end=r.preferred_end,
            region_id=region_id,
            sla_policy_id=rule.id if rule else None,
            sla_goals={t: [g.minutes, g.clock] for t, g in (rule.goals if rule else {}).items()},
            idempotency_key=scoped[r.key],
            request_fingerprint=fingerprints[r.key],
            created_by=actor,
            created_at=now,
        )
        apply_plan(order, calendars)
        if unit is not None:
            order.warranty_decision, order.warranty_detail = decide_for_unit(
                unit, fault_code=None, at=now, calendar=calendars.working
            )
        payload = {
            "channel": r.channel,
            "priority": r.priority,
            "policy": rule.name if rule else None,
            "due": {t: iso(getattr(order, f"{t}_due")) for t in sla.TARGETS},
            "warranty": order.warranty_decision,
            "batch": True,
        }
        fresh.append((r, order, payload))
    if not fresh:
        return
    made = ServiceOrder.objects.bulk_create([o for _r, o, _p in fresh], batch_size=500)
    day = f"{timezone.localtime(now):%Y%m%d}"
    for order in made:
        order.number = f"{day}{order.pk:06d}"
    ServiceOrder.objects.bulk_update(made, ["number"], batch_size=500)
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=o,
                actor=actor,
                kind=EventKind.CREATED,
                to_status=o.status,
                payload=p,
                at=now,
            )
            for _r, o, p in fresh
        ],
        batch_size=500,
    )
    for r, o, _p in fresh:
        result.orders[r.key] = o
        result.created.add(r.key)
    ids = [o.pk for o in made]
    transaction.on_commit(lambda: _after_intake(ids))


def _check(
    r: OrderRequest, customers: dict[int, Any], units: dict[int, Any]
) -> ApplicationError | None:
    """`order_create`'s checks for the fields a batch request has (no fault code, no address:
    the unit's or the customer's default one)."""
    problems: list[tuple[str, Any]] = []
    cust = customers.get(r.customer)
    if cust is None:
        problems.append(("customer", _("Unknown customer.")))
    unit = units.get(r.unit) if r.unit else None
    if r.unit and unit is None:
        problems.append(("unit", _("Unknown unit.")))
    elif unit is not None and cust is not None and unit.customer_id != cust.pk:
        problems.append(("unit", _("The unit belongs to another customer.")))
    if r.channel not in Channel.values:
        problems.append(("channel", _("Unknown channel.")))
    if r.service_type not in ServiceType.values:
        problems.append(("service_type", _("Unknown service type.")))
    if r.priority not in Priority.values:
        problems.append(("priority", _("Unknown priority.")))
    needs_unit = r.service_type not in (ServiceType.CONSULTATION, ServiceType.INSTALLATION)
    if needs_unit and not r.unit:
        problems.append(("unit", _("Choose the unit this request is about.")))
    if len(r.fault_description.strip()) > 4000:
        problems.append(("fault_description", _("At most %(n)d characters.") % {"n": 4000}))
    if r.service_type == ServiceType.REPAIR and not r.fault_description.strip():
        problems.append(("fault_description", _("Describe the fault or choose a fault code.")))
    if len(r.contract_level or "") > 32:
        problems.append(("contract_level", _("At most %(n)d characters.") % {"n": 32}))
    if r.preferred_start and r.preferred_end and r.preferred_end <= r.preferred_start:
        problems.append(("preferred_end", _("The window must end after it starts.")))
    if not problems:
        return None
    errors = Errors()
    for name, message in problems:
        errors.add(name, message)
    return ValidationFailed(errors.fields)


def _after_intake(order_ids: list[int]) -> None:
    """Run the after-bulk-intake hooks: dispatch queues one job that assigns the batch (and
    decides whether the company wants automatic assignment)."""
    for hook in AFTER_BULK_INTAKE_HOOKS:
        hook(order_ids)
