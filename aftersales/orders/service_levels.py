"""Service levels of orders, the adapter between the pure core (`orders/sla.py`) and the
database: the company's editable policies (seeded from the defaults), due times recomputed after a
calendar change, and escalation as the due times come near or pass. The due-time plan of one
order (its rules, pauses and calendar) is `orders/intake.py`, shared with intake."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Region, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.core import clock
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.errors import NotFound
from aftersales.core.validation import Errors
from aftersales.notifications.actions import notify
from aftersales.orders import intake, sla
from aftersales.orders.actions import order_event
from aftersales.orders.choices import (
    MET_FIELD,
    OPEN,
    PAUSED,
    EventKind,
    Priority,
    ServiceType,
    Status,
    Target,
)
from aftersales.orders.models import OrderEscalation, ServiceOrder, SlaPolicy

# Escalation levels and who hears about them.
ESCALATION_ROLES = {1: Role.STATION_MANAGER, 2: Role.SERVICE_MANAGER, 3: Role.DEPARTMENT_HEAD}


def _locked(pk: int) -> ServiceOrder:
    found = ServiceOrder.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


# --- service levels ----------------------------------------------------------------------


@transaction.atomic
def sla_policies_seed(*, company_id: int) -> int:
    """Give a company editable copies of the default rules (once)."""
    if SlaPolicy.objects.filter(company_id=company_id).exists():
        return 0
    for rule in sla.DEFAULT_RULES:
        fields: dict[str, Any] = {}
        for target in sla.TARGETS:
            goal = rule.goals.get(target)
            fields[f"{target}_minutes"] = goal.minutes if goal else None
            fields[f"{target}_clock"] = goal.clock if goal else "working"
        SlaPolicy.objects.create(
            company_id=company_id, name=rule.name, priority=rule.priority or "", **fields
        )
    return len(sla.DEFAULT_RULES)


# --- service-level policies ------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "priority",
    "service_type",
    "region",
    "contract_level",
    "respond_minutes",
    "respond_clock",
    "arrive_minutes",
    "arrive_clock",
    "resolve_minutes",
    "resolve_clock",
    "rank",
    "active",
)


@transaction.atomic
def sla_policy_save(*, actor: User, policy: SlaPolicy | None = None, **fields: Any) -> SlaPolicy:
    """Create or edit a policy. Orders already taken keep the goals they were promised."""

    require(actor, Perm.SLA_EDIT)
    errors = Errors()
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 100:
        errors.add("name", _("Give a name of at most 100 characters."))
    if fields.get("priority") and fields["priority"] not in Priority.values:
        errors.add("priority", _("Unknown priority."))
    if fields.get("service_type") and fields["service_type"] not in ServiceType.values:
        errors.add("service_type", _("Unknown service type."))
    region = fields.get("region")
    region_id = getattr(region, "pk", region) or None
    if region_id and not Region.objects.filter(pk=region_id, company_id=company_of(actor)).exists():
        errors.add("region", _("Unknown region."))
    goals = 0
    for target in sla.TARGETS:
        minutes = fields.get(f"{target}_minutes")
        if minutes not in (None, ""):
            if not isinstance(minutes, int) or not 1 <= minutes <= 365 * 24 * 60:
                errors.add(f"{target}_minutes", _("Between 1 minute and one year."))
            goals += 1
        if fields.get(f"{target}_clock", "working") not in ("working", "calendar"):
            errors.add(f"{target}_clock", _("Unknown clock."))
    if not goals:
        errors.add("respond_minutes", _("Set at least one goal."))
    errors.raise_if_any()
    before = snapshot(policy, POLICY_FIELDS) if policy else {}
    target_policy = policy or SlaPolicy(company_id=company_of(actor))
    if policy is not None and policy.company_id != actor.company_id:
        raise NotFound("not_found", _("Not found."))
    for name_ in POLICY_FIELDS:
        if name_ == "region":
            target_policy.region_id = region_id
        elif name_ in fields:
            value = fields[name_]
            if name_ in ("priority", "service_type", "contract_level"):
                value = value or ""
            setattr(target_policy, name_, value)
    target_policy.name = name
    target_policy.save()
    audit_record(
        actor=actor,
        action="sla_policy.save",
        obj=target_policy,
        changes=changed(before, snapshot(target_policy, POLICY_FIELDS)),
    )
    return target_policy


# --- due times and escalation ----------------------------------------------------------------


def orders_recompute_due(*, company_id: int, provisional_only: bool) -> int:
    """Recompute due times of open orders (all, or only provisional ones) after a calendar
    change; each changed order gets an event. Returns how many changed."""
    qs = ServiceOrder.objects.filter(company_id=company_id, status__in=OPEN)
    if provisional_only:
        qs = qs.filter(due_provisional=True)
    changed = 0
    calendars = intake.Calendars(company_id)
    for pk in qs.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            order = _locked(pk)
            before = {t: getattr(order, f"{t}_due") for t in sla.TARGETS}
            was_provisional = order.due_provisional
            fields = intake.apply_plan(order, calendars)
            after = {t: getattr(order, f"{t}_due") for t in sla.TARGETS}
            if before == after and was_provisional == order.due_provisional:
                order.save(update_fields=["next_escalation_at"])
                continue
            order.save(update_fields=[*fields, "updated_at"])
            order_event(
                order,
                actor=None,
                kind=EventKind.DUE_RECOMPUTED,
                payload={
                    "before": {t: intake.iso(v) for t, v in before.items()},
                    "after": {t: intake.iso(v) for t, v in after.items()},
                    "provisional": order.due_provisional,
                },
            )
            changed += 1
    return changed


def escalation_run(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Take every escalation step whose moment has come. Idempotent: a step is a unique row,
    and its message carries a dedupe key, so running twice sends nothing twice."""
    now = now or clock.now()
    steps = 0
    ids = list(
        ServiceOrder.objects.filter(next_escalation_at__lte=now, status__in=OPEN)
        .order_by("next_escalation_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            steps += _escalate(pk, now)
    return steps


def _escalate(pk: int, now: dt.datetime) -> int:
    order = _locked(pk)
    if order.status not in OPEN or order.status in PAUSED:
        return 0
    plan = sla.plan_targets(
        goals=intake.order_goals(order),
        start=order.created_at,
        pauses=intake.order_pauses(order),
        calendar_for=intake.Calendars(order.company_id),
        ratios=intake.escalation_ratios(order.company_id),
    )
    taken = 0
    escalation = dict(order.escalation or {})
    for target, p in plan.items():
        if getattr(order, MET_FIELD[target]) is not None:
            continue
        reached = [lvl for lvl, moment in p.steps.items() if moment <= now]
        if not reached:
            continue
        level = max(reached)
        if level <= int(escalation.get(target, 0)):
            continue
        _row, created = OrderEscalation.objects.get_or_create(
            order=order, target=target, level=level, defaults={"due": p.due, "at": now}
        )
        escalation[target] = level
        if not created:
            continue
        taken += 1
        order_event(
            order,
            actor=None,
            kind=EventKind.ESCALATION,
            action="escalate",
            payload={
                "target": target,
                "level": level,
                "due": intake.iso(p.due),
                "breached": p.due is not None and p.due <= now,
            },
            at=now,
        )
        transaction.on_commit(partial(_notify_escalation, order.pk, target, level))
    order.escalation = escalation
    intake.apply_plan(order)
    order.save(update_fields=["escalation", "next_escalation_at"])
    return taken


def _notify_escalation(order_id: int, target: str, level: int) -> None:

    order = ServiceOrder.objects.select_related("station").get(pk=order_id)
    role = ESCALATION_ROLES[level]
    people = User.objects.filter(company_id=order.company_id, role=role, is_active=True)
    if role == Role.STATION_MANAGER:
        people = people.filter(station_id=order.station_id) if order.station_id else people.none()
    elif order.region_id:
        people = people.filter(Q(region_id__isnull=True) | Q(region_id=order.region_id))
    due = getattr(order, f"{target}_due")
    for person in people:
        with translation.override(person.reads()):
            label = Target(target).label
            if level == 1:
                subject = gettext("Order %(number)s: %(target)s due soon") % {
                    "number": order.number,
                    "target": label,
                }
            else:
                subject = gettext("Order %(number)s: %(target)s overdue (level %(level)d)") % {
                    "number": order.number,
                    "target": label,
                    "level": level,
                }
            body = gettext("Due %(due)s. Status: %(status)s.") % {
                "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "-",
                "status": Status(order.status).label,
            }
            notify(
                company_id=order.company_id,
                recipient=person,
                subject=subject,
                body=body,
                dedupe_key=f"escalation:{order.pk}:{target}:{level}:{person.pk}",
            )
