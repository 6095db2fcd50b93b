"""Every write of maintenance plans, their generated services, checklists and contracts.

Generation: for each unit a plan covers, the pure schedule (`schedule.py`) says when the next
service is due; when its window opens within the plan's horizon and no service of the plan is
open, an order of type maintenance is created through the order actions, linked to the plan,
the rule and the level by a `MaintenanceVisit` row whose key (plan, unit, service number,
attempt) is unique. The unit row is locked for the check and the create, so two runs at once,
a rerun, or a run after a crash make each order once. A cancelled order frees its service: the
next run orders it again (a new attempt).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.calendars.selectors import work_calendar
from aftersales.catalog.models import Part, ProductCategory, ProductModel
from aftersales.core import clock, transitions
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError, Conflict, NotFound
from aftersales.core.queue import trigger
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.customers import meters
from aftersales.customers.actions import unit_create, unit_meter_record, unit_update
from aftersales.customers.choices import MeterKind, UnitStatus
from aftersales.customers.models import Address, InstalledUnit, MeterReading
from aftersales.customers.selectors import customers_visible_to, meter_history, units_visible_to
from aftersales.customers.validation import clean_serial
from aftersales.fieldwork import signatures
from aftersales.fieldwork.rules import Line
from aftersales.maintenance import campaigns, checklist, schedule, selectors, tasks
from aftersales.maintenance.choices import (
    ACCEPTANCE_MACHINE,
    CAMPAIGN_MACHINE,
    CONTRACT_MACHINE,
    PLAN_MACHINE,
    AcceptanceStatus,
    BlockReason,
    CampaignKind,
    CampaignStatus,
    ContractStatus,
    PlanStatus,
    RuleKind,
    ScheduleState,
    TaskKind,
    VisitState,
)
from aftersales.maintenance.contracts import covered, price_with_coverage
from aftersales.maintenance.models import (
    AcceptanceDefect,
    AcceptanceEvent,
    AcceptanceRecord,
    Campaign,
    CampaignEvent,
    CampaignUnit,
    ChecklistEntry,
    ContractEvent,
    GenerationRun,
    LevelTask,
    MaintenanceLevel,
    MaintenancePlan,
    MaintenanceRule,
    MaintenanceVisit,
    PlanEvent,
    ServiceContract,
    UnitPlanOverride,
    UnitSchedule,
)
from aftersales.notifications.actions import notify_customer
from aftersales.orders import uploads
from aftersales.orders.actions import order_create, order_event
from aftersales.orders.bulk import OrderRequest, orders_create_bulk
from aftersales.orders.choices import REOPENABLE, EventKind, Priority, Status
from aftersales.orders.installation import order_unit_link
from aftersales.orders.intake import Calendars
from aftersales.orders.models import ServiceOrder, SlaPolicy
from aftersales.orders.selectors import orders_visible_to
from aftersales.orders.service_levels import sla_policies_seed, sla_policy_save
from aftersales.parts.actions import reservation_release, stock_reserve
from aftersales.parts.models import Reservation, Warehouse
from aftersales.warranty.actions import policy_for
from aftersales.warranty.engine import WarrantyInputError

logger = logging.getLogger(__name__)

# --- plans -----------------------------------------------------------------------------------

PLAN_FIELDS = (
    "name",
    "meter_kind",
    "window_days",
    "horizon_days",
    "working_days_only",
    "blackout_months",
    "priority",
    "needs_contract",
)


def _months(value: Any, errors: Errors, field: str = "blackout_months") -> list[int]:
    try:
        months = sorted({int(m) for m in (value or [])})
    except (TypeError, ValueError):
        errors.add(field, _("Months are numbers 1 to 12."))
        return []
    if any(not 1 <= m <= 12 for m in months):
        errors.add(field, _("Months are numbers 1 to 12."))
    if len(months) >= 12:
        errors.add(field, _("At least one month must allow visits."))
    return months


def _plan_values(plan: MaintenancePlan, fields: dict[str, Any], errors: Errors) -> None:
    if "name" in fields:
        plan.name = (fields["name"] or "").strip()[:100]
        if not plan.name:
            errors.add("name", _("Give the plan a name."))
    if "meter_kind" in fields:
        if fields["meter_kind"] not in MeterKind.values:
            errors.add("meter_kind", _("Choose kilometres or running hours."))
        else:
            plan.meter_kind = fields["meter_kind"]
    for name, high in (("window_days", 60), ("horizon_days", 365)):
        if name in fields:
            try:
                number = int(fields[name])
            except (TypeError, ValueError):
                number = -1
            if not 0 <= number <= high:
                errors.add(name, _("Between %(low)s and %(high)s.") % {"low": 0, "high": high})
            else:
                setattr(plan, name, number)
    for name in ("working_days_only", "needs_contract"):
        if name in fields:
            setattr(plan, name, bool(fields[name]))
    if "blackout_months" in fields:
        plan.blackout_months = _months(fields["blackout_months"], errors)
    if "priority" in fields:
        if fields["priority"] not in Priority.values:
            errors.add("priority", _("Unknown priority."))
        else:
            plan.priority = fields["priority"]


@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    product_model: Any = None,
    category: Any = None,
    **fields: Any,
) -> MaintenancePlan:
    """A new plan (draft) for a product model or a category."""
    require(actor, Perm.MAINTENANCE_PLANS)
    errors = Errors()
    plan = MaintenancePlan(company_id=company_of(actor))
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        errors.add(sorted(unknown)[0], _("Unknown field."))
    _plan_values(plan, {"name": name, **fields}, errors)
    if product_model not in (None, ""):
        plan.product_model = ProductModel.objects.filter(
            pk=as_id(product_model), category__company_id=company_of(actor)
        ).first()
        if plan.product_model is None:
            errors.add("product_model", _("Unknown product model."))
    if category not in (None, ""):
        plan.category = ProductCategory.objects.filter(
            pk=as_id(category), company_id=company_of(actor)
        ).first()
        if plan.category is None:
            errors.add("category", _("Unknown product category."))
    if product_model in (None, "") and category in (None, ""):
        errors.add("product_model", _("Choose a product model or a category."))
    errors.raise_if_any()
    plan.save()
    transitions.record(
        PlanEvent,
        subject_field="plan",
        subject=plan,
        actor=actor,
        action="create",
        to_status=plan.status,
    )
    return plan


def _locked_plan(actor: User, plan: Any) -> MaintenancePlan:
    found = (
        MaintenancePlan.objects.select_for_update()
        .filter(pk=as_id(plan), company_id=company_of(actor))
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Unknown maintenance plan."))
    return found


@transaction.atomic
def plan_update(*, actor: User, plan: Any, **fields: Any) -> MaintenancePlan:
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = _locked_plan(actor, plan)
    errors = Errors()
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        errors.add(sorted(unknown)[0], _("Unknown field."))
    before = {f: getattr(locked, f) for f in PLAN_FIELDS}
    _plan_values(locked, fields, errors)
    errors.raise_if_any()
    changes = {
        f: [before[f], getattr(locked, f)] for f in PLAN_FIELDS if before[f] != getattr(locked, f)
    }
    locked.version += 1
    locked.save(update_fields=[*PLAN_FIELDS, "version", "updated_at"])
    transitions.record(
        PlanEvent,
        subject_field="plan",
        subject=locked,
        actor=actor,
        action="edit",
        payload={"changes": {k: [str(a), str(b)] for k, (a, b) in changes.items()}},
    )
    return locked


@transaction.atomic
def plan_transition(*, actor: User, plan: Any, action: str, reason: str = "") -> MaintenancePlan:
    """Activate, pause or retire a plan (the transition kernel). A plan is activated only with
    a rule that can date a service."""
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = _locked_plan(actor, plan)
    if action == "activate":
        rules = list(locked.rules.all())
        if not any(r.days or r.months or r.meter for r in rules):
            raise Conflict("no_rules", _("Add a rule with days, months or a meter interval first."))
    transitions.apply(
        PLAN_MACHINE,
        locked,
        action,
        event_model=PlanEvent,
        subject_field="plan",
        actor=actor,
        reason=reason,
    )
    return locked


def _decimal(value: Any, errors: Errors, field: str, *, positive: bool = True) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(field, _("Enter a number."))
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e9") or (positive and number <= 0):
        errors.add(field, _("Enter a positive number."))
        return None
    return number


def _whole(value: Any, errors: Errors, field: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        errors.add(field, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
        return None
    return number


@transaction.atomic
def rule_save(
    *,
    actor: User,
    plan: Any,
    kind: str,
    days: Any = None,
    months: Any = None,
    meter: Any = None,
    nth: Any = None,
    weekday: Any = None,
) -> MaintenanceRule:
    """Set the plan's first-service or periodic rule (one of each); it gets a base level."""
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = _locked_plan(actor, plan)
    errors = Errors()
    if kind not in RuleKind.values:
        errors.add("kind", _("Choose first service or periodic service."))
    the_days = _whole(days, errors, "days", 1, 3650)
    the_months = _whole(months, errors, "months", 1, 120)
    the_meter = _decimal(meter, errors, "meter")
    the_nth = _whole(nth, errors, "nth", -1, 5)
    the_weekday = _whole(weekday, errors, "weekday", 0, 6)
    if the_nth == 0:
        errors.add("nth", _("Between %(low)s and %(high)s.") % {"low": -1, "high": 5})
    if kind == RuleKind.FIRST and the_months:
        errors.add("months", _("The first service is counted in days."))
    if not (the_days or the_months or the_meter) and "kind" not in errors.fields:
        errors.add("days", _("Give days, months or a meter interval (whichever comes first)."))
    if (the_nth is None) != (the_weekday is None):
        errors.add("weekday", _("Give both the nth and the weekday, or neither."))
    errors.raise_if_any()
    rule, created = MaintenanceRule.objects.get_or_create(plan=locked, kind=kind)
    rule.days, rule.months, rule.meter = the_days, the_months, the_meter
    rule.nth, rule.weekday = the_nth, the_weekday
    rule.save()
    if created:
        name = gettext("First service") if kind == RuleKind.FIRST else gettext("Periodic service")
        MaintenanceLevel.objects.create(rule=rule, name=name)
    transitions.record(
        PlanEvent,
        subject_field="plan",
        subject=locked,
        actor=actor,
        action="rule",
        payload={
            "kind": kind,
            "days": the_days,
            "months": the_months,
            "meter": str(the_meter or ""),
        },
    )
    return rule


