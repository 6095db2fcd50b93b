"""Every write to service orders: creation, each transition, edits. Web pages, the API and the
background jobs all call these functions (service levels — the policies, due-time
recomputation and escalation — are in `orders/service_levels.py`).

Each transition locks the order row (SELECT ... FOR UPDATE), checks the guard from the
transition table, writes the new status and one `OrderEvent`, and recomputes the service-level
plan where the clock is affected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Skill, Station, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.catalog.models import FaultCode
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    check_version,
)
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply
from aftersales.core.validation import Errors
from aftersales.customers import actions as customer_actions
from aftersales.customers.choices import UnitStatus
from aftersales.customers.models import Address, Customer, InstalledUnit
from aftersales.customers.selectors import customers_visible_to, units_visible_to
from aftersales.orders import intake, sla, uploads
from aftersales.orders.choices import (
    FIELD_ONLY,
    FOLLOW_UP_ONLY,
    KNOWLEDGE_ONLY,
    NEEDS_REASON,
    OPEN,
    ORDER_MACHINE,
    PAUSED,
    TRANSITIONS,
    WORKSHOP_ONLY,
    Channel,
    EventKind,
    OrderVerb,
    Priority,
    ServiceType,
    Status,
)
from aftersales.orders.models import (
    OrderAttachment,
    OrderEvent,
    OrderPause,
    ServiceOrder,
)
from aftersales.orders.selectors import ACTION_PERMS as ACTION_PERMS
from aftersales.orders.selectors import TECHNICIAN_OWN as TECHNICIAN_OWN
from aftersales.orders.selectors import available_actions as available_actions
from aftersales.orders.selectors import order_settings as order_settings
from aftersales.orders.selectors import order_visible, orders_visible_to, technician_may_act
from aftersales.warranty.selectors import decide_for_order

EDIT_FIELDS = (
    "priority",
    "service_type",
    "fault_description",
    "fault_code",
    "contract_level",
    "preferred_start",
    "preferred_end",
    "address",
    "duration_minutes",
    "required_skills",
)


# --- helpers ---------------------------------------------------------------------------------


def order_event(
    order: ServiceOrder,
    *,
    actor: User | None,
    kind: Any,  # EventKind
    action: str = "",
    from_status: Any = "",
    to_status: Any = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=(reason or "")[:500],
        payload=payload or {},
        at=at or clock.now(),
    )


def _locked(order: ServiceOrder | int) -> ServiceOrder:
    pk = order.pk if isinstance(order, ServiceOrder) else order
    found = ServiceOrder.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _check_version(order: ServiceOrder, version: int | None) -> None:
    check_version(order, version, _("Someone else changed this order; reload it and try again."))


def _check_visible(actor: User, order: ServiceOrder) -> None:
    """The actor sees this order: judged on the row as it was just read under lock."""
    if not order_visible(actor, order):
        raise NotFound("not_found", _("Not found."))


def _refuse(order: ServiceOrder, action: str) -> ApplicationError:
    return Conflict(
        "illegal_transition",
        _("An order in status “%(status)s” cannot be changed this way (%(action)s).")
        % {"status": Status(order.status).label, "action": action},
        details={"status": order.status, "action": action},
    )


def _authorize(actor: User | None, order: ServiceOrder, action: str) -> None:
    if actor is None:  # background jobs
        return
    require(actor, ACTION_PERMS[action])
    _check_visible(actor, order)
    if not technician_may_act(actor, order, action):
        raise PermissionDenied("not_your_order", _("This order is assigned to someone else."))


def _reason(errors: Errors, action: str, reason: str) -> str:
    reason = (reason or "").strip()
    if action in NEEDS_REASON and not reason:
        errors.add("reason", _("Give a reason."))
    if len(reason) > 500:
        errors.add("reason", _("At most %(n)d characters.") % {"n": 500})
    return reason


# --- create ----------------------------------------------------------------------------------


def order_create(
    *,
    actor: User,
    customer: Customer | int,
    unit: InstalledUnit | int | None = None,
    channel: str = "phone",
    service_type: str = "repair",
    priority: str = "medium",
    fault_description: str = "",
    fault_code: FaultCode | int | None = None,
    contract_level: str = "",
    preferred_start: dt.datetime | None = None,
    preferred_end: dt.datetime | None = None,
    address: Address | int | None = None,
    allow_duplicate: bool = False,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> tuple[ServiceOrder, bool]:
    """Register an order. Returns (order, created); with an idempotency key already used by
    the same request, returns the existing order and False."""
    require(actor, Perm.ORDER_CREATE)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 100:
        raise ApplicationError(
            "invalid", _("The Idempotency-Key header is longer than 100 characters."), status=422
        )
    if key is not None:
        key = intake.caller_key(actor, key)
    # Every field of the request: a retry must repeat it exactly to get the order back.
    fingerprint = intake.fingerprint(
        {
            "customer": getattr(customer, "pk", customer),
            "unit": getattr(unit, "pk", unit),
            "channel": channel,
            "service_type": service_type,
            "priority": priority,
            "fault_description": fault_description,
            "fault_code": getattr(fault_code, "pk", fault_code),
            "contract_level": contract_level,
            "preferred_start": preferred_start,
            "preferred_end": preferred_end,
            "address": getattr(address, "pk", address),
            "allow_duplicate": allow_duplicate,
        }
    )
    if key is not None:
        existing = _existing_for_key(actor, key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            order = _create(
                actor=actor,
                customer=customer,
                unit=unit,
                channel=channel,
                service_type=service_type,
                priority=priority,
                fault_description=fault_description,
                fault_code=fault_code,
                contract_level=contract_level,
                preferred_start=preferred_start,
                preferred_end=preferred_end,
                address=address,
                allow_duplicate=allow_duplicate,
                key=key,
                fingerprint=fingerprint,
                created_at=created_at,
            )
    except (IntegrityError, Conflict) as exc:
        # Another request with the same key committed first: its order is the answer (also
        # when our duplicate check saw that order before the key check could).
        if key is None or (isinstance(exc, Conflict) and exc.code != "possible_duplicate"):
            raise
        existing = _existing_for_key(actor, key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return order, True


def _existing_for_key(actor: User, key: str, fingerprint: str) -> ServiceOrder | None:
    existing = ServiceOrder.objects.filter(
        company_id=company_of(actor), idempotency_key=key
    ).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
        )
    return existing


def _create(
    *,
    actor: User,
    customer: Customer | int,
    unit: InstalledUnit | int | None,
    channel: str,
    service_type: str,
    priority: str,
    fault_description: str,
    fault_code: FaultCode | int | None,
    contract_level: str,
    preferred_start: dt.datetime | None,
    preferred_end: dt.datetime | None,
    address: Address | int | None,
    allow_duplicate: bool,
    key: str | None,
    fingerprint: str,
    created_at: dt.datetime | None,
) -> ServiceOrder:

    errors = Errors()
    cust = customers_visible_to(actor).filter(pk=getattr(customer, "pk", customer)).first()
    if cust is None:
        errors.add("customer", _("Unknown customer."))
    the_unit = _intake_unit(errors, units_visible_to(actor), unit, cust)
    _check_intake_choices(errors, channel, service_type, priority)
    needs_unit = service_type not in (ServiceType.CONSULTATION, ServiceType.INSTALLATION)
    if needs_unit and the_unit is None and "unit" not in errors.fields:
        errors.add("unit", _("Choose the unit this request is about."))
    description = (fault_description or "").strip()
    if len(description) > 4000:
        errors.add("fault_description", _("At most %(n)d characters.") % {"n": 4000})
    if service_type == ServiceType.REPAIR and not description and fault_code in (None, ""):
        errors.add("fault_description", _("Describe the fault or choose a fault code."))
    code = _intake_fault_code(errors, actor, fault_code, the_unit)
    if len(contract_level or "") > 32:
        errors.add("contract_level", _("At most %(n)d characters.") % {"n": 32})
    if preferred_start and preferred_end and preferred_end <= preferred_start:
        errors.add("preferred_end", _("The window must end after it starts."))
    addr = None
    if address not in (None, "") and cust is not None:
        addr = Address.objects.filter(customer=cust, pk=getattr(address, "pk", address)).first()
        if addr is None:
            errors.add("address", _("Unknown address for this customer."))
    errors.raise_if_any()
    assert cust is not None
    if addr is None:
        addr = (the_unit.address if the_unit and the_unit.address_id else None) or (
            cust.addresses.filter(is_default=True).first()
        )
    raised_from = None
    if code is not None and code.is_urgent and priority != Priority.HIGH:
        raised_from, priority = priority, "high"
    if the_unit is not None and not allow_duplicate:
        _refuse_duplicates(the_unit)
    if not contract_level and the_unit is not None:
        for hook in CONTRACT_LEVEL_HOOKS:  # a service contract covering the unit (maintenance)
            contract_level = hook(the_unit) or contract_level
    now = created_at or clock.now()
    region_id = (addr.region_id if addr and addr.region_id else None) or cust.region_id
    rule = sla.select_policy(
        intake.sla_rules(company_of(actor)),
        priority=priority,
        service_type=service_type,
        region_id=region_id,
        contract_level=contract_level or "",
    )
    order = ServiceOrder(
        company_id=company_of(actor),
        channel=channel,
        service_type=service_type,
        priority=priority,
        customer=cust,
        unit=the_unit,
        address=addr,
        fault_description=description,
        fault_code=code,
        contract_level=contract_level or "",
        preferred_start=preferred_start,
        preferred_end=preferred_end,
        region_id=region_id,
        sla_policy_id=rule.id if rule else None,
        sla_goals={t: [g.minutes, g.clock] for t, g in (rule.goals if rule else {}).items()},
        idempotency_key=key,
        request_fingerprint=fingerprint,
        created_by=actor,
        created_at=now,
    )
    _insert_numbered(order)
    _decide_warranty(order)
    payload: dict[str, Any] = {
        "channel": channel,
        "priority": priority,
        "policy": rule.name if rule else None,
        "due": {t: intake.iso(getattr(order, f"{t}_due")) for t in sla.TARGETS},
        "warranty": order.warranty_decision,
    }
    if raised_from:
        payload["priority_raised_from"] = raised_from
        payload["reason"] = "urgent fault code"
    order_event(
        order, actor=actor, kind=EventKind.CREATED, to_status=order.status, payload=payload, at=now
    )
    transaction.on_commit(lambda: _after_intake(order.pk))
    return order


def _intake_unit(
    errors: Errors, visible: Any, unit: InstalledUnit | int | None, cust: Customer | None
) -> InstalledUnit | None:
    """The unit of a new order (among the units the actor sees), of its customer."""
    if unit in (None, ""):
        return None
    the_unit: InstalledUnit | None = (
        visible.select_related("product_model").filter(pk=getattr(unit, "pk", unit)).first()
    )
    if the_unit is None:
        errors.add("unit", _("Unknown unit."))
    elif cust is not None and the_unit.customer_id != cust.pk:
        errors.add("unit", _("The unit belongs to another customer."))
    return the_unit


def _check_intake_choices(errors: Errors, channel: str, service_type: str, priority: str) -> None:
    if channel not in Channel.values:
        errors.add("channel", _("Unknown channel."))
    if service_type not in ServiceType.values:
        errors.add("service_type", _("Unknown service type."))
    if priority not in Priority.values:
        errors.add("priority", _("Unknown priority."))


def _intake_fault_code(
    errors: Errors, actor: User, fault_code: FaultCode | int | None, unit: InstalledUnit | None
) -> FaultCode | None:
    """The fault code of a new order: the company's, of the unit's product category."""
    if fault_code in (None, ""):
        return None
    code = FaultCode.objects.filter(
        pk=getattr(fault_code, "pk", fault_code), category__company_id=company_of(actor)
    ).first()
    if code is None:
        errors.add("fault_code", _("Unknown fault code."))
    elif unit is not None and code.category_id != unit.product_model.category_id:
        errors.add("fault_code", _("This fault code is for another product category."))
    return code


def _refuse_duplicates(unit: InstalledUnit) -> None:
    """409 `possible_duplicate` when the unit has open orders (the caller may confirm)."""
    duplicates = list(
        ServiceOrder.objects.filter(unit=unit, status__in=OPEN).values_list("pk", "number")[:5]
    )
    if duplicates:
        raise Conflict(
            "possible_duplicate",
            _("This unit already has an open order (%(numbers)s). Confirm to register another.")
            % {"numbers": ", ".join(n for _pk, n in duplicates)},
            details={"orders": [{"id": pk, "number": n} for pk, n in duplicates]},
        )


# Functions (taking the unit) that name the contract level of a new order on a unit when the
# caller gave none: higher apps (maintenance's service contracts) register theirs in
# `AppConfig.ready()`.
CONTRACT_LEVEL_HOOKS: list[Any] = []


# Functions (taking the new order's id) run after an intake is committed: higher apps register
# theirs in `AppConfig.ready()` (dispatch's automatic assignment), so orders imports none.
AFTER_INTAKE_HOOKS: list[Callable[[int], Any]] = []
# The same for a batch of orders created at once (`orders.bulk`): one call with every id.
AFTER_BULK_INTAKE_HOOKS: list[Callable[[list[int]], Any]] = []
# Functions (taking the order being cancelled) run in the cancel's transaction: higher apps
# register theirs in `AppConfig.ready()` (maintenance releases a planned service's parts kit).
CANCEL_HOOKS: list[Callable[[ServiceOrder], Any]] = []


def _after_intake(order_id: int) -> None:
    """Run the after-intake hooks (dispatch decides whether the company assigns
    automatically)."""
    for hook in AFTER_INTAKE_HOOKS:
        hook(order_id)


def _insert_numbered(order: ServiceOrder) -> None:
    """Plan the due times, insert the row, and number it: date of intake + id (unique, and
    readable on the phone: 20261122000123)."""
    intake.apply_plan(order)
    order.save()
    order.number = f"{timezone.localtime(order.created_at):%Y%m%d}{order.pk:06d}"
    order.save(update_fields=["number"])


def _decide_warranty(order: ServiceOrder) -> bool:
    """Store the 三包 decision for the order's unit and fault (not when a manager overrode it).
    Returns whether it changed."""

    if (order.warranty_detail or {}).get("override"):
        return False
    decision, detail = decide_for_order(order)
    changed = decision != order.warranty_decision
    order.warranty_decision, order.warranty_detail = decision, detail
    order.save(update_fields=["warranty_decision", "warranty_detail"])
    return changed


# --- transitions -----------------------------------------------------------------------------


@dataclass
class _Move:
    """One order move being prepared: the locked order and what the verb's step sets."""

    actor: User | None
    order: ServiceOrder
    verb: str
    before: str
    reason: str
    now: dt.datetime
    errors: Errors
    station: Station | int | None = None
    technician: User | int | None = None
    fields: set[str] = field(default_factory=set)
    payload: dict[str, Any] = field(default_factory=dict)
    previous: str | None = None


