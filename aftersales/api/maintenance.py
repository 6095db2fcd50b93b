"""Maintenance plans, a unit's schedule, the generation log, checklists and service contracts
over the API: the same actions and selectors as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.core.selectors import get_visible
from aftersales.maintenance import actions, selectors
from aftersales.maintenance.models import ChecklistEntry
from aftersales.orders.selectors import orders_visible_to

router = Router(tags=["maintenance"])


class TaskOut(Schema):
    id: int
    kind: str
    text: str
    unit_label: str
    low: Decimal | None
    high: Decimal | None
    part_id: int | None
    quantity: Decimal


class MaintenanceLevelOut(Schema):
    id: int
    name: str
    at_meter: Decimal | None
    every_nth: int | None
    tasks: list[TaskOut]


class RuleOut(Schema):
    id: int
    kind: str
    days: int | None
    months: int | None
    meter: Decimal | None
    nth: int | None
    weekday: int | None
    levels: list[MaintenanceLevelOut]


class MaintenancePlanOut(Schema):
    id: int
    name: str
    status: str
    product_model_id: int | None
    category_id: int | None
    meter_kind: str
    window_days: int
    horizon_days: int
    working_days_only: bool
    blackout_months: list[int]
    priority: str
    needs_contract: bool
    last_run_at: dt.datetime | None
    rules: list[RuleOut]


class MaintenancePlanIn(Schema):
    name: str
    product_model_id: int | None = None
    category_id: int | None = None
    meter_kind: str = "hours"
    window_days: int = 7
    horizon_days: int = 14
    working_days_only: bool = True
    blackout_months: list[int] = []
    priority: str = "low"
    needs_contract: bool = False


class RuleIn(Schema):
    kind: str
    days: int | None = None
    months: int | None = None
    meter: Decimal | None = None
    nth: int | None = None
    weekday: int | None = None


class LevelIn(Schema):
    name: str
    at_meter: Decimal | None = None
    every_nth: int | None = None
    duration_minutes: int = 60


class TaskIn(Schema):
    kind: str
    text: str
    unit_label: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    part_id: int | None = None
    quantity: Decimal = Decimal(1)


class MaintenanceTransitionIn(Schema):
    action: str
    reason: str = ""


class MaintenanceRunOut(Schema):
    id: int
    plan_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    units: int
    created: int
    blocked: dict[str, int]


class MaintenanceDueOut(Schema):
    seq: int
    level_id: int | None
    level: str | None
    due_on: dt.date
    window_start: dt.date
    window_end: dt.date
    due_by: str
    meter_at: Decimal | None
    meter_on: dt.date | None


class ServiceOut(Schema):
    seq: int
    attempt: int
    state: str
    order_id: int
    order_number: str
    level: str | None
    due_on: dt.date
    done_on: dt.date | None
    done_meter: Decimal | None


class ScheduleOut(Schema):
    unit_id: int
    plan_id: int | None
    state: str | None
    reason: str | None
    last_reading: Decimal | None
    upcoming: list[MaintenanceDueOut]
    services: list[ServiceOut]


class MaintenanceAnswerIn(Schema):
    task_id: int
    done: bool = False
    value: Decimal | None = None
    note: str = ""


class ChecklistIn(Schema):
    answers: list[MaintenanceAnswerIn]
    reading: Decimal | None = None


class EntryOut(Schema):
    id: int
    task_id: int
    done: bool
    value: Decimal | None
    out_of_limits: bool
    repair_order_id: int | None


class ContractIn(Schema):
    customer_id: int
    unit_ids: list[int]
    number: str
    starts_on: dt.date
    ends_on: dt.date
    respond_minutes: int | None = None
    arrive_minutes: int | None = None
    resolve_minutes: int | None = None
    parts_pct: int = 0
    labour_pct: int = 0
    travel_pct: int = 0
    visits_per_year: int = 0
    price: Decimal = Decimal(0)


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    status: str
    starts_on: dt.date
    ends_on: dt.date
    unit_ids: list[int]
    respond_minutes: int | None
    arrive_minutes: int | None
    resolve_minutes: int | None
    parts_pct: int
    labour_pct: int
    travel_pct: int
    visits_per_year: int
    price: Decimal
    renewed_by_id: int | None
    # The contract year's included visits used and left (on a single contract's answer).
    visits_used: int | None = None
    visits_left: int | None = None


class RenewIn(Schema):
    number: str
    ends_on: dt.date
    price: Decimal | None = None


def _plan(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "status": p.status,
        "product_model_id": p.product_model_id,
        "category_id": p.category_id,
        "meter_kind": p.meter_kind,
        "window_days": p.window_days,
        "horizon_days": p.horizon_days,
        "working_days_only": p.working_days_only,
        "blackout_months": p.blackout_months or [],
        "priority": p.priority,
        "needs_contract": p.needs_contract,
        "last_run_at": p.last_run_at,
        "rules": [
            {
                "id": r.pk,
                "kind": r.kind,
                "days": r.days,
                "months": r.months,
                "meter": r.meter,
                "nth": r.nth,
                "weekday": r.weekday,
                "levels": [
                    {
                        "id": lv.pk,
                        "name": lv.name,
                        "at_meter": lv.at_meter,
                        "every_nth": lv.every_nth,
                        "tasks": [
                            {
                                "id": t.pk,
                                "kind": t.kind,
                                "text": t.text,
                                "unit_label": t.unit_label,
                                "low": t.low,
                                "high": t.high,
                                "part_id": t.part_id,
                                "quantity": t.quantity,
                            }
                            for t in lv.tasks.all()
                        ],
                    }
                    for lv in r.levels.all()
                ],
            }
            for r in p.rules.prefetch_related("levels__tasks").all()
        ],
    }


def _visible_plan(request: AuthedRequest, plan_id: int) -> Any:
    return get_visible(selectors.plans_visible_to(request.user), plan_id)


@router.get("/maintenance/plans", response={200: list[MaintenancePlanOut], **ERRORS})
def plan_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return [_plan(p) for p in selectors.plans_visible_to(request.user)]


@router.post("/maintenance/plans", response={201: MaintenancePlanOut, **ERRORS})
def plan_create(request: AuthedRequest, payload: MaintenancePlanIn) -> Any:
    data = payload.dict()
    plan = actions.plan_create(
        actor=request.user,
        name=data.pop("name"),
        product_model=data.pop("product_model_id"),
        category=data.pop("category_id"),
        **data,
    )
    return Status(201, _plan(plan))


@router.get("/maintenance/plans/{plan_id}", response={200: MaintenancePlanOut, **ERRORS})
def plan_get(request: AuthedRequest, plan_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return _plan(_visible_plan(request, plan_id))


@router.post("/maintenance/plans/{plan_id}/rules", response={200: MaintenancePlanOut, **ERRORS})
def rule_save(request: AuthedRequest, plan_id: int, payload: RuleIn) -> Any:
    actions.rule_save(actor=request.user, plan=plan_id, **payload.dict())
    return _plan(_visible_plan(request, plan_id))


@router.post("/maintenance/rules/{rule_id}/levels", response={200: MaintenanceLevelOut, **ERRORS})
def level_add(request: AuthedRequest, rule_id: int, payload: LevelIn) -> Any:
    level = actions.level_save(actor=request.user, rule=rule_id, **payload.dict())
    return {
        "id": level.pk,
        "name": level.name,
        "at_meter": level.at_meter,
        "every_nth": level.every_nth,
        "tasks": [],
    }


@router.post("/maintenance/levels/{level_id}/tasks", response={200: TaskOut, **ERRORS})
def task_add(request: AuthedRequest, level_id: int, payload: TaskIn) -> Any:
    data = payload.dict()
    task = actions.task_save(
        actor=request.user,
        level=level_id,
        part=data.pop("part_id"),
        **data,
    )
    return {
        "id": task.pk,
        "kind": task.kind,
        "text": task.text,
        "unit_label": task.unit_label,
        "low": task.low,
        "high": task.high,
        "part_id": task.part_id,
        "quantity": task.quantity,
    }


@router.post(
    "/maintenance/plans/{plan_id}/transition", response={200: MaintenancePlanOut, **ERRORS}
)
def plan_transition(request: AuthedRequest, plan_id: int, payload: MaintenanceTransitionIn) -> Any:
    plan = actions.plan_transition(
        actor=request.user,
        plan=plan_id,
        action=payload.action,
        reason=payload.reason,
    )
    return _plan(plan)


def _run(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "plan_id": run.plan_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "units": run.units,
        "created": run.created,
        "blocked": run.blocked or {},
    }


@router.post("/maintenance/plans/{plan_id}/generate", response={200: MaintenanceRunOut, **ERRORS})
def plan_generate(request: AuthedRequest, plan_id: int) -> Any:
    run = actions.plan_generate_now(actor=request.user, plan=plan_id)
    return _run(run)


@router.get("/maintenance/runs", response={200: list[MaintenanceRunOut], **ERRORS})
def run_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return [_run(r) for r in selectors.generation_log(request.user)[:200]]


@router.get("/units/{unit_id}/maintenance", response={200: ScheduleOut, **ERRORS})
def unit_schedule(request: AuthedRequest, unit_id: int) -> Any:
    require(request.user, Perm.UNIT_VIEW)
    data = selectors.unit_schedule(request.user, unit_id)
    state = data["state"]
    return {
        "unit_id": data["unit"].pk,
        "plan_id": data["plan"].pk if data["plan"] else None,
        "state": state.state if state else None,
        "reason": (state.reason or None) if state else None,
        "last_reading": data["reading"].value if data["reading"] else None,
        "upcoming": [
            {
                "seq": row["due"].seq,
                "level_id": row["due"].level,
                "level": row["level"].name if row["level"] else None,
                "due_on": row["due"].on,
                "window_start": row["due"].window_start,
                "window_end": row["due"].window_end,
                "due_by": row["due"].by,
                "meter_at": row["due"].meter_at,
                "meter_on": row["due"].meter_on,
            }
            for row in data["upcoming"]
        ],
        "services": [
            {
                "seq": v.seq,
                "attempt": v.attempt,
                "state": v.state,
                "order_id": v.order_id,
                "order_number": v.order.number,
                "level": v.level.name if v.level else None,
                "due_on": v.due_on,
                "done_on": v.done_on,
                "done_meter": v.done_meter,
            }
            for v in data["past"]
        ],
    }


def _entry(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "task_id": e.task_id,
        "done": e.done,
        "value": e.value,
        "out_of_limits": e.out_of_limits,
        "repair_order_id": e.repair_order_id,
    }


@router.post("/orders/{order_id}/checklist", response={200: list[EntryOut], **ERRORS})
def checklist_record(request: AuthedRequest, order_id: int, payload: ChecklistIn) -> Any:
    get_visible(orders_visible_to(request.user), order_id)
    rows = actions.checklist_record(
        actor=request.user,
        order=order_id,
        answers={
            a.task_id: {"done": a.done, "value": a.value, "note": a.note} for a in payload.answers
        },
        reading=payload.reading,
    )
    return [_entry(e) for e in rows]


@router.post("/orders/{order_id}/checklist/{entry_id}/repair", response={200: EntryOut, **ERRORS})
def checklist_repair(request: AuthedRequest, order_id: int, entry_id: int) -> Any:
    get_visible(orders_visible_to(request.user), order_id)
    actions.checklist_open_repair(actor=request.user, entry=entry_id)
    return _entry(ChecklistEntry.objects.get(pk=entry_id))


def _contract(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "number": c.number,
        "customer_id": c.customer_id,
        "status": c.status,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "unit_ids": sorted(c.units.values_list("id", flat=True)),
        "respond_minutes": c.respond_minutes,
        "arrive_minutes": c.arrive_minutes,
        "resolve_minutes": c.resolve_minutes,
        "parts_pct": c.parts_pct,
        "labour_pct": c.labour_pct,
        "travel_pct": c.travel_pct,
        "visits_per_year": c.visits_per_year,
        "price": c.price,
        "renewed_by_id": c.renewed_by_id,
    }


@router.get("/maintenance/contracts", response={200: list[ContractOut], **ERRORS})
def contract_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return [_contract(c) for c in selectors.contracts_visible_to(request.user)[:1000]]


@router.post("/maintenance/contracts", response={201: ContractOut, **ERRORS})
def contract_create(request: AuthedRequest, payload: ContractIn) -> Any:
    data = payload.dict()
    contract = actions.contract_create(
        actor=request.user,
        customer=data.pop("customer_id"),
        units=data.pop("unit_ids"),
        **data,
    )
    return Status(201, _contract(contract))


@router.get("/maintenance/contracts/{contract_id}", response={200: ContractOut, **ERRORS})
def contract_get(request: AuthedRequest, contract_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    found = get_visible(selectors.contracts_visible_to(request.user), contract_id)
    visits = actions.contract_visits(found)
    return {**_contract(found), "visits_used": visits["used"], "visits_left": visits["left"]}


@router.post(
    "/maintenance/contracts/{contract_id}/transition", response={200: ContractOut, **ERRORS}
)
def contract_transition(
    request: AuthedRequest, contract_id: int, payload: MaintenanceTransitionIn
) -> Any:
    contract = actions.contract_transition(
        actor=request.user,
        contract=contract_id,
        action=payload.action,
        reason=payload.reason,
    )
    return _contract(contract)


@router.post("/maintenance/contracts/{contract_id}/renew", response={201: ContractOut, **ERRORS})
def contract_renew(request: AuthedRequest, contract_id: int, payload: RenewIn) -> Any:
    new = actions.contract_renew(
        actor=request.user,
        contract=contract_id,
        number=payload.number,
        ends_on=payload.ends_on,
        price=payload.price,
    )
    return Status(201, _contract(new))


class CampaignIn(Schema):
    name: str
    kind: str
    work: str
    product_model_ids: list[int] = []
    serial_from: str = ""
    serial_to: str = ""
    sold_from: dt.date | None = None
    sold_to: dt.date | None = None
    serials: list[str] = []


class CampaignOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    work: str
    units: int
    progress: dict[str, int]


def _campaign(user: Any, c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "status": c.status,
        "work": c.work,
        "units": actions.campaign_units_query(c).count()
        if c.status == "draft"
        else c.units.count(),
        "progress": selectors.campaign_progress(c, user=user)["counts"],
    }


@router.get("/maintenance/campaigns", response={200: list[CampaignOut], **ERRORS})
def campaign_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return [_campaign(request.user, c) for c in selectors.campaigns_visible_to(request.user)[:200]]


@router.post("/maintenance/campaigns", response={201: CampaignOut, **ERRORS})
def campaign_create(request: AuthedRequest, payload: CampaignIn) -> Any:
    data = payload.dict()
    campaign = actions.campaign_create(
        actor=request.user,
        product_models=data.pop("product_model_ids"),
        **data,
    )
    return Status(201, _campaign(request.user, campaign))


@router.get("/maintenance/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS})
def campaign_get(request: AuthedRequest, campaign_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    found = get_visible(selectors.campaigns_visible_to(request.user), campaign_id)
    return _campaign(request.user, found)


@router.post("/maintenance/campaigns/{campaign_id}/launch", response={200: CampaignOut, **ERRORS})
def campaign_launch(request: AuthedRequest, campaign_id: int) -> Any:
    campaign = actions.campaign_launch(actor=request.user, campaign=campaign_id)
    return _campaign(request.user, campaign)


class ChecklistItemIn(Schema):
    item: str
    ok: bool = False
    note: str = ""


class MeasurementIn(Schema):
    name: str
    value: Decimal
    unit: str = ""


class AcceptanceIn(Schema):
    checklist: list[ChecklistItemIn]
    measurements: list[MeasurementIn] = []
    defects: list[str] = []
    signature: str = ""
    signer_name: str = ""


class SignatureIn(Schema):
    signature: str
    signer_name: str = ""


class AcceptanceOut(Schema):
    order_id: int
    status: str
    certificate_no: str
    defects: list[dict[str, Any]]


def _acceptance(record: Any) -> dict[str, Any]:
    return {
        "order_id": record.order_id,
        "status": record.status,
        "certificate_no": record.certificate_no,
        "defects": [
            {"text": d.text, "order_id": d.order_id, "order_number": d.order.number}
            for d in record.defects.select_related("order")
        ],
    }


@router.post("/orders/{order_id}/acceptance", response={200: AcceptanceOut, **ERRORS})
def acceptance_record(request: AuthedRequest, order_id: int, payload: AcceptanceIn) -> Any:
    data = payload.dict()
    record = actions.acceptance_record(actor=request.user, order=order_id, **data)
    return _acceptance(record)


@router.post("/orders/{order_id}/acceptance/accept", response={200: AcceptanceOut, **ERRORS})
def acceptance_accept(request: AuthedRequest, order_id: int, payload: SignatureIn) -> Any:
    record = actions.acceptance_accept(
        actor=request.user,
        order=order_id,
        signature=payload.signature,
        signer_name=payload.signer_name,
    )
    return _acceptance(record)


class InstallationUnitIn(Schema):
    serial: str = ""
    product_model_id: int | None = None
    installed_on: dt.date | None = None
    meter_kind: str = ""
    meter_value: Decimal | None = None


class InstallationUnitOut(Schema):
    order_id: int
    unit_id: int
    serial: str
    product_model_id: int
    installation_date: dt.date | None
    status: str


@router.post("/orders/{order_id}/installation/unit", response={200: InstallationUnitOut, **ERRORS})
def installation_unit(request: AuthedRequest, order_id: int, payload: InstallationUnitIn) -> Any:
    """Create (model and serial) or activate the unit an installation order installs."""
    unit = actions.installation_unit(
        actor=request.user,
        order=order_id,
        serial=payload.serial,
        product_model=payload.product_model_id,
        installed_on=payload.installed_on,
        meter_kind=payload.meter_kind,
        meter_value=payload.meter_value,
    )
    return {
        "order_id": order_id,
        "unit_id": unit.pk,
        "serial": unit.serial,
        "product_model_id": unit.product_model_id,
        "installation_date": unit.installation_date,
        "status": unit.status,
    }