@transaction.atomic
def level_save(
    *,
    actor: User,
    rule: Any,
    name: str,
    at_meter: Any = None,
    every_nth: Any = None,
    duration_minutes: Any = 60,
    level: Any = None,
) -> MaintenanceLevel:
    """Add (or edit) a level of a rule: at a meter position or every nth service (neither: the
    base level, which each rule has once)."""
    require(actor, Perm.MAINTENANCE_PLANS)
    the_rule = MaintenanceRule.objects.filter(
        pk=as_id(rule), plan__company_id=company_of(actor)
    ).first()
    if the_rule is None:
        raise NotFound("not_found", _("Unknown rule."))
    _locked_plan(actor, the_rule.plan_id)
    errors = Errors()
    name = (name or "").strip()[:100]
    if not name:
        errors.add("name", _("Give the level a name."))
    position = _decimal(at_meter, errors, "at_meter")
    nth = _whole(every_nth, errors, "every_nth", 1, 1000)
    duration = _whole(duration_minutes, errors, "duration_minutes", 5, 24 * 60)
    if position is not None and nth is not None:
        errors.add("every_nth", _("Give a meter position or every nth service, not both."))
    if position is not None and the_rule.meter and position % the_rule.meter != 0:
        errors.add("at_meter", _("The position must be a multiple of the rule's interval."))
    if position is not None and not the_rule.meter:
        errors.add("at_meter", _("The rule has no meter interval; use every nth service."))
    errors.raise_if_any()
    row = (
        MaintenanceLevel.objects.filter(pk=as_id(level), rule=the_rule).first()
        if level not in (None, "")
        else MaintenanceLevel(rule=the_rule)
    )
    if row is None:
        raise NotFound("not_found", _("Unknown level."))
    row.name, row.at_meter, row.every_nth = name, position, nth
    row.duration_minutes = duration or 60
    row.save()
    return row


@transaction.atomic
def task_save(
    *,
    actor: User,
    level: Any,
    kind: str,
    text: str,
    unit_label: str = "",
    low: Any = None,
    high: Any = None,
    part: Any = None,
    quantity: Any = 1,
    position: Any = None,
) -> LevelTask:
    """Add a task to a level: check, measure (with limits) or replace (with the kit's part)."""
    require(actor, Perm.MAINTENANCE_PLANS)
    the_level = (
        MaintenanceLevel.objects.select_related("rule")
        .filter(pk=as_id(level), rule__plan__company_id=company_of(actor))
        .first()
    )
    if the_level is None:
        raise NotFound("not_found", _("Unknown level."))
    _locked_plan(actor, the_level.rule.plan_id)
    errors = Errors()
    if kind not in TaskKind.values:
        errors.add("kind", _("Choose check, measure or replace."))
    text = (text or "").strip()[:200]
    if not text:
        errors.add("text", _("Describe the task."))
    the_low = _decimal(low, errors, "low", positive=False)
    the_high = _decimal(high, errors, "high", positive=False)
    if the_low is not None and the_high is not None and the_low > the_high:
        errors.add("high", _("The highest limit must not be below the lowest."))
    if kind == TaskKind.MEASURE and the_low is None and the_high is None:
        errors.add("low", _("A measurement needs a lowest or a highest limit."))
    the_part = None
    if kind == TaskKind.REPLACE:
        the_part = Part.objects.filter(pk=as_id(part), company_id=company_of(actor)).first()
        if the_part is None:
            errors.add("part", _("Choose the part to replace."))
    amount = _decimal(quantity, errors, "quantity") or Decimal(1)
    errors.raise_if_any()
    order = _whole(position, errors, "position", 0, 999)
    if order is None:
        order = the_level.tasks.count() + 1
    return LevelTask.objects.create(
        level=the_level,
        position=order,
        kind=kind,
        text=text,
        unit_label=(unit_label or "").strip()[:16],
        low=the_low,
        high=the_high,
        part=the_part,
        quantity=amount,
    )


@transaction.atomic
def unit_plan_override(
    *, actor: User, unit: Any, plan: Any = None, blackout_months: Any = None
) -> UnitPlanOverride:
    """Give a unit its own plan (empty: none) and the customer's blackout months."""
    require(actor, Perm.MAINTENANCE_PLANS)
    found = units_visible_to(actor).filter(pk=as_id(unit)).first()
    if found is None:
        raise NotFound("not_found", _("Unknown unit."))
    errors = Errors()
    the_plan = None
    if plan not in (None, ""):
        the_plan = MaintenancePlan.objects.filter(
            pk=as_id(plan), company_id=company_of(actor)
        ).first()
        if the_plan is None:
            errors.add("plan", _("Unknown maintenance plan."))
    months = _months(blackout_months, errors)
    errors.raise_if_any()
    row, _created = UnitPlanOverride.objects.update_or_create(
        unit=found, defaults={"plan": the_plan, "blackout_months": months}
    )
    audit_record(
        actor=actor,
        action="maintenance.unit_override",
        obj=found,
        changes={"plan": [None, the_plan.pk if the_plan else None], "blackout": [None, months]},
    )
    return row


# --- the system's actor ----------------------------------------------------------------------