# Verbs after which the service-level plan is recomputed (the clock starts, stops or is met).
REPLAN = frozenset(
    {
        "bring_in",
        "accept",
        "arrive",
        "complete",
        "solve_remotely",
        "cancel",
        "wait_parts",
        "wait_customer",
        "resume",
    }
)
# Verbs that only their own flows take (`recorded=True`): the error each refuses others with.
_RECORDED_BY = (
    (
        FIELD_ONLY,
        "use_field_work",
        _("Record this on the visit page (the technician's service record)."),
    ),
    (
        KNOWLEDGE_ONLY,
        "use_knowledge",
        _("Mark the order solved on the phone from the solution that solved it."),
    ),
    (FOLLOW_UP_ONLY, "use_follow_up", _("Record the follow-up's answers (follow-up queue).")),
    (WORKSHOP_ONLY, "use_workshop", _("Record this on the workshop job (counter or bench).")),
)


def _check_recorded(verb: str, recorded: bool) -> None:
    if recorded:
        return
    for verbs, code, message in _RECORDED_BY:
        if verb in verbs:
            raise Conflict(code, message, details={"action": verb})


def _replan(order: ServiceOrder, payload: dict[str, Any]) -> list[str]:
    """Recompute the due times after a move that affects the clock; the moved ones go into
    the event's payload."""
    before_due = {t: getattr(order, f"{t}_due") for t in sla.TARGETS}
    fields = intake.apply_plan(order)
    moved = {
        t: intake.iso(getattr(order, f"{t}_due"))
        for t in sla.TARGETS
        if getattr(order, f"{t}_due") != before_due[t]
    }
    if moved:
        payload["due"] = moved
    return fields


