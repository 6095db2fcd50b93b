"""Reads of maintenance plans, schedules, the generation log, checklists and contracts,
always through the user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Q, QuerySet

from aftersales.catalog.models import ProductModel
from aftersales.core import clock
from aftersales.core.selectors import get_visible
from aftersales.customers.choices import MeterKind
from aftersales.customers.models import InstalledUnit
from aftersales.customers.selectors import customers_visible_to, latest_meter, units_visible_to
from aftersales.maintenance import actions, campaigns, schedule
from aftersales.maintenance.choices import (
    ACCEPTANCE_ITEMS,
    PLAN_MACHINE,
    CampaignProgress,
    PlanStatus,
    ScheduleState,
    TaskKind,
)
from aftersales.maintenance.models import (
    AcceptanceRecord,
    Campaign,
    CampaignUnit,
    ChecklistEntry,
    GenerationRun,
    LevelTask,
    MaintenancePlan,
    MaintenanceVisit,
    ServiceContract,
    UnitSchedule,
)
from aftersales.orders.choices import OPEN, REOPENABLE
from aftersales.orders.models import ServiceOrder

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def plans_visible_to(user: Any) -> QuerySet[MaintenancePlan]:
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return MaintenancePlan.objects.none()
    return (
        MaintenancePlan.objects.filter(company_id=user.company_id)
        .select_related("product_model", "category")
        .annotate(
            blocked_count=Count("schedules", filter=Q(schedules__state=ScheduleState.BLOCKED)),
            ordered_count=Count("schedules", filter=Q(schedules__state=ScheduleState.ORDERED)),
        )
    )


def plan_detail(plan: MaintenancePlan) -> dict[str, Any]:
    """The plan with its rules, levels and tasks, the state of its units and the recent runs."""
    rules = list(plan.rules.prefetch_related("levels__tasks__part").all())
    states = dict(
        UnitSchedule.objects.filter(plan=plan)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    blocked = list(
        UnitSchedule.objects.filter(plan=plan, state=ScheduleState.BLOCKED)
        .select_related("unit__product_model", "unit__customer")
        .order_by("due_on", "id")[:50]
    )
    return {
        "plan": plan,
        "rules": rules,
        "states": [(label, states.get(value, 0)) for value, label in ScheduleState.choices],
        "blocked": blocked,
        "runs": list(plan.runs.all()[:20]),
        "events": list(plan.events.select_related("actor").order_by("-at", "-id")[:20]),
        "actions": [
            (verb, PLAN_MACHINE.verb_label(verb)) for verb in PLAN_MACHINE.available(plan.status)
        ],
    }


def generation_log(user: Any) -> QuerySet[GenerationRun]:
    return GenerationRun.objects.filter(plan__company_id=user.company_id).select_related("plan")


def unit_schedule(user: Any, unit: Any) -> dict[str, Any]:
    """A unit's maintenance: its plan, past services (orders, done dates and meters) and the
    next ones projected from the last done service and the readings."""
    found: InstalledUnit = get_visible(
        units_visible_to(user).select_related("product_model__category", "customer"), unit
    )
    plan = actions.plan_for_unit(found)
    past = list(
        MaintenanceVisit.objects.filter(unit=found)
        .select_related("order", "level", "plan")
        .order_by("-seq", "-attempt")
    )
    upcoming: list[dict[str, Any]] = []
    reading = None
    if plan is not None:
        facts = actions.facts_for(found, plan, live=True)
        timing = actions.timing_of(plan, found)
        levels = {lv.pk: lv for r in plan.rules.all() for lv in r.levels.all()}
        projection = schedule.upcoming(
            actions.rules_of(plan),
            facts,
            timing,
            count=5,
            is_working=actions.working_days(found.company_id),
        )
        upcoming = [{"due": due, "level": levels.get(due.level or 0)} for due in projection]
        reading = latest_meter(found, plan.meter_kind)
    state = UnitSchedule.objects.filter(unit=found, plan=plan).first() if plan else None
    return {
        "unit": found,
        "plan": plan,
        "past": past,
        "upcoming": upcoming,
        "reading": reading,
        "state": state,
        "contracts": list(ServiceContract.objects.filter(units=found).order_by("-starts_on")),
    }


class ChecklistRow(TypedDict):
    task: LevelTask
    entry: ChecklistEntry | None


def checklist_for(order: ServiceOrder) -> dict[str, Any] | None:
    """The level's tasks and the answers given so far on a planned service's visit."""
    visit = (
        MaintenanceVisit.objects.select_related("plan", "level", "rule")
        .filter(order_id=order.pk)
        .first()
    )
    if visit is None:
        return None
    entries = {e.task_id: e for e in ChecklistEntry.objects.filter(visit=visit)}
    rows: list[ChecklistRow] = []
    for task in visit.level.tasks.select_related("part").all() if visit.level else []:
        rows.append({"task": task, "entry": entries.get(task.pk)})
    reading = latest_meter(visit.unit_id, visit.plan.meter_kind)
    return {
        "visit": visit,
        "rows": rows,
        "reading": reading,
        "meter_kind": visit.plan.get_meter_kind_display(),
        "kit": [r["task"] for r in rows if r["task"].kind == TaskKind.REPLACE and r["task"].part],
        "missing": len(actions.checklist_missing(visit)),
        "flagged": [r for r in rows if r["entry"] and r["entry"].out_of_limits],
    }


class ContractCounts(TypedDict):
    unit_count: int


def contracts_visible_to(
    user: Any,
) -> QuerySet[WithAnnotations[ServiceContract, ContractCounts]]:
    return (
        ServiceContract.objects.filter(customer__in=customers_visible_to(user))
        .select_related("customer")
        .annotate(unit_count=Count("units"))
    )


def active_plans(user: Any) -> QuerySet[MaintenancePlan]:
    return plans_visible_to(user).filter(status=PlanStatus.ACTIVE)


def maintenance_for_order(order: ServiceOrder) -> dict[str, Any] | None:
    """What the order page shows: the plan, rule and level it was generated from, and the
    service contract covering its unit (levels and coverage)."""
    visit = (
        MaintenanceVisit.objects.select_related("plan", "level", "rule")
        .filter(order_id=order.pk)
        .first()
    )
    contract = actions.contract_for_order(order)
    acceptance = order.service_type in actions.ACCEPTANCE_TYPES
    if visit is None and contract is None and not acceptance:
        return None
    return {
        "visit": visit,
        "contract": contract,
        "acceptance": acceptance,
        "installation": installation_form(order),
    }


def installation_form(order: ServiceOrder) -> dict[str, Any] | None:
    """The installed-unit form of an open installation order: the company's product models
    and the meter kinds (the unit's model is fixed once the order names a unit)."""
    if order.service_type != "installation" or order.status not in OPEN:
        return None
    models = (
        []
        if order.unit_id
        else list(
            ProductModel.objects.filter(category__company_id=order.company_id).order_by("name")
        )
    )
    return {"models": models, "meter_kinds": MeterKind.choices, "today": clock.today()}


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return Campaign.objects.none()
    return Campaign.objects.filter(company_id=user.company_id).annotate(unit_count=Count("units"))


def campaign_progress(campaign: Campaign, *, user: Any = None) -> dict[str, Any]:
    """Each unit's state (pending, owner told, booked, done, unreachable, cancelled) and the
    counts; the units limited to the user's scope when a user is given."""
    qs = CampaignUnit.objects.filter(campaign=campaign).select_related(
        "unit__product_model", "unit__customer", "order"
    )
    if user is not None:
        qs = qs.filter(unit__in=units_visible_to(user))
    rows = []
    counts = dict.fromkeys(CampaignProgress.values, 0)
    for row in qs.order_by("id"):
        order = row.order
        state = campaigns.progress(
            has_order=order is not None,
            told=row.told,
            unreachable=row.unreachable,
            status=order.status if order else "",
            booked=bool(order and order.appointment_start),
        )
        counts[state] += 1
        rows.append({"row": row, "state": state, "label": CampaignProgress(state).label})
    return {"rows": rows, "counts": counts}


def acceptance_for(order: ServiceOrder) -> dict[str, Any] | None:
    """An installation or acceptance order's acceptance: the record (if any), the checklist to
    start from, the defects with their orders, and whether it can be accepted now."""
    if order.service_type not in actions.ACCEPTANCE_TYPES:
        return None
    record = AcceptanceRecord.objects.filter(order_id=order.pk).first()
    defects = list(record.defects.select_related("order")) if record else []
    items = (
        record.checklist
        if record and record.checklist
        else [{"item": str(text), "ok": False, "note": ""} for text in ACCEPTANCE_ITEMS]
    )
    return {
        "record": record,
        "items": items,
        "measurements": (record.measurements if record else []) + [{}] * 3,
        "defects": defects,
        "ready": record is not None
        and record.status == "defects"
        and all(d.order.status in REOPENABLE for d in defects),
    }