def planner_user(company_id: int) -> User:
    """The company's maintenance planner account: the actor of generated orders (it has no
    password and cannot sign in)."""
    company = Company.objects.get(pk=company_id)
    username = f"planner-{company.code}"
    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    user = org.user_create(
        actor=None,
        username=username,
        password=secrets.token_urlsafe(24),
        role=Role.AGENT,
        company=company,
        first_name=gettext("Maintenance planner"),
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


# --- which plan, which facts -----------------------------------------------------------------


def plan_for_unit(unit: InstalledUnit) -> MaintenancePlan | None:
    """The unit's plan: its override (which may be none), else the active plan of its model,
    else of its category."""
    override = UnitPlanOverride.objects.filter(unit=unit).select_related("plan").first()
    if override is not None:
        return override.plan
    plans = MaintenancePlan.objects.filter(company_id=unit.company_id, status=PlanStatus.ACTIVE)
    found = plans.filter(product_model_id=unit.product_model_id).order_by("id").first()
    if found is None:
        found = (
            plans.filter(category_id=unit.product_model.category_id, product_model__isnull=True)
            .order_by("id")
            .first()
        )
    return found


def units_for_plan(plan: MaintenancePlan) -> Any:
    """The ids of the units the plan covers (overrides included and excluded)."""
    overridden = UnitPlanOverride.objects.values("unit_id")
    units = InstalledUnit.objects.filter(company_id=plan.company_id)
    if plan.product_model_id:
        base = units.filter(product_model_id=plan.product_model_id)
    else:
        own_plans = MaintenancePlan.objects.filter(
            company_id=plan.company_id, status=PlanStatus.ACTIVE, product_model__isnull=False
        ).values("product_model_id")
        base = units.filter(product_model__category_id=plan.category_id).exclude(
            product_model_id__in=own_plans
        )
    active = plan.status == PlanStatus.ACTIVE
    base = base.exclude(pk__in=overridden) if active else base.none()
    chosen = UnitPlanOverride.objects.filter(plan=plan).values("unit_id")
    return (base | units.filter(pk__in=chosen)).order_by("id").values_list("id", flat=True)


def rules_of(plan: MaintenancePlan) -> list[schedule.Rule]:
    out = []
    for rule in plan.rules.prefetch_related("levels").all():
        levels = list(rule.levels.all())
        base = next((lv.pk for lv in levels if lv.is_base), None)
        out.append(
            schedule.Rule(
                key=rule.pk,
                kind=rule.kind,
                days=rule.days,
                months=rule.months,
                meter=rule.meter,
                base_level=base,
                tiers=tuple(
                    schedule.Tier(key=lv.pk, at=lv.at_meter, nth=lv.every_nth)
                    for lv in levels
                    if not lv.is_base
                ),
                nth_weekday=(rule.nth, rule.weekday)
                if rule.nth is not None and rule.weekday is not None
                else None,
            )
        )
    return out


def timing_of(plan: MaintenancePlan, unit: InstalledUnit) -> schedule.Timing:
    override = UnitPlanOverride.objects.filter(unit=unit).first()
    months = set(plan.blackout_months or []) | set(override.blackout_months if override else [])
    return schedule.Timing(
        window_days=plan.window_days,
        horizon_days=plan.horizon_days,
        working_days_only=plan.working_days_only,
        blackout_months=frozenset(int(m) for m in months),
    )


def _start(unit: InstalledUnit) -> dt.date | None:
    return unit.installation_date or unit.purchase_date or unit.invoice_date


def _done_meter(visit: MaintenanceVisit, kind: str) -> Decimal | None:
    reading = (
        MeterReading.objects.filter(unit_id=visit.unit_id, kind=kind, reference=visit.order.number)
        .order_by("-read_on", "-id")
        .first()
    )
    return reading.value if reading else None


def _reconcile(unit: InstalledUnit, plan: MaintenancePlan) -> None:
    """Open services whose order was completed become done (date, meter read on the visit);
    cancelled ones are freed (the service is ordered again)."""
    for visit in MaintenanceVisit.objects.select_related("order").filter(
        unit=unit, plan=plan, state=VisitState.OPEN
    ):
        if visit.order.status in REOPENABLE:
            visit.state = VisitState.DONE
            done_at = visit.order.completed_at or clock.now()
            visit.done_on = timezone.localtime(done_at).date()
            visit.done_meter = _done_meter(visit, plan.meter_kind)
            visit.save(update_fields=["state", "done_on", "done_meter"])
        elif visit.order.status == Status.CANCELLED:
            visit.state = VisitState.CANCELLED
            visit.save(update_fields=["state"])


def facts_for(
    unit: InstalledUnit, plan: MaintenancePlan, *, live: bool = False
) -> schedule.UnitFacts:
    """The unit's facts for the schedule. `live` reads a completed order as done even before
    the next run has recorded it (the pages)."""
    readings = meter_history(unit.pk, plan.meter_kind)
    visits = MaintenanceVisit.objects.select_related("order").filter(unit=unit, plan=plan)
    last: schedule.Done | None = None
    for visit in visits.order_by("seq", "attempt"):
        if visit.state == VisitState.DONE:
            last = schedule.Done(
                seq=visit.seq, on=visit.done_on or visit.due_on, meter=visit.done_meter
            )
        elif live and visit.state == VisitState.OPEN and visit.order.status in REOPENABLE:
            done_at = visit.order.completed_at or clock.now()
            last = schedule.Done(
                seq=visit.seq,
                on=timezone.localtime(done_at).date(),
                meter=_done_meter(visit, plan.meter_kind),
            )
    return schedule.UnitFacts(start=_start(unit), readings=readings, last_done=last)


def working_days(company_id: int) -> Callable[[dt.date], bool]:
    return work_calendar(company_id).is_working_day


# --- generation ------------------------------------------------------------------------------


def _active_contract(unit: InstalledUnit, on: dt.date) -> ServiceContract | None:
    return (
        ServiceContract.objects.filter(
            units=unit, status=ContractStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on
        )
        .order_by("-starts_on", "-id")
        .first()
    )


def _blocked(unit: InstalledUnit, plan: MaintenancePlan, due: schedule.Due) -> Any:
    if unit.status != UnitStatus.IN_SERVICE:
        return BlockReason.UNIT_RETIRED
    has_address = unit.address_id or Address.objects.filter(customer_id=unit.customer_id).exists()
    if not has_address:
        return BlockReason.NO_ADDRESS
    if plan.needs_contract and _active_contract(unit, due.on) is None:
        return BlockReason.CONTRACT_EXPIRED
    return ""


def _window(due: schedule.Due) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(due.window_start, dt.time(9), tzinfo=tz)
    end = dt.datetime.combine(due.window_end, dt.time(18), tzinfo=tz)
    return start, end


def _describe(plan: MaintenancePlan, level: MaintenanceLevel | None, due: schedule.Due) -> str:
    lines = [f"{plan.name} · {level.name if level else ''}".strip(" ·")]
    if due.meter_at is not None:
        lines.append(
            f"{gettext('Due at')} {due.meter_at.normalize():f} {MeterKind(plan.meter_kind).label}"
        )
    if level is not None:
        lines += [f"- {t.text}" for t in level.tasks.all()]
    return "\n".join(lines)


def _level(plan: MaintenancePlan, due: schedule.Due) -> MaintenanceLevel | None:
    return MaintenanceLevel.objects.filter(pk=due.level).first() if due.level else None


def _visit_key(plan: MaintenancePlan, unit_id: int, due: schedule.Due, attempt: int) -> str:
    return f"maint:{plan.pk}:{unit_id}:{due.seq}:{attempt}"


def _visit(
    unit: InstalledUnit,
    plan: MaintenancePlan,
    due: schedule.Due,
    attempt: int,
    level: MaintenanceLevel | None,
    order: ServiceOrder,
) -> MaintenanceVisit:
    return MaintenanceVisit(
        key=_visit_key(plan, unit.pk, due, attempt),
        company_id=unit.company_id,
        unit=unit,
        plan=plan,
        rule_id=due.rule,
        level=level,
        seq=due.seq,
        attempt=attempt,
        order=order,
        due_on=due.on,
        due_by=due.by,
        meter_at=due.meter_at,
    )


def _create_order(
    unit: InstalledUnit, plan: MaintenancePlan, due: schedule.Due, attempt: int
) -> MaintenanceVisit:
    level = _level(plan, due)
    key = _visit_key(plan, unit.pk, due, attempt)
    start, end = _window(due)
    contract = _active_contract(unit, due.on)
    order, _created = order_create(
        actor=planner_user(unit.company_id),
        customer=unit.customer_id,
        unit=unit,
        channel="maintenance_plan",
        service_type="maintenance",
        priority=str(plan.priority),
        fault_description=_describe(plan, level, due),
        contract_level=contract.number if contract else "",
        preferred_start=start,
        preferred_end=end,
        allow_duplicate=True,
        idempotency_key=key,
    )
    found = MaintenanceVisit.objects.filter(key=key).first()
    if found is not None:
        return found
    visit = _visit(unit, plan, due, attempt, level, order)
    visit.save()
    _remind_later([visit.pk])
    return visit


def _remind_later(visit_ids: list[int]) -> None:
    """The customers' reminders of new services: written at once while replaying the past (kept
    as suppressed, never sent), else by a queued job after the commit."""
    if not visit_ids:
        return
    if clock.replaying():
        for pk in visit_ids:
            _remind(pk)
        return

    def queue() -> None:
        trigger(tasks.remind_task, visit_ids)

    transaction.on_commit(queue)


def visits_remind(*, visit_ids: list[int]) -> int:
    """The queued job's action: remind the customer of each new service (once: deduplicated)."""
    for pk in visit_ids:
        _remind(pk)
    return len(visit_ids)


def _remind(visit_id: int) -> None:
    """Tell the customer the service is due and when (their channel, with their consent; the
    portal lists the order)."""
    visit = (
        MaintenanceVisit.objects.select_related("order__customer", "plan")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        return
    notify_customer(
        company_id=visit.company_id,
        customer=visit.order.customer,
        event="maintenance_due",
        context={
            "number": visit.order.number,
            "plan": visit.plan.name,
            "start": visit.due_on.isoformat()
            if not visit.order.preferred_start
            else timezone.localtime(visit.order.preferred_start).date().isoformat(),
            "end": timezone.localtime(visit.order.preferred_end).date().isoformat()
            if visit.order.preferred_end
            else visit.due_on.isoformat(),
        },
        dedupe_key=f"maintenance-due:{visit.pk}",
    )


class _Decision:
    """What the projection says for one locked unit: its next service, the schedule state and
    reason, and the attempt to order now (0: nothing to order)."""

    __slots__ = ("unit", "due", "state", "reason", "attempt")

    def __init__(self, unit: InstalledUnit, due: schedule.Due | None) -> None:
        self.unit, self.due = unit, due
        self.state: Any = ScheduleState.WAITING
        self.reason: Any = ""
        self.attempt = 0


def _decide(
    locked: InstalledUnit,
    plan: MaintenancePlan,
    today: dt.date,
    is_working: Callable[[dt.date], bool],
    rules: list[schedule.Rule],
) -> _Decision:
    _reconcile(locked, plan)
    facts = facts_for(locked, plan)
    timing = timing_of(plan, locked)
    due = schedule.next_due(rules, facts, timing, is_working=is_working)
    decision = _Decision(locked, due)
    open_visit = MaintenanceVisit.objects.filter(
        unit=locked, plan=plan, state=VisitState.OPEN
    ).exists()
    if open_visit:
        decision.state = ScheduleState.ORDERED
    elif due is None:
        decision.state, decision.reason = ScheduleState.UNKNOWN, BlockReason.NO_START
    elif schedule.should_create(due, today=today, timing=timing, open_order=False):
        decision.reason = _blocked(locked, plan, due)
        if decision.reason:
            decision.state = ScheduleState.BLOCKED
        else:
            decision.attempt = (
                MaintenanceVisit.objects.filter(unit=locked, plan=plan, seq=due.seq).count() + 1
            )
    return decision


def _schedule_row(plan: MaintenancePlan, d: _Decision) -> UnitSchedule:
    due = d.due
    return UnitSchedule(
        company_id=d.unit.company_id,
        unit=d.unit,
        plan=plan,
        seq=due.seq if due else 1,
        rule_id=due.rule if due else None,
        level_id=due.level if due else None,
        due_on=due.on if due else None,
        due_by=due.by if due else "",
        meter_at=due.meter_at if due else None,
        state=d.state,
        reason=d.reason,
        updated_at=clock.now(),
    )


SCHEDULE_FIELDS = [
    "seq",
    "rule",
    "level",
    "due_on",
    "due_by",
    "meter_at",
    "state",
    "reason",
    "updated_at",
]


def unit_generate(
    *,
    unit: InstalledUnit | int,
    plan: MaintenancePlan | None = None,
    today: dt.date | None = None,
    is_working: Callable[[dt.date], bool] | None = None,
    rules: list[schedule.Rule] | None = None,
) -> UnitSchedule | None:
    """Project one unit's next service and order it when due (idempotent; the unit row is
    locked). Returns the unit's schedule row (None when it has no active plan)."""
    today = today or clock.today()
    with transaction.atomic():
        locked = (
            InstalledUnit.objects.select_for_update()
            .select_related("product_model")
            .filter(pk=as_id(unit))
            .first()
        )
        if locked is None:
            return None
        the_plan = plan or plan_for_unit(locked)
        if the_plan is None or the_plan.status != PlanStatus.ACTIVE:
            return None
        d = _decide(
            locked,
            the_plan,
            today,
            is_working or working_days(locked.company_id),
            rules if rules is not None and plan is not None else rules_of(the_plan),
        )
        ordered = False
        if d.attempt and d.due is not None:
            try:
                with transaction.atomic():
                    _create_order(locked, the_plan, d.due, d.attempt)
                d.state, ordered = ScheduleState.ORDERED, True
            except ApplicationError:
                d.state, d.reason = ScheduleState.BLOCKED, BlockReason.REFUSED
        row = _schedule_save(locked, the_plan, d)
        row.just_ordered = ordered  # type: ignore[attr-defined]
        return row


def _schedule_save(unit: InstalledUnit, plan: MaintenancePlan, d: _Decision) -> UnitSchedule:
    """The unit's schedule row under the plan, written from the decision."""
    fresh = _schedule_row(plan, d)
    row, _created = UnitSchedule.objects.update_or_create(
        unit=unit,
        plan=plan,
        defaults={
            "company_id": unit.company_id,
            "seq": fresh.seq,
            "rule_id": fresh.rule_id,
            "level_id": fresh.level_id,
            "due_on": fresh.due_on,
            "due_by": fresh.due_by,
            "meter_at": fresh.meter_at,
            "state": fresh.state,
            "reason": fresh.reason,
            "updated_at": fresh.updated_at,
        },
    )
    return row


def unit_project(*, unit: InstalledUnit, plan: MaintenancePlan) -> UnitSchedule:
    """Re-project the (locked) unit's next service into its schedule row at once, without
    ordering anything: a service due now stays `waiting` for the next generation run, which
    orders it (so a past service recorded under `clock.at` never orders one in that past)."""
    d = _decide(unit, plan, clock.today(), working_days(unit.company_id), rules_of(plan))
    return _schedule_save(unit, plan, d)


def units_generate(
    *,
    plan: MaintenancePlan,
    unit_ids: list[int],
    today: dt.date,
    is_working: Callable[[dt.date], bool],
    rules: list[schedule.Rule],
    actor: User | None = None,
    calendars: Calendars | None = None,
) -> tuple[int, Counter[str]]:
    """`unit_generate` for a batch of the plan's units in one transaction: the units locked in
    id order, each projected under its lock, the due services ordered in one bulk call of the
    order actions (`orders.bulk.orders_create_bulk`, one idempotency key per service), their
    links and the projections written in bulk. `calendars`: the company's calendars read once
    for the whole run (passed on to the order actions). Returns (orders created, blocked
    reasons)."""
    blocked: Counter[str] = Counter()
    with transaction.atomic():
        locked = list(
            InstalledUnit.objects.select_for_update()
            .select_related("product_model")
            .filter(pk__in=unit_ids)
            .order_by("pk")
        )
        decisions = [_decide(u, plan, today, is_working, rules) for u in locked]
        wanted = [d for d in decisions if d.attempt and d.due is not None]
        created_keys: set[str] = set()
        if wanted:
            levels = {
                lv.pk: lv
                for lv in MaintenanceLevel.objects.filter(rule__plan=plan).prefetch_related("tasks")
            }
            contracts = _contracts_of([d.unit.pk for d in wanted])
            requests = []
            for d in wanted:
                assert d.due is not None
                start, end = _window(d.due)
                contract = next(
                    (
                        c
                        for c in contracts.get(d.unit.pk, [])
                        if c.starts_on <= d.due.on <= c.ends_on
                    ),
                    None,
                )
                requests.append(
                    OrderRequest(
                        key=_visit_key(plan, d.unit.pk, d.due, d.attempt),
                        customer=d.unit.customer_id,
                        unit=d.unit.pk,
                        channel="maintenance_plan",
                        service_type="maintenance",
                        priority=str(plan.priority),
                        fault_description=_describe(
                            plan, levels.get(d.due.level) if d.due.level else None, d.due
                        ),
                        contract_level=contract.number if contract else "",
                        preferred_start=start,
                        preferred_end=end,
                    )
                )
            result = orders_create_bulk(
                actor=actor or planner_user(plan.company_id),
                requests=requests,
                calendars=calendars,
            )
            known = set(
                MaintenanceVisit.objects.filter(key__in=[r.key for r in requests]).values_list(
                    "key", flat=True
                )
            )
            links = []
            for d, r in zip(wanted, requests, strict=True):
                assert d.due is not None
                order = result.orders.get(r.key)
                if order is None:
                    d.state, d.reason = ScheduleState.BLOCKED, BlockReason.REFUSED
                    continue
                d.state = ScheduleState.ORDERED
                if r.key not in known:
                    level = levels.get(d.due.level) if d.due.level else None
                    links.append(_visit(d.unit, plan, d.due, d.attempt, level, order))
                    created_keys.add(r.key)
            made = MaintenanceVisit.objects.bulk_create(links, batch_size=500)
            _remind_later([v.pk for v in made])
        for d in decisions:
            if d.state in (ScheduleState.BLOCKED, ScheduleState.UNKNOWN):
                blocked[str(d.reason)] += 1
        UnitSchedule.objects.bulk_create(
            [_schedule_row(plan, d) for d in decisions],
            update_conflicts=True,
            unique_fields=["unit", "plan"],
            update_fields=SCHEDULE_FIELDS,
        )
    return len(created_keys), blocked


def _contracts_of(unit_ids: list[int]) -> dict[int, list[ServiceContract]]:
    """The active contracts covering each unit (newest first)."""
    out: dict[int, list[ServiceContract]] = {}
    through = ServiceContract.units.through
    rows = through.objects.filter(
        installedunit_id__in=unit_ids, servicecontract__status=ContractStatus.ACTIVE
    ).select_related("servicecontract")
    for row in sorted(rows, key=lambda r: (-r.servicecontract.starts_on.toordinal(), -r.pk)):
        out.setdefault(row.installedunit_id, []).append(row.servicecontract)
    return out


CHUNK = 2000
BATCH = 500


def plan_generate(*, plan: MaintenancePlan | int, today: dt.date | None = None) -> GenerationRun:
    """One generation run over a plan's units; the run's row is the log (created, blocked by
    reason).

    Units are read in chunks with their readings and services, and projected in memory; only
    units whose service is to be ordered now, or whose open service's order has finished or
    been cancelled, take the locked path (`units_generate`, in batches, which checks again
    under the locks). The others' projections are written in bulk."""
    the_plan = MaintenancePlan.objects.get(pk=as_id(plan))
    run = GenerationRun.objects.create(plan=the_plan)
    today = today or clock.today()
    # The company's calendars, read once for the run: the schedule's working days, and the
    # orders' due times and 三包 decisions in every batch.
    calendars = Calendars(the_plan.company_id)
    is_working = calendars.working.is_working_day
    rules = rules_of(the_plan)
    actor = planner_user(the_plan.company_id)
    blocked: Counter[str] = Counter()
    units = created = 0
    ids = list(units_for_plan(the_plan))
    for k in range(0, len(ids), CHUNK):
        chunk = ids[k : k + CHUNK]
        units += len(chunk)
        slow, rows, counted = _project_chunk(the_plan, chunk, rules, today, is_working)
        blocked.update(counted)
        for b in range(0, len(slow), BATCH):
            made, refused = units_generate(
                plan=the_plan,
                unit_ids=slow[b : b + BATCH],
                today=today,
                is_working=is_working,
                rules=rules,
                actor=actor,
                calendars=calendars,
            )
            created += made
            blocked.update(refused)
        if rows:
            UnitSchedule.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["unit", "plan"],
                update_fields=SCHEDULE_FIELDS,
            )
    run.finished_at = clock.now()
    run.units, run.created, run.blocked = units, created, dict(blocked)
    run.save(update_fields=["finished_at", "units", "created", "blocked"])
    MaintenancePlan.objects.filter(pk=the_plan.pk).update(last_run_at=run.finished_at)
    return run


def _project_chunk(
    plan: MaintenancePlan,
    chunk: list[int],
    rules: list[schedule.Rule],
    today: dt.date,
    is_working: Callable[[dt.date], bool],
) -> tuple[list[int], list[UnitSchedule], Counter[str]]:
    """(units for the locked path, the others' schedule rows that changed, the others' blocked
    reasons counted) for one chunk of units."""
    # Id ranges rather than long IN lists (chunks are consecutive ids of the plan's units).
    lo, hi, members = chunk[0], chunk[-1], set(chunk)
    units = [
        u
        for u in InstalledUnit.objects.filter(pk__gte=lo, pk__lte=hi).values_list(
            "id", "installation_date", "purchase_date", "invoice_date"
        )
        if u[0] in members
    ]
    readings: dict[int, list[meters.Reading]] = {}
    for unit_id, on, value, replaced, pk in (
        MeterReading.objects.filter(unit_id__gte=lo, unit_id__lte=hi, kind=plan.meter_kind)
        .order_by("unit_id", "read_on", "id")
        .values_list("unit_id", "read_on", "value", "meter_replaced", "id")
    ):
        if unit_id not in members:
            continue
        readings.setdefault(unit_id, []).append(
            meters.Reading(on=on, value=value, replaced=replaced, seq=pk)
        )
    last_done: dict[int, schedule.Done] = {}
    open_units: set[int] = set()
    slow: list[int] = []
    for unit_id, seq, visit_state, done_on, due_on, done_meter, order_status in (
        MaintenanceVisit.objects.filter(unit_id__gte=lo, unit_id__lte=hi, plan=plan)
        .exclude(state=VisitState.CANCELLED)
        .order_by("unit_id", "seq")
        .values_list("unit_id", "seq", "state", "done_on", "due_on", "done_meter", "order__status")
    ):
        if unit_id not in members:
            continue
        if visit_state == VisitState.DONE:
            last_done[unit_id] = schedule.Done(seq=seq, on=done_on or due_on, meter=done_meter)
        elif order_status in REOPENABLE or order_status == Status.CANCELLED:
            slow.append(unit_id)  # to be reconciled under the lock
        else:
            open_units.add(unit_id)
    overrides = dict(
        UnitPlanOverride.objects.filter(unit_id__gte=lo, unit_id__lte=hi).values_list(
            "unit_id", "blackout_months"
        )
    )
    base = set(plan.blackout_months or [])
    stored = {
        row[0]: row[1:]
        for row in UnitSchedule.objects.filter(
            plan=plan, unit_id__gte=lo, unit_id__lte=hi
        ).values_list(
            "unit_id",
            "seq",
            "rule_id",
            "level_id",
            "due_on",
            "due_by",
            "meter_at",
            "state",
            "reason",
        )
    }
    now = clock.now()
    rows: list[UnitSchedule] = []
    blocked: Counter[str] = Counter()
    for unit_id, installed, bought, invoiced in units:
        if unit_id in slow:
            continue
        timing = schedule.Timing(
            window_days=plan.window_days,
            horizon_days=plan.horizon_days,
            working_days_only=plan.working_days_only,
            blackout_months=frozenset(int(m) for m in base | set(overrides.get(unit_id) or [])),
        )
        facts = schedule.UnitFacts(
            start=installed or bought or invoiced,
            readings=readings.get(unit_id, []),
            last_done=last_done.get(unit_id),
        )
        due = schedule.next_due(rules, facts, timing, is_working=is_working)
        state: Any = ScheduleState.WAITING
        reason: Any = ""
        if unit_id in open_units:
            state = ScheduleState.ORDERED
        elif due is None:
            state, reason = ScheduleState.UNKNOWN, BlockReason.NO_START
        elif schedule.should_create(due, today=today, timing=timing, open_order=False):
            slow.append(unit_id)
            continue
        values = (
            due.seq if due else 1,
            due.rule if due else None,
            due.level if due else None,
            due.on if due else None,
            due.by if due else "",
            due.meter_at if due else None,
            str(state),
            str(reason),
        )
        if reason:
            blocked[str(reason)] += 1
        if stored.get(unit_id) == values:
            continue  # unchanged: nothing to write
        rows.append(
            UnitSchedule(
                company_id=plan.company_id,
                unit_id=unit_id,
                plan=plan,
                seq=due.seq if due else 1,
                rule_id=due.rule if due else None,
                level_id=due.level if due else None,
                due_on=due.on if due else None,
                due_by=due.by if due else "",
                meter_at=due.meter_at if due else None,
                state=state,
                reason=reason,
                updated_at=now,
            )
        )
    return slow, rows, blocked


def generation_run(*, today: dt.date | None = None) -> list[GenerationRun]:
    """The periodic job: every active plan of every company."""
    return [
        plan_generate(plan=pk, today=today)
        for pk in MaintenancePlan.objects.filter(status=PlanStatus.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)
    ]


def reading_arrived(reading_id: int) -> None:
    """METER_HOOKS: a new reading re-projects the unit's next service (and orders it when the
    meter brought it within the horizon)."""
    unit_id = MeterReading.objects.filter(pk=reading_id).values_list("unit_id", flat=True).first()
    if unit_id is None:
        return
    try:
        unit_generate(unit=unit_id)
    except Exception:  # the reading is saved; the nightly run projects the unit again
        logger.exception("re-projection after reading %s failed", reading_id)


def plan_generate_now(*, actor: User, plan: Any) -> GenerationRun:
    """A manager starts a run of one plan from its page."""
    require(actor, Perm.MAINTENANCE_PLANS)
    found = MaintenancePlan.objects.filter(pk=as_id(plan), company_id=company_of(actor)).first()
    if found is None:
        raise NotFound("not_found", _("Unknown maintenance plan."))
    if found.status != PlanStatus.ACTIVE:
        raise Conflict("plan_not_active", _("Only an active plan generates orders."))
    return plan_generate(plan=found)


# --- the parts kit, reserved when the visit is booked ----------------------------------------


def system_user(company_id: int) -> User:
    """The company's maintenance system account: it reserves planned services' parts kits at
    the stations and keeps the contracts' service-level policies (company-wide rights of a
    service manager; no password, cannot sign in)."""
    company = Company.objects.get(pk=company_id)
    username = f"maintenance-{company.code}"
    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    user = org.user_create(
        actor=None,
        username=username,
        password=secrets.token_urlsafe(24),
        role=Role.SERVICE_MANAGER,
        company=company,
        first_name=gettext("Maintenance (system)"),
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def kit_of(level: MaintenanceLevel) -> list[tuple[int, int]]:
    """(part id, quantity) of the level's replacement tasks, one line per part."""
    kit: dict[int, int] = {}
    for task in level.tasks.all():
        if task.kind == TaskKind.REPLACE and task.part_id:
            kit[task.part_id] = kit.get(task.part_id, 0) + math.ceil(task.quantity or 1)
    return sorted(kit.items())


def kit_reserve(order: ServiceOrder, booked: Any) -> dict[str, list[Any]]:
    """BOOKED_HOOKS: when a planned service's visit is booked, reserve its level's parts kit in
    the visit's station stock (`parts.actions.stock_reserve`, the one write path of
    reservations). The reservation follows the visit: when it is rebooked at another station,
    the kit held in the old station's stock is released (`parts.actions.reservation_release`)
    and reserved at the new one; parts already reserved where the visit now is are not reserved
    again. A part short in stock is recorded on the order's timeline and does not stop the
    booking. Returns the reserved, short and released lines."""
    out: dict[str, list[Any]] = {"reserved": [], "short": [], "released": []}
    visit = (
        MaintenanceVisit.objects.filter(order=order)
        .exclude(state=VisitState.CANCELLED)
        .select_related("level")
        .first()
    )
    if visit is None or visit.level is None:
        return out
    station_id = getattr(booked, "station_id", None) or order.station_id
    warehouse = (
        Warehouse.objects.filter(
            company_id=order.company_id,
            station_id=station_id,
            technician__isnull=True,
            is_active=True,
        )
        .order_by("id")
        .first()
        if station_id
        else None
    )
    actor = system_user(order.company_id)
    kit_parts = {part for part, _qty in kit_of(visit.level)}
    held: set[int] = set()
    for row in Reservation.objects.filter(order=order, status="active", part_id__in=kit_parts):
        if warehouse is not None and row.warehouse_id == warehouse.pk:
            held.add(row.part_id)
        else:  # held where the visit no longer is
            reservation_release(actor=actor, reservation=row)
            out["released"].append(
                {"part": row.part_id, "quantity": row.quantity, "reservation": row.pk}
            )
    kit = [(part, qty) for part, qty in kit_of(visit.level) if part not in held]
    if not kit:
        return out
    names = dict(Part.objects.filter(pk__in=[p for p, _q in kit]).values_list("pk", "name"))
    for part_id, qty in kit:
        line = {"part": part_id, "name": names.get(part_id, ""), "quantity": qty}
        if warehouse is None:
            out["short"].append(line)
            continue
        try:
            row = stock_reserve(
                actor=actor, warehouse=warehouse, part=part_id, quantity=qty, order=order
            )
        except ApplicationError as exc:
            out["short"].append({**line, "available": (exc.details or {}).get("available", 0)})
        else:
            out["reserved"].append({**line, "reservation": row.pk})
    parts: list[str] = []
    if out["released"]:
        parts.append(gettext("The visit moved: the parts kit held at the old station was released"))
    if out["reserved"]:
        parts.append(
            gettext("Parts kit reserved at %(where)s: %(lines)s")
            % {
                "where": warehouse.name if warehouse else "",
                "lines": ", ".join(f"{x['name']} × {x['quantity']}" for x in out["reserved"]),
            }
        )
    if out["short"]:
        parts.append(
            gettext("Not in the station's stock, to be ordered: %(lines)s")
            % {"lines": ", ".join(f"{x['name']} × {x['quantity']}" for x in out["short"])}
        )
    order_event(
        order,
        actor=actor,
        kind=EventKind.NOTE,
        action="kit_reserved",
        reason="; ".join(parts),
        payload={"reserved": out["reserved"], "short": out["short"], "released": out["released"]},
    )
    return out


def kit_release(order: ServiceOrder) -> list[int]:
    """orders' CANCEL_HOOKS: a cancelled planned service's kit is released from the station's
    stock (`parts.actions.reservation_release`), in the cancel's transaction. Returns the
    released reservations' ids."""
    if not MaintenanceVisit.objects.filter(order_id=order.pk).exists():
        return []
    actor = system_user(order.company_id)
    released = []
    for row in Reservation.objects.filter(order_id=order.pk, status="active"):
        reservation_release(actor=actor, reservation=row)
        released.append(row.pk)
    return released


# --- the checklist on site -------------------------------------------------------------------


def _visit_for(actor: User, order: Any) -> MaintenanceVisit:
    require(actor, Perm.ORDER_WORK)
    found = orders_visible_to(actor).filter(pk=as_id(order)).first()
    visit = (
        MaintenanceVisit.objects.select_related("plan", "level", "order", "unit")
        .filter(order=found)
        .first()
    )
    if found is None or visit is None:
        raise NotFound("not_found", _("This order has no maintenance checklist."))
    return visit


@transaction.atomic
def checklist_record(
    *,
    actor: User,
    order: Any,
    answers: dict[int, dict[str, Any]],
    reading: Any = None,
    today: dt.date | None = None,
) -> list[ChecklistEntry]:
    """The technician's answers to the level's tasks (task id -> done, value, note), and the
    meter read on the visit (it moves the next service). Measurements outside their limits are
    flagged. Only on site."""
    visit = _visit_for(actor, order)
    locked = ServiceOrder.objects.select_for_update().get(pk=visit.order_id)
    if locked.status != Status.ON_SITE:
        raise Conflict("not_on_site", _("Check in on site before recording the checklist."))
    tasks = {t.pk: t for t in (visit.level.tasks.all() if visit.level else [])}
    errors = Errors()
    rows: list[ChecklistEntry] = []
    for task_id, answer in answers.items():
        task = tasks.get(as_id(task_id))
        if task is None:
            errors.add(f"task_{task_id}", _("Not a task of this service."))
            continue
        value = _decimal(answer.get("value"), errors, f"value_{task.pk}", positive=False)
        done = bool(answer.get("done")) or (task.kind == TaskKind.MEASURE and value is not None)
        flagged = task.kind == TaskKind.MEASURE and checklist.out_of_limits(
            value, task.low, task.high
        )
        entry, _created = ChecklistEntry.objects.update_or_create(
            visit=visit,
            task=task,
            defaults={
                "done": done,
                "value": value,
                "out_of_limits": flagged,
                "note": (answer.get("note") or "").strip()[:200],
                "recorded_by": actor,
                "recorded_at": clock.now(),
            },
        )
        rows.append(entry)
    errors.raise_if_any()
    if reading not in (None, ""):
        unit_meter_record(
            actor=actor,
            unit=visit.unit_id,
            kind=visit.plan.meter_kind,
            value=reading,
            read_on=today or clock.today(),
            source="visit",
            reference=locked.number,
        )

    order_event(
        locked,
        actor=actor,
        kind="field",
        payload={
            "action": "checklist",
            "done": sum(1 for r in rows if r.done),
            "out_of_limits": [r.task_id for r in rows if r.out_of_limits],
            "reading": str(reading) if reading not in (None, "") else None,
        },
    )
    return rows


def checklist_missing(visit: MaintenanceVisit) -> list[LevelTask]:
    """The level's tasks not answered yet (the finish page lists them)."""
    entries = {e.task_id: e for e in visit.entries.all()}
    out = []
    for task in visit.level.tasks.all() if visit.level else []:
        entry = entries.get(task.pk)
        if entry is None or checklist.missing(task.kind, entry.done, entry.value):
            out.append(task)
    return out


@transaction.atomic
def _number(value: Any) -> str:
    return "—" if value is None else f"{Decimal(value).normalize():f}"


def checklist_report_section(order: ServiceOrder) -> dict[str, Any] | None:
    """REPORT_SECTIONS: a planned service's checklist in the service report PDF (each task
    with its result: done, the measured value against its limits, flagged when out of them;
    and the meter reading of the visit)."""
    checklist = selectors.checklist_for(order)
    if checklist is None or not checklist["rows"]:
        return None
    visit = checklist["visit"]
    rows: list[list[Any]] = [["#", gettext("Task"), gettext("Result")]]
    for i, row in enumerate(checklist["rows"], start=1):
        task, entry = row["task"], row["entry"]
        text = f"{task.get_kind_display()}: {task.text}"
        if task.part_id:
            text += f" ({task.part.name} × {_number(task.quantity)})"
        if entry is None:
            result = "—"
        elif task.kind == TaskKind.MEASURE:
            result = (
                f"{_number(entry.value)} {task.unit_label} "
                f"({gettext('limits')} {_number(task.low)} – {_number(task.high)})"
            )
            if entry.out_of_limits:
                result += f" {gettext('Out of limits')}"
        else:
            result = gettext("Done") if entry.done else gettext("Not done")
        if entry is not None and entry.note:
            result += f" · {entry.note}"
        rows.append([str(i), text, result])
    reading = checklist["reading"]
    note = (
        f"{gettext('Meter reading')}: {_number(reading.value)} {checklist['meter_kind']} "
        f"({reading.read_on:%Y-%m-%d})"
        if reading is not None and reading.reference == order.number
        else ""
    )
    title = " · ".join(
        x
        for x in (
            gettext("Maintenance checklist"),
            visit.plan.name,
            getattr(visit.level, "name", ""),
        )
        if x
    )
    return {"title": title, "rows": rows, "widths": [0.06, 0.54, 0.40], "note": note}


def checklist_open_repair(*, actor: User, entry: Any) -> ServiceOrder:
    """A measurement out of limits opens a repair order for the unit (once per entry)."""
    found = (
        ChecklistEntry.objects.select_related("visit", "task", "visit__order")
        .filter(pk=as_id(entry))
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Unknown checklist entry."))
    _visit_for(actor, found.visit.order_id)
    locked = ChecklistEntry.objects.select_for_update().get(pk=found.pk)
    if locked.repair_order_id:
        return ServiceOrder.objects.get(pk=locked.repair_order_id)
    if not found.out_of_limits:
        raise Conflict("within_limits", _("Only a measurement out of limits opens a repair."))
    task = found.task
    limits = f"{task.low if task.low is not None else '—'} – {task.high if task.high is not None else '—'}"
    text = gettext(
        "Out of limits on maintenance %(order)s: %(task)s = %(value)s %(unit)s (limits %(limits)s)"
    ) % {
        "order": found.visit.order.number,
        "task": task.text,
        "value": found.value,
        "unit": task.unit_label,
        "limits": limits,
    }
    order, _created = order_create(
        actor=planner_user(found.visit.company_id),
        customer=found.visit.order.customer_id,
        unit=found.visit.unit_id,
        channel="maintenance_plan",
        service_type="repair",
        priority="medium",
        fault_description=text,
        allow_duplicate=True,
        idempotency_key=f"maint-repair:{found.pk}",
    )
    locked.repair_order = order
    locked.save(update_fields=["repair_order"])
    audit_record(
        actor=actor,
        action="maintenance.repair_opened",
        obj=order,
        changes={"entry": [None, found.pk]},
    )
    return order


# --- service contracts -----------------------------------------------------------------------

CONTRACT_FIELDS = (
    "number",
    "starts_on",
    "ends_on",
    "respond_minutes",
    "arrive_minutes",
    "resolve_minutes",
    "parts_pct",
    "labour_pct",
    "travel_pct",
    "visits_per_year",
    "price",
)


def _contract_values(contract: ServiceContract, fields: dict[str, Any], errors: Errors) -> None:
    if "number" in fields:
        contract.number = (fields["number"] or "").strip()[:32]
        if not contract.number:
            errors.add("number", _("Give the contract a number."))
    for name in ("starts_on", "ends_on"):
        if name in fields:
            value = fields[name]
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    value = None
            if not isinstance(value, dt.date):
                errors.add(name, _("Enter a date."))
            else:
                setattr(contract, name, value)
    if contract.starts_on and contract.ends_on and contract.ends_on <= contract.starts_on:
        errors.add("ends_on", _("The contract must end after it starts."))
    for name in ("respond_minutes", "arrive_minutes", "resolve_minutes"):
        if name in fields:
            setattr(contract, name, _whole(fields[name], errors, name, 1, 60 * 24 * 60))
    for name in ("parts_pct", "labour_pct", "travel_pct"):
        if name in fields:
            setattr(contract, name, _whole(fields[name], errors, name, 0, 100) or 0)
    if "visits_per_year" in fields:
        contract.visits_per_year = (
            _whole(fields["visits_per_year"], errors, "visits_per_year", 0, 365) or 0
        )
    if "price" in fields:
        price = _decimal(fields["price"], errors, "price", positive=False)
        if price is not None and price < 0:
            errors.add("price", _("Enter a positive number."))
        contract.price = (price or Decimal(0)).quantize(Decimal("0.01"))


@transaction.atomic
def contract_create(
    *, actor: User, customer: Any, units: list[Any] | None = None, **fields: Any
) -> ServiceContract:
    """A draft contract for a customer's units."""
    require(actor, Perm.CONTRACT_EDIT)
    errors = Errors()
    cust = customers_visible_to(actor).filter(pk=as_id(customer)).first()
    if cust is None:
        errors.add("customer", _("Unknown customer."))
    unknown = set(fields) - set(CONTRACT_FIELDS)
    if unknown:
        errors.add(sorted(unknown)[0], _("Unknown field."))
    contract = ServiceContract(company_id=company_of(actor))
    for required in ("number", "starts_on", "ends_on"):
        fields.setdefault(required, None)
    _contract_values(contract, fields, errors)
    covered = []
    if cust is not None:
        ids = [as_id(u) for u in units or []]
        covered = list(InstalledUnit.objects.filter(customer=cust, pk__in=ids))
        if len(covered) != len(set(ids)):
            errors.add("units", _("Choose units of this customer."))
    if ServiceContract.objects.filter(
        company_id=company_of(actor), number=contract.number
    ).exists():
        errors.add("number", _("This contract number is taken."))
    errors.raise_if_any()
    assert cust is not None
    contract.customer = cust
    contract.save()
    contract.units.set(covered)
    transitions.record(
        ContractEvent,
        subject_field="contract",
        subject=contract,
        actor=actor,
        action="create",
        to_status=contract.status,
    )
    return contract


def _locked_contract(actor: User, contract: Any) -> ServiceContract:
    found = (
        ServiceContract.objects.select_for_update()
        .filter(pk=as_id(contract), company_id=company_of(actor))
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Unknown contract."))
    return found


@transaction.atomic
def contract_transition(
    *, actor: User, contract: Any, action: str, reason: str = ""
) -> ServiceContract:
    """Activate or terminate a contract (expiry and renewal have their own actions)."""
    require(actor, Perm.CONTRACT_EDIT)
    locked = _locked_contract(actor, contract)
    if action not in ("activate", "terminate"):
        raise NotFound("unknown_action", _("Unknown action."))
    if action == "activate" and not locked.units.exists():
        raise Conflict("no_units", _("Add the covered units first."))
    transitions.apply(
        CONTRACT_MACHINE,
        locked,
        action,
        event_model=ContractEvent,
        subject_field="contract",
        actor=actor,
        reason=reason,
    )
    contract_policy_sync(contract=locked)
    return locked


@transaction.atomic
def contract_renew(
    *, actor: User, contract: Any, number: str, ends_on: Any, price: Any = None
) -> ServiceContract:
    """Renew: a new active contract from the day after the old one ends, same units and terms."""
    require(actor, Perm.CONTRACT_EDIT)
    old = _locked_contract(actor, contract)
    fields = {f: getattr(old, f) for f in CONTRACT_FIELDS}
    fields.update(number=number, starts_on=old.ends_on + dt.timedelta(days=1), ends_on=ends_on)
    if price not in (None, ""):
        fields["price"] = price
    new = contract_create(
        actor=actor,
        customer=old.customer_id,
        units=list(old.units.values_list("id", flat=True)),
        **fields,
    )
    transitions.apply(
        CONTRACT_MACHINE,
        new,
        "activate",
        event_model=ContractEvent,
        subject_field="contract",
        actor=actor,
    )
    old.renewed_by = new
    transitions.apply(
        CONTRACT_MACHINE,
        old,
        "renew",
        event_model=ContractEvent,
        subject_field="contract",
        actor=actor,
        payload={"renewed_by": new.number},
        extra_fields=["renewed_by"],
    )
    contract_policy_sync(contract=old)
    contract_policy_sync(contract=new)
    return new


RENEWAL_DAYS = 30


def contracts_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: contracts ending within 30 days get a renewal task (an event on the
    contract, listed on the contracts page) and the customer a message, once; contracts past
    their end expire."""
    today = today or clock.today()
    told = expired = 0
    soon = ServiceContract.objects.filter(
        status=ContractStatus.ACTIVE,
        renewal_notified_at__isnull=True,
        ends_on__lte=today + dt.timedelta(days=RENEWAL_DAYS),
        ends_on__gte=today,
    ).values_list("id", flat=True)
    for pk in list(soon):
        with transaction.atomic():
            row = ServiceContract.objects.select_for_update().select_related("customer").get(pk=pk)
            if row.renewal_notified_at is not None:
                continue
            row.renewal_notified_at = clock.now()
            row.save(update_fields=["renewal_notified_at"])
            transitions.record(
                ContractEvent,
                subject_field="contract",
                subject=row,
                action="renewal_due",
                payload={"ends_on": row.ends_on.isoformat()},
            )
            transaction.on_commit(partial(_tell_renewal, row.pk))
            told += 1
    for pk in list(
        ServiceContract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=today).values_list(
            "id", flat=True
        )
    ):
        with transaction.atomic():
            row = ServiceContract.objects.select_for_update().get(pk=pk)
            if row.status == ContractStatus.ACTIVE:
                transitions.apply(
                    CONTRACT_MACHINE,
                    row,
                    "expire",
                    event_model=ContractEvent,
                    subject_field="contract",
                )
                contract_policy_sync(contract=row)
                expired += 1
    return {"renewal_due": told, "expired": expired}


def _tell_renewal(contract_id: int) -> None:
    row = ServiceContract.objects.select_related("customer").get(pk=contract_id)
    notify_customer(
        company_id=row.company_id,
        customer=row.customer,
        event="contract_renewal",
        context={"number": row.number, "ends_on": row.ends_on.isoformat()},
        dedupe_key=f"contract-renewal:{row.pk}",
    )


def contract_level_for_unit(unit: InstalledUnit) -> str:
    """CONTRACT_LEVEL_HOOKS: a new order on a unit under an active contract carries the
    contract's number as its contract level (service-level policies may name it)."""
    found = _active_contract(unit, clock.today())
    return found.number if found else ""


def contract_for_order(order: ServiceOrder) -> ServiceContract | None:
    """The active contract covering the order's unit on the order's day."""
    if not order.unit_id:
        return None
    on = timezone.localtime(order.created_at).date() if order.created_at else clock.today()
    return (
        ServiceContract.objects.filter(
            units=order.unit_id, status=ContractStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on
        )
        .order_by("-starts_on", "-id")
        .first()
    )


def covered_price(
    contract: ServiceContract | None, *, parts: Decimal, labour: Decimal, travel: Decimal
) -> dict[str, Decimal]:
    """What the customer pays with the contract's coverage (parts %, labour %, travel %)."""
    if contract is None:
        return price_with_coverage(parts=parts, labour=labour, travel=travel, pct=(0, 0, 0))
    return price_with_coverage(
        parts=parts,
        labour=labour,
        travel=travel,
        pct=(contract.parts_pct, contract.labour_pct, contract.travel_pct),
    )


SLA_TARGETS = ("respond", "arrive", "resolve")
CONTRACT_POLICY_RANK = 10


def contract_policy_sync(*, contract: ServiceContract) -> Any:
    """The contract's service levels as a service-level policy (`orders.service_levels.sla_policy_save`)
    whose contract level is the contract number: active while the contract is, with the
    contract's respond / arrive / resolve minutes (working time). New orders on its units carry
    the number (`CONTRACT_LEVEL_HOOKS`), so the policy applies to them; orders already taken
    keep their goals. Returns the policy (None when the contract sets no service level)."""
    existing = (
        SlaPolicy.objects.filter(company_id=contract.company_id, contract_level=contract.number)
        .order_by("id")
        .first()
    )
    goals = {f"{t}_minutes": getattr(contract, f"{t}_minutes") for t in SLA_TARGETS}
    live = contract.status == ContractStatus.ACTIVE and any(goals.values())
    if existing is None and not live:
        return None
    if not any(goals.values()) and existing is not None:  # keep the goals, switch it off
        goals = {f"{t}_minutes": getattr(existing, f"{t}_minutes") for t in SLA_TARGETS}
    # The company's default rules become editable rows first, so that adding this one does
    # not replace them (with no rows at all the defaults apply).
    sla_policies_seed(company_id=contract.company_id)
    return sla_policy_save(
        actor=system_user(contract.company_id),
        policy=existing,
        name=(gettext("Service contract %(number)s") % {"number": contract.number})[:100],
        contract_level=contract.number,
        rank=CONTRACT_POLICY_RANK,
        active=live,
        **goals,
    )


def contract_year(contract: ServiceContract, on: dt.date) -> tuple[dt.date, dt.date]:
    """The contract year (from an anniversary of the start, to the day before the next one or
    the end) holding `on` (clamped into the contract's period)."""
    on = min(max(on, contract.starts_on), contract.ends_on)
    k = 0
    while schedule.add_months(contract.starts_on, 12 * (k + 1)) <= on:
        k += 1
    start = schedule.add_months(contract.starts_on, 12 * k)
    end = min(
        schedule.add_months(contract.starts_on, 12 * (k + 1)) - dt.timedelta(days=1),
        contract.ends_on,
    )
    return start, end


def _contract_visits(contract: ServiceContract, year: tuple[dt.date, dt.date]) -> Any:
    """The planned-service orders the contract year counts against its included visits: the
    orders that carry the contract number, of type maintenance, not cancelled, taken in the
    year."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(year[0], dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(year[1] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return (
        ServiceOrder.objects.filter(
            company_id=contract.company_id,
            contract_level=contract.number,
            service_type="maintenance",
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(status=Status.CANCELLED)
        .order_by("created_at", "id")
    )


def contract_visits(contract: ServiceContract, on: dt.date | None = None) -> dict[str, Any]:
    """Included visits of the contract year holding `on` (today): included, used, left."""
    year = contract_year(contract, on or clock.today())
    used = _contract_visits(contract, year).count()
    return {
        "year_from": year[0],
        "year_until": year[1],
        "included": contract.visits_per_year,
        "used": used,
        "left": max(contract.visits_per_year - used, 0),
    }


def included_visit(contract: ServiceContract, order: ServiceOrder) -> bool:
    """Whether the order is one of the contract year's included visits (the first
    `visits_per_year` planned services of that year)."""
    if order.service_type != "maintenance" or order.contract_level != contract.number:
        return False
    on = timezone.localtime(order.created_at).date() if order.created_at else clock.today()
    ids = _contract_visits(contract, contract_year(contract, on)).values_list("id", flat=True)
    return order.pk in list(ids[: contract.visits_per_year])


def quote_coverage(order: ServiceOrder, lines: list[Any]) -> list[Any]:
    """QUOTE_HOOKS: on an order under an active service contract, one negative line per kind
    for what the contract pays (parts %, labour %, travel %; an included visit's labour and
    travel in full), so the quote's total is the customer's share."""
    contract = contract_for_order(order)
    if contract is None:
        return []
    pct = {"part": contract.parts_pct, "labour": contract.labour_pct, "travel": contract.travel_pct}
    included = included_visit(contract, order)
    if included:
        pct["labour"] = pct["travel"] = 100
    out = []
    for kind in ("part", "labour", "travel"):
        amount = sum((ln.amount for ln in lines if ln.kind == kind), Decimal(0))
        share = covered(amount, pct[kind])
        if share > 0:
            text = (
                gettext("Included visit of contract %(number)s")
                if included and kind != "part"
                else gettext("Covered by contract %(number)s (%(pct)d%%)")
            ) % {"number": contract.number, "pct": pct[kind]}
            out.append(Line(kind, text, Decimal(1), -share))
    return out


# --- recall and service campaigns ------------------------------------------------------------


def _selection(campaign: Campaign) -> campaigns.Selection:
    return campaigns.Selection(
        models=frozenset(campaign.product_models.values_list("id", flat=True)),
        serial_from=campaign.serial_from,
        serial_to=campaign.serial_to,
        sold_from=campaign.sold_from,
        sold_to=campaign.sold_to,
        serials=frozenset(campaign.serials or []),
    )


def campaign_units_query(campaign: Campaign) -> Any:
    """The units the campaign selects (the ORM form of `campaigns.selects`)."""
    s = _selection(campaign)
    units = InstalledUnit.objects.filter(company_id=campaign.company_id)
    listed = Q(serial__in=sorted(s.serials)) if s.serials else Q(pk__in=[])
    criteria = s.models or s.serial_from or s.serial_to or s.sold_from or s.sold_to
    if not criteria:
        return units.filter(listed)
    match = Q()
    if s.models:
        match &= Q(product_model_id__in=sorted(s.models))
    if s.serial_from:
        match &= Q(serial__gte=s.serial_from)
    if s.serial_to:
        match &= Q(serial__lte=s.serial_to)
    if s.sold_from or s.sold_to:
        units = units.annotate(sold=Coalesce("purchase_date", "invoice_date"))
        if s.sold_from:
            match &= Q(sold__gte=s.sold_from)
        if s.sold_to:
            match &= Q(sold__lte=s.sold_to)
    return units.filter(listed | match)


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    name: str,
    kind: str,
    work: str,
    product_models: list[Any] | None = None,
    serial_from: str = "",
    serial_to: str = "",
    sold_from: dt.date | None = None,
    sold_to: dt.date | None = None,
    serials: list[str] | None = None,
) -> Campaign:
    """A draft campaign and its selection (model, serial range, sale dates, a serial list)."""
    require(actor, Perm.MAINTENANCE_PLANS)
    errors = Errors()
    name = (name or "").strip()[:100]
    if not name:
        errors.add("name", gettext("Give the campaign a name."))
    if kind not in CampaignKind.values:
        errors.add("kind", gettext("Choose recall or service campaign."))
    work = (work or "").strip()[:2000]
    if not work:
        errors.add("work", gettext("Describe the work to do on each unit."))
    ids = [as_id(m) for m in product_models or []]
    models_found = list(
        ProductModel.objects.filter(pk__in=ids, category__company_id=company_of(actor))
    )
    if len(models_found) != len(set(ids)):
        errors.add("product_models", gettext("Unknown product model."))
    listed = sorted({s.strip() for s in serials or [] if s and s.strip()})
    if len(listed) > 10000:
        errors.add("serials", gettext("At most 10,000 serial numbers."))
    if sold_from and sold_to and sold_to < sold_from:
        errors.add("sold_to", gettext("The range must end after it starts."))
    selection = campaigns.Selection(
        models=frozenset(ids),
        serial_from=serial_from.strip(),
        serial_to=serial_to.strip(),
        sold_from=sold_from,
        sold_to=sold_to,
        serials=frozenset(listed),
    )
    if selection.empty:
        errors.add("product_models", gettext("Choose the units: a model, a range or a list."))
    errors.raise_if_any()
    campaign = Campaign.objects.create(
        company_id=company_of(actor),
        name=name,
        kind=kind,
        work=work,
        serial_from=selection.serial_from[:64],
        serial_to=selection.serial_to[:64],
        sold_from=sold_from,
        sold_to=sold_to,
        serials=listed,
    )
    campaign.product_models.set(models_found)
    transitions.record(
        CampaignEvent,
        subject_field="campaign",
        subject=campaign,
        actor=actor,
        action="create",
        to_status=campaign.status,
        payload={"units": campaign_units_query(campaign).count()},
    )
    return campaign


def _locked_campaign(actor: User, campaign: Any) -> Campaign:
    found = (
        Campaign.objects.select_for_update()
        .filter(pk=as_id(campaign), company_id=company_of(actor))
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Unknown campaign."))
    return found


@transaction.atomic
def campaign_launch(*, actor: User, campaign: Any) -> Campaign:
    """Launch: every selected unit joins (once); the orders are created by a job (idempotent,
    picked up again by the sweep if a worker dies) and each owner is told."""
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = _locked_campaign(actor, campaign)
    ids = list(campaign_units_query(locked).values_list("id", flat=True))
    if not ids:
        raise Conflict("no_units", _("The selection takes no unit."))
    transitions.apply(
        CAMPAIGN_MACHINE,
        locked,
        "launch",
        event_model=CampaignEvent,
        subject_field="campaign",
        actor=actor,
        payload={"units": len(ids)},
    )
    CampaignUnit.objects.bulk_create(
        [CampaignUnit(campaign=locked, unit_id=pk) for pk in ids],
        ignore_conflicts=True,
        batch_size=5000,
    )
    transaction.on_commit(lambda: _campaign_trigger(locked.pk))
    return locked


def _campaign_trigger(campaign_id: int) -> None:
    tasks.campaign_orders_task(campaign_id)


def campaign_orders_create(*, campaign: Any, limit: int = 100000) -> int:
    """Create the missing orders of a launched campaign, one per unit (each in its own
    transaction, the row locked; the order's idempotency key makes a rerun find it)."""
    found = Campaign.objects.filter(pk=as_id(campaign), status=CampaignStatus.LAUNCHED).first()
    if found is None:
        return 0
    made = 0
    pending = CampaignUnit.objects.filter(campaign=found, order__isnull=True).values_list(
        "id", flat=True
    )[:limit]
    for pk in list(pending):
        with transaction.atomic():
            row = (
                CampaignUnit.objects.select_for_update()
                .select_related("unit")
                .filter(pk=pk, order__isnull=True)
                .first()
            )
            if row is None:
                continue
            try:
                with transaction.atomic():
                    order = _campaign_order(found, row.unit)
            except ApplicationError as exc:
                row.note = str(exc.message)[:200]
                row.save(update_fields=["note"])
                continue
            row.order = order
            row.save(update_fields=["order"])
            transaction.on_commit(partial(_campaign_tell, row.pk))
            made += 1
    return made


def _campaign_order(campaign: Campaign, unit: InstalledUnit) -> ServiceOrder:
    order, _created = order_create(
        actor=planner_user(campaign.company_id),
        customer=unit.customer_id,
        unit=unit,
        channel="maintenance_plan",
        service_type="repair" if campaign.kind == CampaignKind.RECALL else "inspection",
        priority="medium" if campaign.kind == CampaignKind.RECALL else "low",
        fault_description=f"{campaign.name}\n{campaign.work}",
        allow_duplicate=True,
        idempotency_key=f"campaign:{campaign.pk}:{unit.pk}",
    )
    return order


def _campaign_tell(campaign_unit_id: int) -> None:
    row = CampaignUnit.objects.select_related("campaign", "order__customer", "unit").get(
        pk=campaign_unit_id
    )
    assert row.order is not None
    message = notify_customer(
        company_id=row.campaign.company_id,
        customer=row.order.customer,
        event="campaign",
        context={"number": row.order.number, "name": row.campaign.name, "serial": row.unit.serial},
        dedupe_key=f"campaign:{row.pk}",
    )
    if message is not None:
        CampaignUnit.objects.filter(pk=row.pk).update(told=True)


def campaigns_sweep() -> int:
    """The periodic job: orders a dead worker left uncreated."""
    return sum(
        campaign_orders_create(campaign=pk)
        for pk in Campaign.objects.filter(status=CampaignStatus.LAUNCHED, units__order__isnull=True)
        .distinct()
        .values_list("id", flat=True)
    )


@transaction.atomic
def campaign_unit_mark(
    *, actor: User, campaign_unit: Any, unreachable: bool, note: str = ""
) -> CampaignUnit:
    """An agent marks an owner unreachable (or reached after all)."""
    require(actor, Perm.ORDER_EDIT)
    row = (
        CampaignUnit.objects.select_for_update()
        .filter(pk=as_id(campaign_unit), campaign__company_id=company_of(actor))
        .first()
    )
    if row is None:
        raise NotFound("not_found", _("Not found."))
    row.unreachable = bool(unreachable)
    row.note = (note or "").strip()[:200]
    row.save(update_fields=["unreachable", "note"])
    transitions.record(
        CampaignEvent,
        subject_field="campaign",
        subject=row.campaign,
        actor=actor,
        action="unreachable" if unreachable else "reached",
        payload={"unit": row.unit_id},
        reason=row.note,
    )
    return row


@transaction.atomic
def campaign_close(*, actor: User, campaign: Any, reason: str) -> Campaign:
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = _locked_campaign(actor, campaign)
    transitions.apply(
        CAMPAIGN_MACHINE,
        locked,
        "close",
        event_model=CampaignEvent,
        subject_field="campaign",
        actor=actor,
        reason=reason,
    )
    return locked


# --- installation and acceptance -------------------------------------------------------------

ACCEPTANCE_TYPES = ("installation", "acceptance")


def _acceptance_order(actor: User, order: Any) -> ServiceOrder:
    if not (has_perm(actor, Perm.ORDER_WORK) or has_perm(actor, Perm.ORDER_EDIT)):
        require(actor, Perm.ORDER_WORK)
    found = orders_visible_to(actor).select_for_update().filter(pk=as_id(order)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    if found.service_type not in ACCEPTANCE_TYPES:
        raise Conflict("not_acceptance", _("Only installation and acceptance orders are accepted."))
    return found


def _clean_acceptance(
    checklist: list[dict[str, Any]], measurements: list[dict[str, Any]], errors: Errors
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items = []
    for k, row in enumerate(checklist or []):
        text = str(row.get("item") or "").strip()[:200]
        if text:
            items.append(
                {"item": text, "ok": bool(row.get("ok")), "note": str(row.get("note") or "")[:200]}
            )
        elif row.get("ok"):
            errors.add(f"checklist_{k}", _("Describe the item."))
    values = []
    for k, row in enumerate(measurements or []):
        name = str(row.get("name") or "").strip()[:100]
        raw = row.get("value")
        if not name and raw in (None, ""):
            continue
        number = _decimal(raw, errors, f"measurement_{k}", positive=False)
        if not name:
            errors.add(f"measurement_{k}", _("Name the measurement."))
        values.append(
            {
                "name": name,
                "value": str(number) if number is not None else "",
                "unit": str(row.get("unit") or "")[:16],
            }
        )
    if not items:
        errors.add("checklist", _("Record the acceptance checklist."))
    return items, values


def _store_signature(record: AcceptanceRecord, signature: str, signer_name: str) -> None:
    data = signatures.decode(signature)
    record.signature = uploads.store(data, "png")
    record.signer_name = (signer_name or "").strip()[:100] or record.order.customer.name


@transaction.atomic
def acceptance_record(
    *,
    actor: User,
    order: Any,
    checklist: list[dict[str, Any]],
    measurements: list[dict[str, Any]] | None = None,
    defects: list[str] | None = None,
    signature: str = "",
    signer_name: str = "",
) -> AcceptanceRecord:
    """The acceptance on site: the checklist and measurements; failed items and listed defects
    become follow-on repair orders (acceptance waits for them); with none, the customer's
    signature accepts and the certificate is issued."""
    locked = _acceptance_order(actor, order)
    record, _created = AcceptanceRecord.objects.select_for_update().get_or_create(order=locked)
    if record.status == AcceptanceStatus.ACCEPTED:
        raise Conflict("already_accepted", _("This installation is already accepted."))
    errors = Errors()
    items, values = _clean_acceptance(checklist, measurements or [], errors)
    listed = [d.strip()[:300] for d in defects or [] if d and d.strip()]
    listed += [i["item"] for i in items if not i["ok"] and i["item"] not in listed]
    if not listed and not (signature or "").strip():
        errors.add("signature", _("The customer's signature is missing."))
    errors.raise_if_any()
    record.checklist, record.measurements, record.recorded_by = items, values, actor
    known = set(record.defects.values_list("text", flat=True))
    if listed:
        for text in listed:
            if text in known:
                continue
            follow_on, _made = order_create(
                actor=planner_user(locked.company_id),
                customer=locked.customer_id,
                unit=locked.unit_id,
                channel="maintenance_plan",
                service_type="repair",
                priority="medium",
                fault_description=gettext("Acceptance defect (order %(number)s): %(text)s")
                % {"number": locked.number, "text": text},
                allow_duplicate=True,
                idempotency_key=f"acceptance:{record.pk}:{len(known)}",
            )
            AcceptanceDefect.objects.create(record=record, text=text, order=follow_on)
            known.add(text)
        if signature:
            _store_signature(record, signature, signer_name)
        record.save()
        transitions.apply(
            ACCEPTANCE_MACHINE,
            record,
            "defects",
            event_model=AcceptanceEvent,
            subject_field="record",
            actor=actor,
            payload={"defects": listed},
        )
        return record
    _store_signature(record, signature, signer_name)
    return _accept(record, actor)


def _serial_fits_model(serial: str, model: Any) -> bool:
    """Whether the serial carries a production date in the model's format (when its 三包
    policy names one; without a format every serial fits)."""
    policy = policy_for(
        company_id=model.category.company_id,
        product_model_id=model.pk,
        category_id=model.category_id,
    )
    if policy.serial_format is None:
        return True
    try:
        policy.serial_format.production_date(serial)
    except WarrantyInputError:
        return False
    return True


@transaction.atomic
def installation_unit(
    *,
    actor: User,
    order: Any,
    serial: str = "",
    product_model: Any = None,
    installed_on: dt.date | None = None,
    meter_kind: str = "",
    meter_value: Decimal | int | str | None = None,
) -> InstalledUnit:
    """On an installation order: create the unit record it installs (serial checked against
    the model's serial format; the customer's, at the order's address) or activate the unit the
    order names, and set its installation date — the first one only, so a reinstallation does
    not restart anything. A 三包 policy whose start event is the installation then counts from
    it, and the maintenance plans count from it. `meter_value` (with `meter_kind`, km or
    running hours): the meter read at the installation, recorded on the unit for that day
    (`customers.actions.unit_meter_record`, which refuses a reading lower than an earlier one)."""
    locked = _acceptance_order(actor, order)
    if locked.service_type != "installation":
        raise Conflict("not_installation", _("Only an installation order installs a unit."))
    on = installed_on or clock.today()
    writer = planner_user(locked.company_id)
    errors = Errors()
    unit = (
        InstalledUnit.objects.select_for_update().filter(pk=locked.unit_id).first()
        if locked.unit_id is not None
        else None
    )
    if unit is None:
        model = (
            ProductModel.objects.select_related("category")
            .filter(pk=as_id(product_model), category__company_id=locked.company_id)
            .first()
            if product_model not in (None, "")
            else None
        )
        if model is None:
            errors.add("product_model", _("Choose the model installed."))
        text = clean_serial(errors, serial)
        if model is not None and text and not _serial_fits_model(text, model):
            errors.add("serial", _("This serial number does not fit the model's format."))
        errors.raise_if_any()
        assert model is not None
        unit = InstalledUnit.objects.filter(product_model=model, serial=text).first()
        if unit is not None and unit.customer_id != locked.customer_id:
            raise Conflict(
                "duplicate_serial",
                _("A unit of this model with this serial number is already registered."),
            )
        if unit is None:
            unit = unit_create(
                actor=writer,
                customer=locked.customer_id,
                product_model=model,
                serial=text,
                installation_date=on,
                address=locked.address_id,
            )
        order_unit_link(actor=actor, order=locked, unit=unit)
    elif serial and clean_serial(errors, serial) != unit.serial:
        errors.raise_if_any()
        raise ValidationFailed({"serial": _("This is not the serial number of the order's unit.")})
    changes: dict[str, Any] = {}
    if unit.installation_date is None:
        changes["installation_date"] = on
    if unit.status != UnitStatus.IN_SERVICE:
        changes["status"] = UnitStatus.IN_SERVICE
    if changes:
        unit = unit_update(actor=writer, unit=unit, **changes)
    if meter_value not in (None, ""):
        unit_meter_record(
            actor=writer,
            unit=unit,
            kind=meter_kind or "hours",
            value=meter_value,
            read_on=on,
            source="visit",
            reference=locked.number,
        )
    audit_record(
        actor=actor,
        action="installation.unit",
        obj=unit,
        changes={"order": [None, locked.number], **{k: [None, str(v)] for k, v in changes.items()}},
    )
    return unit


def _accept(record: AcceptanceRecord, actor: User) -> AcceptanceRecord:
    order = record.order
    if order.service_type == "installation" and order.unit_id:
        unit = InstalledUnit.objects.get(pk=order.unit_id)
        if unit.installation_date is None:  # the installation date the plans count from
            unit_update(
                actor=planner_user(order.company_id),
                unit=unit,
                installation_date=clock.today(),
            )
    record.accepted_at = clock.now()
    record.certificate_no = f"YS{record.order.number}"
    record.save()
    transitions.apply(
        ACCEPTANCE_MACHINE,
        record,
        "accept",
        event_model=AcceptanceEvent,
        subject_field="record",
        actor=actor,
        payload={"certificate": record.certificate_no},
    )

    order_event(
        record.order,
        actor=actor,
        kind="field",
        payload={"action": "accepted", "certificate": record.certificate_no},
    )
    return record


@transaction.atomic
def acceptance_accept(
    *, actor: User, order: Any, signature: str, signer_name: str = ""
) -> AcceptanceRecord:
    """The customer accepts once every defect's order is done (their signature)."""
    locked = _acceptance_order(actor, order)
    record = AcceptanceRecord.objects.select_for_update().filter(order=locked).first()
    if record is None:
        raise NotFound("not_found", _("Record the acceptance checklist first."))
    if record.status == AcceptanceStatus.ACCEPTED:
        raise Conflict("already_accepted", _("This installation is already accepted."))
    waiting = [
        d.order.number
        for d in record.defects.select_related("order")
        if d.order.status not in REOPENABLE
    ]
    if waiting:
        raise Conflict(
            "defects_open",
            _("Defects are still being fixed (%(numbers)s).") % {"numbers": ", ".join(waiting)},
        )
    _store_signature(record, signature, signer_name)
    return _accept(record, actor)


# --- services done elsewhere (history import) -------------------------------------------------


@transaction.atomic
def service_done_record(*, actor: User, unit: Any, order: Any) -> MaintenanceVisit:
    """A completed order of the unit counts as its next service under its plan, done on the
    order's completion date (a past service brought by the history import): the plan's next
    due date then counts from it. Once per order; refused without a plan, for an order that is
    not the unit's or not completed, and while a generated service of the unit is open."""
    require(actor, Perm.MAINTENANCE_PLANS)
    locked = (
        InstalledUnit.objects.select_for_update()
        .select_related("product_model")
        .filter(pk=as_id(unit), company_id=company_of(actor))
        .first()
    )
    if locked is None:
        raise NotFound("not_found", gettext("Not found."))
    the_order = ServiceOrder.objects.filter(pk=as_id(order), unit_id=locked.pk).first()
    if the_order is None:
        raise Conflict("not_this_unit", gettext("The order is not one of this unit's."))
    found = MaintenanceVisit.objects.filter(order=the_order).first()
    if found is not None:
        return found
    if the_order.status not in REOPENABLE or the_order.completed_at is None:
        raise Conflict("not_completed", gettext("The order is not completed."))
    plan = plan_for_unit(locked)
    if plan is None or plan.status != PlanStatus.ACTIVE:
        raise Conflict("no_plan", gettext("The unit has no active maintenance plan."))
    _reconcile(locked, plan)
    if MaintenanceVisit.objects.filter(unit=locked, plan=plan, state=VisitState.OPEN).exists():
        raise Conflict("open_service", gettext("A planned service of the unit is still open."))
    due = schedule.next_due(
        rules_of(plan),
        facts_for(locked, plan),
        timing_of(plan, locked),
        is_working=working_days(locked.company_id),
    )
    if due is None:
        raise Conflict("no_start", gettext("The unit has no start date for its plan."))
    attempt = MaintenanceVisit.objects.filter(unit=locked, plan=plan, seq=due.seq).count() + 1
    visit = _visit(locked, plan, due, attempt, _level(plan, due), the_order)
    visit.state = VisitState.DONE
    visit.done_on = timezone.localtime(the_order.completed_at).date()
    visit.done_meter = _done_meter(visit, plan.meter_kind)
    visit.save()

    order_event(
        the_order,
        actor=actor,
        kind=EventKind.NOTE,
        action="maintenance_done",
        payload={"plan": plan.pk, "seq": visit.seq, "done_on": visit.done_on.isoformat()},
    )
    # The unit's schedule counts from this service at once, not at the next generation run.
    unit_project(unit=locked, plan=plan)
    return visit