def _move(
    verb: OrderVerb,
    *,
    actor: User | None,
    order: ServiceOrder | int,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
    recorded: bool = False,
    station: Station | int | None = None,
    technician: User | int | None = None,
) -> ServiceOrder:
    """The one path of every order move: lock, authorise, check the version and the table,
    run the verb's step (`_STEPS`), then `transitions.apply()` saves the status and the
    fields the step set and writes the `OrderEvent`."""
    locked = _locked(order)
    _authorize(actor, locked, verb)
    _check_version(locked, version)
    if not locked.can(verb):
        raise _refuse(locked, verb)
    _check_recorded(verb, recorded)
    errors = Errors()
    move = _Move(
        actor=actor,
        order=locked,
        verb=verb,
        before=locked.status,
        reason=_reason(errors, verb, reason),
        now=at or clock.now(),
        errors=errors,
        station=station,
        technician=technician,
    )
    step = _STEPS.get(verb)
    if step is not None:
        step(move)
    errors.raise_if_any()
    apply(
        ORDER_MACHINE,
        locked,
        verb,
        event_model=OrderEvent,
        subject_field="order",
        actor=actor,
        reason=move.reason,
        payload=move.payload,
        at=move.now,
        previous=move.previous,
        extra_fields=sorted(move.fields),
        on_status=(lambda o: _replan(o, move.payload)) if verb in REPLAN else None,
    )
    return locked


def _step_dispatch(move: _Move) -> None:
    found = _station_for(move.errors, move.actor, move.order, move.station)
    move.errors.raise_if_any()
    assert found is not None
    if move.verb == OrderVerb.REDISPATCH and found.pk == move.order.station_id:
        move.errors.add("station", _("The order is already at this station."))
        move.errors.raise_if_any()
    move.payload = {
        "station": found.pk,
        "station_name": found.name,
        "from_station": move.order.station_id,
    }
    move.order.station = found
    move.order.region_id = found.region_id
    move.fields |= {"station", "region"}


def _step_assign(move: _Move) -> None:
    tech = _technician_for(move.errors, move.order, move.technician)
    move.errors.raise_if_any()
    assert tech is not None
    move.order.technician = tech
    move.payload = {"technician": tech.pk, "technician_name": tech.get_full_name()}
    move.fields.add("technician")


def _step_release(move: _Move) -> None:
    """The technician lets go of the order (unassign, decline, cannot keep, no-show)."""
    move.errors.raise_if_any()
    move.payload = {"technician": move.order.technician_id}
    move.order.technician = None
    move.fields.add("technician")


def _met(move: _Move, *names: str) -> None:
    """First response / arrival met now, unless met before."""
    for name in names:
        if getattr(move.order, name) is None:
            setattr(move.order, name, move.now)
            move.fields.add(name)


def _step_bring_in(move: _Move) -> None:
    # The workshop received the unit at `now` (its brought-in time): first response and
    # arrival are met then; the station is the workshop's, the technician the bench's.
    found = _station_for(move.errors, move.actor, move.order, move.station)
    move.errors.raise_if_any()
    assert found is not None
    move.payload = {"station": found.pk, "station_name": found.name}
    move.order.station, move.order.region_id = found, found.region_id
    move.fields |= {"station", "region"}
    if move.technician:
        tech = _technician_for(move.errors, move.order, move.technician)
        move.errors.raise_if_any()
        move.order.technician = tech
        move.payload["technician"] = getattr(tech, "pk", None)
        move.fields.add("technician")
    _met(move, "responded_at", "arrived_at")


def _step_accept(move: _Move) -> None:
    move.errors.raise_if_any()
    _met(move, "responded_at")


def _step_arrive(move: _Move) -> None:
    move.errors.raise_if_any()
    _met(move, "arrived_at")


def _step_complete(move: _Move) -> None:
    move.errors.raise_if_any()
    move.order.completed_at = move.now
    move.fields.add("completed_at")


def _step_close(move: _Move) -> None:
    move.errors.raise_if_any()
    move.order.closed_at = move.now
    move.fields.add("closed_at")


def _step_solve_remotely(move: _Move) -> None:
    move.errors.raise_if_any()
    move.order.completed_at = move.order.closed_at = move.now
    move.fields |= {"completed_at", "closed_at"}
    _met(move, "responded_at")  # the agent's answer was the response


def _step_cancel(move: _Move) -> None:
    move.errors.raise_if_any()
    move.order.cancel_reason = move.reason
    move.fields.add("cancel_reason")
    for hook in CANCEL_HOOKS:
        hook(move.order)
    if move.before in PAUSED:  # a cancelled order is no longer waiting
        move.order.pauses.filter(ended_at__isnull=True).update(ended_at=move.now)
        move.order.status_before_pause = ""
        move.fields.add("status_before_pause")


def _step_pause(move: _Move) -> None:
    move.errors.raise_if_any()
    move.order.status_before_pause = move.before
    move.fields.add("status_before_pause")
    # The pausing verbs (wait_parts, wait_customer) move to a status; only resume's is None.
    target = cast(str, TRANSITIONS[move.verb][1])
    OrderPause.objects.create(order=move.order, status=target, started_at=move.now)


def _step_resume(move: _Move) -> None:
    move.errors.raise_if_any()
    move.previous = move.order.status_before_pause or "triaged"
    move.order.status_before_pause = ""
    move.fields.add("status_before_pause")
    pause = move.order.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if pause is not None:
        pause.ended_at = move.now
        pause.save(update_fields=["ended_at"])
        minutes = int((move.now - pause.started_at).total_seconds() // 60)
        move.payload = {"paused_minutes": minutes}


_STEPS: dict[str, Callable[[_Move], None]] = {
    OrderVerb.DISPATCH: _step_dispatch,
    OrderVerb.REDISPATCH: _step_dispatch,
    OrderVerb.ASSIGN: _step_assign,
    OrderVerb.UNASSIGN: _step_release,
    OrderVerb.DECLINE: _step_release,
    OrderVerb.CANNOT_KEEP: _step_release,
    OrderVerb.NO_SHOW: _step_release,
    OrderVerb.BRING_IN: _step_bring_in,
    OrderVerb.ACCEPT: _step_accept,
    OrderVerb.ARRIVE: _step_arrive,
    OrderVerb.COMPLETE: _step_complete,
    OrderVerb.CLOSE: _step_close,
    OrderVerb.SOLVE_REMOTELY: _step_solve_remotely,
    OrderVerb.CANCEL: _step_cancel,
    OrderVerb.WAIT_PARTS: _step_pause,
    OrderVerb.WAIT_CUSTOMER: _step_pause,
    OrderVerb.RESUME: _step_resume,
}


# The named verbs. Each takes the actor, the order (row or id), a reason (required for the
# verbs in NEEDS_REASON), the version the caller saw and the moment (`at`, for the field-work
# and history callers); the verbs only their own flows take also take `recorded`.


@transaction.atomic
def order_triage(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
) -> ServiceOrder:
    """已分诊: unit, warranty and priority checked."""
    return _move(OrderVerb.TRIAGE, actor=actor, order=order, reason=reason, version=version, at=at)


@transaction.atomic
def order_dispatch(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    station: Station | int | None,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
) -> ServiceOrder:
    """已派站: hand the order to a service station (in the dispatcher's region)."""
    return _move(
        OrderVerb.DISPATCH,
        actor=actor,
        order=order,
        station=station,
        reason=reason,
        version=version,
        at=at,
    )


@transaction.atomic
def order_redispatch(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    station: Station | int | None,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
) -> ServiceOrder:
    """Move a dispatched order to another station."""
    return _move(
        OrderVerb.REDISPATCH,
        actor=actor,
        order=order,
        station=station,
        reason=reason,
        version=version,
        at=at,
    )


@transaction.atomic
def order_assign(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    technician: User | int | None,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
) -> ServiceOrder:
    """已派工: a technician of the order's station."""
    return _move(
        OrderVerb.ASSIGN,
        actor=actor,
        order=order,
        technician=technician,
        reason=reason,
        version=version,
        at=at,
    )


@transaction.atomic
def order_bring_in(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    station: Station | int | None,
    technician: User | int | None = None,
    reason: str = "",
    version: int | None = None,
    at: dt.datetime | None = None,
    recorded: bool = False,
) -> ServiceOrder:
    """The unit is in a workshop's hands (the workshop's actions say `recorded`)."""
    return _move(
        OrderVerb.BRING_IN,
        actor=actor,
        order=order,
        station=station,
        technician=technician,
        reason=reason,
        version=version,
        at=at,
        recorded=recorded,
    )


def _simple_verb(verb: OrderVerb, doc: str) -> Callable[..., ServiceOrder]:
    """A named verb that takes nothing beyond the common arguments."""

    @transaction.atomic
    def action(
        *,
        actor: User | None,
        order: ServiceOrder | int,
        reason: str = "",
        version: int | None = None,
        at: dt.datetime | None = None,
        recorded: bool = False,
    ) -> ServiceOrder:
        return _move(
            verb,
            actor=actor,
            order=order,
            reason=reason,
            version=version,
            at=at,
            recorded=recorded,
        )

    action.__name__ = action.__qualname__ = f"order_{verb.value}"
    action.__doc__ = doc
    return action


order_unassign = _simple_verb(OrderVerb.UNASSIGN, "Back to dispatch (with a reason).")
order_accept = _simple_verb(OrderVerb.ACCEPT, "已接单: the technician accepts (first response).")
order_decline = _simple_verb(OrderVerb.DECLINE, "The technician turns it down (field work).")
order_cannot_keep = _simple_verb(
    OrderVerb.CANNOT_KEEP, "The appointment cannot be kept (field work)."
)
order_depart = _simple_verb(OrderVerb.DEPART, "在途: the technician is on the way.")
order_arrive = _simple_verb(OrderVerb.ARRIVE, "到场: checked in on site (arrival).")
order_complete = _simple_verb(OrderVerb.COMPLETE, "已完工 (field work records the visit).")
order_no_show = _simple_verb(OrderVerb.NO_SHOW, "Customer absent (field work).")
order_revisit = _simple_verb(OrderVerb.REVISIT, "Another visit needed (field work).")
order_follow_up = _simple_verb(OrderVerb.FOLLOW_UP, "已回访 (the follow-up's answers).")
order_close = _simple_verb(OrderVerb.CLOSE, "已关闭.")
order_wait_parts = _simple_verb(OrderVerb.WAIT_PARTS, "待料: the clock pauses.")
order_wait_customer = _simple_verb(OrderVerb.WAIT_CUSTOMER, "待客户: the clock pauses.")
order_resume = _simple_verb(OrderVerb.RESUME, "Back to the status before the pause.")
order_cancel = _simple_verb(OrderVerb.CANCEL, "已取消, with a reason.")
order_solve_remotely = _simple_verb(
    OrderVerb.SOLVE_REMOTELY, "Solved on the phone (the knowledge actions)."
)

# verb -> its named action (the dispatcher below and callers holding a verb use it).
ORDER_VERBS: dict[str, Callable[..., ServiceOrder]] = {
    OrderVerb.TRIAGE: order_triage,
    OrderVerb.DISPATCH: order_dispatch,
    OrderVerb.REDISPATCH: order_redispatch,
    OrderVerb.ASSIGN: order_assign,
    OrderVerb.UNASSIGN: order_unassign,
    OrderVerb.ACCEPT: order_accept,
    OrderVerb.DECLINE: order_decline,
    OrderVerb.CANNOT_KEEP: order_cannot_keep,
    OrderVerb.DEPART: order_depart,
    OrderVerb.ARRIVE: order_arrive,
    OrderVerb.COMPLETE: order_complete,
    OrderVerb.NO_SHOW: order_no_show,
    OrderVerb.REVISIT: order_revisit,
    OrderVerb.FOLLOW_UP: order_follow_up,
    OrderVerb.CLOSE: order_close,
    OrderVerb.WAIT_PARTS: order_wait_parts,
    OrderVerb.WAIT_CUSTOMER: order_wait_customer,
    OrderVerb.RESUME: order_resume,
    OrderVerb.CANCEL: order_cancel,
    OrderVerb.SOLVE_REMOTELY: order_solve_remotely,
    OrderVerb.BRING_IN: order_bring_in,
}
_WITH_STATION = frozenset({OrderVerb.DISPATCH, OrderVerb.REDISPATCH, OrderVerb.BRING_IN})
_WITH_TECHNICIAN = frozenset({OrderVerb.ASSIGN, OrderVerb.BRING_IN})


@transaction.atomic
def order_transition(
    *,
    actor: User | None,
    order: ServiceOrder | int,
    action: str,
    reason: str = "",
    version: int | None = None,
    station: Station | int | None = None,
    technician: User | int | None = None,
    at: dt.datetime | None = None,
    recorded: bool = False,
) -> ServiceOrder:
    """Any verb by name, for callers that hold the verb as data (the web's transition form,
    the API's per-verb endpoints, the history import): dispatches to the named action
    (`order_assign`, ...). An unknown verb is 404 `unknown_action`.

    The verbs in `RECORDED_ONLY` come with more than a status (the no-show's wait and call,
    the visit's record, the follow-up's answers): only their own flows take them, saying
    `recorded`."""
    if action not in ORDER_VERBS:
        raise ApplicationError("unknown_action", _("Unknown action."), status=404)
    verb = OrderVerb(action)
    kwargs: dict[str, Any] = {"reason": reason, "version": version, "at": at}
    if verb in _WITH_STATION:
        kwargs["station"] = station
    if verb in _WITH_TECHNICIAN:
        kwargs["technician"] = technician
    if verb not in (OrderVerb.TRIAGE, OrderVerb.DISPATCH, OrderVerb.REDISPATCH, OrderVerb.ASSIGN):
        kwargs["recorded"] = recorded
    return ORDER_VERBS[verb](actor=actor, order=order, **kwargs)


def _station_for(
    errors: Errors, actor: User | None, order: ServiceOrder, station: Station | int | None
) -> Station | None:
    if station in (None, ""):
        errors.add("station", _("Choose a service station."))
        return None
    found = Station.objects.filter(
        company_id=order.company_id, pk=as_id(station), is_active=True
    ).first()
    if found is None:
        errors.add("station", _("Unknown service station."))
    elif actor is not None and actor.region_id and found.region_id != actor.region_id:
        errors.add("station", _("You can only dispatch to stations in your own region."))
    return found


def _technician_for(
    errors: Errors, order: ServiceOrder, technician: User | int | None
) -> User | None:
    if technician in (None, ""):
        errors.add("technician", _("Choose a technician."))
        return None
    tech = User.objects.filter(
        pk=as_id(technician),
        company_id=order.company_id,
        role=Role.TECHNICIAN,
        is_active=True,
    ).first()
    if tech is None:
        errors.add("technician", _("Unknown technician."))
    elif tech.station_id != order.station_id:
        errors.add("technician", _("The technician does not work for the order's station."))
    return tech


@transaction.atomic
def order_reopen(
    *, actor: User, order: ServiceOrder | int, reason: str, version: int | None = None
) -> ServiceOrder:
    """Open a new order linked to a completed/followed-up/closed one, within the window."""
    locked = _locked(order)
    _authorize(actor, locked, "reopen")
    _check_version(locked, version)
    if not locked.can("reopen"):
        raise _refuse(locked, "reopen")
    errors = Errors()
    reason = _reason(errors, "reopen", reason)
    errors.raise_if_any()
    window = order_settings(locked.company_id).reopen_days
    now = clock.now()
    if locked.completed_at and now - locked.completed_at > dt.timedelta(days=window):
        raise Conflict(
            "reopen_window_passed",
            _("Orders can be reopened only within %(days)d days of completion.") % {"days": window},
        )
    new = ServiceOrder(
        company_id=locked.company_id,
        status=Status.REOPENED,
        channel=locked.channel,
        service_type=locked.service_type,
        priority=locked.priority,
        customer_id=locked.customer_id,
        unit_id=locked.unit_id,
        address_id=locked.address_id,
        fault_description=locked.fault_description,
        fault_code_id=locked.fault_code_id,
        contract_level=locked.contract_level,
        region_id=locked.region_id,
        sla_policy_id=locked.sla_policy_id,
        sla_goals=locked.sla_goals,
        reopened_from=locked,
        created_by=actor,
        created_at=now,
    )
    _insert_numbered(new)
    order_event(
        new,
        actor=actor,
        kind=EventKind.CREATED,
        to_status=Status.REOPENED,
        reason=reason,
        payload={"reopened_from": locked.pk, "reopened_from_number": locked.number},
        at=now,
    )
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    order_event(
        locked,
        actor=actor,
        kind=EventKind.REOPENED_AS,
        action="reopen",
        reason=reason,
        payload={"order": new.pk, "number": new.number},
        at=now,
    )
    return new


# --- edits -----------------------------------------------------------------------------------


@transaction.atomic
def order_update(
    *, actor: User, order: ServiceOrder | int, version: int | None, **changes: Any
) -> ServiceOrder:
    """Edit the request's details. A changed priority or service type re-selects the policy
    and recomputes the due times."""
    require(actor, Perm.ORDER_EDIT)
    locked = _locked(order)
    _check_visible(actor, locked)
    _check_version(locked, version)
    unknown = set(changes) - set(EDIT_FIELDS)
    if unknown:
        raise ApplicationError(
            "invalid",
            _("Unknown fields."),
            status=422,
            details={"fields": {k: _("Unknown field.") for k in unknown}},
        )
    if locked.is_final or locked.status not in OPEN:
        raise _refuse(locked, "edit")
    errors = Errors()
    diff: dict[str, list[Any]] = {}
    for name, check in _EDIT_CHECKS.items():
        if name in changes:
            new = check(errors, locked, changes[name])
            if new is not _UNCHANGED:
                diff[name] = [getattr(locked, _attname(name)), new]
        if name == "required_skills":  # the window as it will be, once both ends are known
            start = diff.get("preferred_start", [None, locked.preferred_start])[1]
            end = diff.get("preferred_end", [None, locked.preferred_end])[1]
            if start and end and end <= start:
                errors.add("preferred_end", _("The window must end after it starts."))
    errors.raise_if_any()
    if not diff:
        return locked
    for name, (_old, new) in diff.items():
        setattr(locked, _attname(name), new)
    fields = {_attname(n) for n in diff} | {"version", "updated_at"}
    if "priority" in diff or "service_type" in diff or "contract_level" in diff:
        rule = sla.select_policy(
            intake.sla_rules(locked.company_id),
            priority=locked.priority,
            service_type=locked.service_type,
            region_id=locked.region_id,
            contract_level=locked.contract_level,
        )
        locked.sla_policy_id = rule.id if rule else None
        locked.sla_goals = {
            t: [g.minutes, g.clock] for t, g in (rule.goals if rule else {}).items()
        }
        fields |= {"sla_policy", "sla_goals"} | set(intake.apply_plan(locked))
        diff["due"] = [None, {t: intake.iso(getattr(locked, f"{t}_due")) for t in sla.TARGETS}]
    locked.version += 1
    locked.save(update_fields=sorted(fields))
    if "fault_code" in diff:
        before_warranty = locked.warranty_decision
        if _decide_warranty(locked):
            diff["warranty"] = [before_warranty, locked.warranty_decision]
    order_event(
        locked,
        actor=actor,
        kind=EventKind.EDIT,
        action="edit",
        payload={k: [_plainish(a), _plainish(b)] for k, (a, b) in diff.items()},
    )
    return locked


_UNCHANGED: Any = object()


def _attname(name: str) -> str:
    return f"{name}_id" if name in ("fault_code", "address") else name


def _edit_priority(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    if value == order.priority:
        return _UNCHANGED
    if value not in Priority.values:
        errors.add("priority", _("Unknown priority."))
        return _UNCHANGED
    return value


def _edit_service_type(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    if value == order.service_type:
        return _UNCHANGED
    if value not in ServiceType.values:
        errors.add("service_type", _("Unknown service type."))
        return _UNCHANGED
    return value


def _edit_fault_description(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    text = (value or "").strip()
    if len(text) > 4000:
        errors.add("fault_description", _("At most %(n)d characters.") % {"n": 4000})
        return _UNCHANGED
    return text if text != order.fault_description else _UNCHANGED


def _edit_fault_code(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    code_id = getattr(value, "pk", value) or None
    if (
        code_id is not None
        and not FaultCode.objects.filter(pk=code_id, category__company_id=order.company_id).exists()
    ):
        errors.add("fault_code", _("Unknown fault code."))
        return _UNCHANGED
    return code_id if code_id != order.fault_code_id else _UNCHANGED


def _edit_contract_level(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    level = (value or "").strip()
    if len(level) > 32:
        errors.add("contract_level", _("At most %(n)d characters.") % {"n": 32})
        return _UNCHANGED
    return level if level != order.contract_level else _UNCHANGED


def _edit_preferred(name: str) -> Callable[[Errors, ServiceOrder, Any], Any]:
    def check(errors: Errors, order: ServiceOrder, value: Any) -> Any:
        return value if value != getattr(order, name) else _UNCHANGED

    return check


def _edit_duration(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    try:
        minutes = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        minutes = -1
    if minutes is not None and not 5 <= minutes <= 24 * 60:
        errors.add("duration_minutes", _("Between 5 minutes and 24 hours."))
        return _UNCHANGED
    return minutes if minutes != order.duration_minutes else _UNCHANGED


def _edit_skills(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    skills = _clean_skills(errors, order.company_id, value)
    if skills is not None and skills != (order.required_skills or {}):
        return skills
    return _UNCHANGED


def _edit_address(errors: Errors, order: ServiceOrder, value: Any) -> Any:
    addr_id = getattr(value, "pk", value) or None
    if (
        addr_id is not None
        and not Address.objects.filter(pk=addr_id, customer_id=order.customer_id).exists()
    ):
        errors.add("address", _("Unknown address for this customer."))
        return _UNCHANGED
    return addr_id if addr_id != order.address_id else _UNCHANGED


# Each editable field's check, in the order the fields are checked: the new value, or
# `_UNCHANGED` (the same as now, or refused with an error on `errors`).
_EDIT_CHECKS: dict[str, Callable[[Errors, ServiceOrder, Any], Any]] = {
    "priority": _edit_priority,
    "service_type": _edit_service_type,
    "fault_description": _edit_fault_description,
    "fault_code": _edit_fault_code,
    "contract_level": _edit_contract_level,
    "preferred_start": _edit_preferred("preferred_start"),
    "preferred_end": _edit_preferred("preferred_end"),
    "duration_minutes": _edit_duration,
    "required_skills": _edit_skills,
    "address": _edit_address,
}


def _clean_skills(errors: Errors, company_id: int, value: Any) -> dict[str, int] | None:
    """{skill code: level 1-5} with codes the company knows."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors.add("required_skills", _("Give skills as {code: level}."))
        return None
    known = set(Skill.objects.filter(company_id=company_id).values_list("code", flat=True))
    out: dict[str, int] = {}
    for code, level in value.items():
        try:
            lvl = int(level)
        except (TypeError, ValueError):
            lvl = 0
        if str(code) not in known:
            errors.add("required_skills", _("Unknown skill: %(code)s.") % {"code": code})
        elif not 1 <= lvl <= 5:
            errors.add("required_skills", _("A skill level is between 1 and 5."))
        else:
            out[str(code)] = lvl
    return None if errors.fields.get("required_skills") else out


def _plainish(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


# --- bulk ------------------------------------------------------------------------------------


def orders_bulk(*, actor: User, order_ids: list[int], operation: str, value: Any) -> dict[str, Any]:
    """Apply one operation to many orders, each through its own action and transaction; one
    refusal does not stop the others. Returns {"done": [ids], "failed": {id: message}}."""
    done: list[int] = []
    failed: dict[int, str] = {}
    for pk in order_ids[:500]:
        try:
            if operation == "dispatch":
                order = ServiceOrder.objects.filter(pk=pk).only("status").first()
                action = (
                    "redispatch"
                    if order is not None and order.status == Status.DISPATCHED
                    else "dispatch"
                )
                order_transition(actor=actor, order=pk, action=action, station=value)
            elif operation == "priority":
                order_update(actor=actor, order=pk, version=None, priority=value)
            else:
                raise ApplicationError(
                    "unknown_operation", _("Unknown bulk operation."), status=422
                )
        except ApplicationError as exc:
            failed[pk] = str(exc.message)
        else:
            done.append(pk)
    return {"done": done, "failed": failed}


# --- intake helpers --------------------------------------------------------------------------


@transaction.atomic
def order_attach(*, actor: User, order: ServiceOrder, files: list[Any]) -> list[Any]:
    """Attach images (checked, re-encoded, stored under generated names)."""
    # The caller's instance, not read here: the database says whether the actor sees it.
    if not orders_visible_to(actor).filter(pk=order.pk).exists():
        raise NotFound("not_found", _("Not found."))
    if order.attachments.count() + len(files) > uploads.MAX_FILES:
        raise ApplicationError(
            "too_many_files",
            _("At most %(n)d images per order.") % {"n": uploads.MAX_FILES},
            status=422,
        )
    cleaned = [(f, *uploads.clean_image(f)) for f in files]
    rows = []
    for upload, data, content_type, ext in cleaned:
        name = uploads.store(data, ext)
        rows.append(
            OrderAttachment.objects.create(
                order=order,
                stored_name=name,
                original_name=uploads.display_name(getattr(upload, "name", "")),
                content_type=content_type,
                size=len(data),
                uploaded_by=actor,
            )
        )
    if rows:
        order_event(
            order,
            actor=actor,
            kind=EventKind.NOTE,
            action="attach",
            payload={"attachments": [r.pk for r in rows]},
        )
    return rows


@transaction.atomic
def order_intake(
    *,
    actor: User,
    new_customer: dict[str, Any] | None = None,
    new_unit: dict[str, Any] | None = None,
    files: list[Any] | None = None,
    meter_km: Any = None,
    **order_fields: Any,
) -> ServiceOrder:
    """The agent's intake screen in one transaction: optionally create the customer and the
    unit inline, record the unit's km reading where the warranty needs it (before the 三包
    decision is taken), register the order, attach the images. Nothing is kept if any part
    fails."""

    if new_customer:
        customer = customer_actions.customer_create(actor=actor, **new_customer)
        order_fields["customer"] = customer
    if new_unit:
        unit = customer_actions.unit_create(
            actor=actor, customer=order_fields["customer"], **new_unit
        )
        order_fields["unit"] = unit
    if not order_fields.get("customer") and order_fields.get("unit"):
        owner = (
            units_visible_to(actor)
            .filter(pk=getattr(order_fields["unit"], "pk", order_fields["unit"]))
            .values_list("customer_id", flat=True)
            .first()
        )
        order_fields["customer"] = owner
    if meter_km not in (None, "") and order_fields.get("unit"):
        customer_actions.unit_meter_record(
            actor=actor,
            unit=order_fields["unit"],
            kind="km",
            value=meter_km,
            read_on=clock.today(),
            source="customer",
            reference="intake",
        )
    order, _created = order_create(actor=actor, **order_fields)
    if files:
        order_attach(actor=actor, order=order, files=files)
    return order


WARRANTY_DECISIONS = ("return", "exchange", "free_repair", "paid_repair")


@transaction.atomic
def order_warranty_override(
    *, actor: User, order: ServiceOrder | int, decision: str, reason: str, version: int | None
) -> ServiceOrder:
    """A service manager replaces the 三包 decision, with a reason (event and audit)."""

    require(actor, Perm.WARRANTY_OVERRIDE)
    locked = _locked(order)
    _check_visible(actor, locked)
    _check_version(locked, version)
    errors = Errors()
    if decision not in WARRANTY_DECISIONS:
        errors.add("decision", _("Choose return, exchange, free repair or paid repair."))
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", _("Give a reason."))
    errors.raise_if_any()
    before = locked.warranty_decision
    detail = dict(locked.warranty_detail or {})
    detail["override"] = {
        "by": actor.pk,
        "reason": reason[:500],
        "was": before,
        "at": clock.now().isoformat(),
    }
    locked.warranty_decision, locked.warranty_detail = decision, detail
    locked.version += 1
    locked.save(update_fields=["warranty_decision", "warranty_detail", "version", "updated_at"])
    order_event(
        locked,
        actor=actor,
        kind=EventKind.EDIT,
        action="warranty_override",
        reason=reason,
        payload={"warranty": [before, decision]},
    )
    audit_record(
        actor=actor,
        action="order.warranty_override",
        obj=locked,
        changes={"warranty_decision": [before, decision]},
        reason=reason,
    )
    return locked


@transaction.atomic
def order_warranty_fulfil(
    *,
    actor: User,
    order: ServiceOrder | int,
    outcome: str,
    new_serial: str = "",
    reason: str = "",
) -> InstalledUnit | None:
    """Carry out an exchange or a return the 三包 decision allows. An exchange gives the customer
    a new unit record whose warranty starts today (the period restarts); the old unit is marked
    exchanged and points at it. A return marks the unit returned and records the depreciation."""

    require(actor, Perm.WARRANTY_OVERRIDE)
    locked = _locked(order)
    _check_visible(actor, locked)
    allowed = set((locked.warranty_detail or {}).get("options") or [locked.warranty_decision])
    allowed.add(locked.warranty_decision)
    if outcome not in ("exchange", "return") or outcome not in allowed:
        raise Conflict(
            "not_entitled",
            _("The warranty decision of this order does not allow this (%(outcome)s).")
            % {"outcome": outcome},
        )
    if locked.unit_id is None:
        raise Conflict("no_unit", _("The order has no unit."))
    scope = str(((locked.warranty_detail or {}).get("evidence") or {}).get("scope", ""))
    if scope.startswith("accessory:"):
        # A phone accessory's exchange or return concerns the accessory, not the unit.
        raise Conflict(
            "accessory_only",
            _("The decision concerns an accessory: exchange or refund the accessory itself."),
        )
    unit = InstalledUnit.objects.select_for_update().get(pk=locked.unit_id)
    if unit.status != UnitStatus.IN_SERVICE and unit.status != UnitStatus.IN_WORKSHOP:
        raise Conflict("unit_not_in_service", _("The unit was already exchanged or returned."))
    today = clock.today()
    new_unit = None
    if outcome == "exchange":
        new_unit = customer_actions.unit_create(
            actor=actor,
            customer=unit.customer,
            product_model=unit.product_model,
            serial=new_serial,
            address=unit.address,
            purchase_date=today,
            invoice_date=today,
            installation_date=today,
            voucher_no=unit.voucher_no or f"EX-{locked.number}",
        )
        unit.status, unit.replaced_by = UnitStatus.EXCHANGED, new_unit
    else:
        unit.status = UnitStatus.RETURNED
    unit.version += 1
    unit.save(update_fields=["status", "replaced_by", "version", "updated_at"])
    payload: dict[str, Any] = {"outcome": outcome, "unit": unit.pk}
    if new_unit is not None:
        payload["new_unit"] = new_unit.pk
        payload["new_serial"] = new_unit.serial
    evidence = locked.warranty_detail or {}
    if outcome == "return" and evidence.get("period_ends"):
        start = unit.invoice_date or unit.purchase_date
        if start:
            payload["days_used"] = (today - start).days
    order_event(
        locked,
        actor=actor,
        kind=EventKind.NOTE,
        action=f"warranty_{outcome}",
        reason=reason,
        payload=payload,
    )
    audit_record(
        actor=actor,
        action=f"unit.{outcome}",
        obj=unit,
        changes={"status": ["in_service", unit.status]},
        reason=reason,
    )
    return new_unit
