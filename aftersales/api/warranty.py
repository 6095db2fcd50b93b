"""POST /api/v1/warranty/evaluate: the 三包 decision for facts given inline or by unit id."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.catalog.models import ProductCategory
from aftersales.catalog.selectors import component_names, components_visible_to
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import units_visible_to
from aftersales.warranty import engine
from aftersales.warranty.actions import (
    decision_detail,
    km_on,
    policy_for,
    policy_for_unit,
    statutory_day_off,
    unit_facts,
    warranty_policy_save,
)
from aftersales.warranty.explain import WARNINGS, explain
from aftersales.warranty.models import WarrantyPolicy

router = Router(tags=["warranty"])

SEEDED = engine.SEEDED


class SerialFormatIn(Schema):
    year: tuple[int, int]
    month: tuple[int, int] | None = None
    week: tuple[int, int] | None = None


class PolicyIn(Schema):
    name: str = "inline"
    kind: str = Field("general", pattern="^(general|car|phone|computer)$")
    whole_unit_months: int = Field(12, ge=1, le=240)
    components: dict[str, int] = {}
    accessories: dict[str, int] = {}
    windows_restart_on_exchange: bool = False
    start_event: str = Field("invoice", pattern="^(invoice|sale|delivery|installation)$")
    return_days: int = Field(7, ge=0, le=365)
    exchange_days: int = Field(15, ge=0, le=365)
    repair_count_threshold: int = Field(2, ge=1, le=20)
    max_repair_days: int = Field(30, ge=1)
    max_parts_wait_days: int = Field(90, ge=1)
    depreciation_per_day: Decimal = Field(Decimal("0.0005"), ge=0, le=Decimal("0.01"))
    civil_code_days: bool = True
    void_without_documents: bool = False
    serial_format: SerialFormatIn | None = None
    shipping_allowance_days: int = Field(30, ge=0, le=365)
    car_use_rate: Decimal = Field(engine.CAR_USE_RATE_MAX, ge=0, le=engine.CAR_USE_RATE_MAX)
    wear_parts: dict[str, tuple[int, int]] = {}
    # Cars: periods and limits; never less than the 2021 rule (422 below_floor).
    car_months: int = Field(24, ge=24, le=240)
    car_km: int = Field(50_000, ge=50_000)
    car_repair_months: int = Field(36, ge=36, le=240)
    car_repair_km: int = Field(60_000, ge=60_000)
    car_loaner_after_days: int = Field(5, ge=0, le=5)
    car_max_repair_days: int = Field(30, ge=1, le=30)
    car_max_same_fault_repairs: int = Field(4, ge=1, le=4)


class RepairIn(Schema):
    date: dt.date
    fault: str = ""
    performance: bool = True
    component: str | None = None
    system: str | None = None
    replaced: bool = False  # the part (or assembly) was replaced, not repaired
    serious_safety: bool = False
    days_in_repair: float = Field(0, ge=0)
    days_waiting_parts: float = Field(0, ge=0)
    hours_in_repair: float | None = Field(None, ge=0)  # cars: whole days, under 24 h is one


class WarrantyUnitIn(Schema):
    invoice_date: dt.date | None = None
    sale_date: dt.date | None = None
    delivery_date: dt.date | None = None
    installation_date: dt.date | None = None
    has_voucher: bool = True
    has_invoice: bool = True
    voucher_matches: bool = True
    voucher_altered: bool = False
    serial: str = ""
    mileage_km: int | None = Field(None, ge=0)
    price: Decimal | None = Field(None, ge=0, decimal_places=2)
    commercial_use: bool = False
    repairs: list[RepairIn] = []
    exchanges: list[dt.date] = []


class FaultIn(Schema):
    performance: bool = True
    component: str | None = None
    fault: str = ""
    misuse: bool = False
    unauthorised_disassembly: bool = False
    force_majeure: bool = False
    days_in_repair: float = Field(0, ge=0)
    days_waiting_parts: float = Field(0, ge=0)
    brought_in: dt.date | None = None
    delay_cause: str = Field("", pattern="^(|repairer|parts)$")
    system: str | None = None
    needs_replacement: bool = False
    early_failure: str = ""
    serious_safety: bool = False
    defect_disclosed: bool = False
    forbidden_modification: bool = False
    wear_part: str = ""


class EvaluateIn(Schema):
    policy: str | PolicyIn = "general"
    category_id: int | None = None  # the company's policy for this product category
    unit_id: int | None = None
    unit: WarrantyUnitIn | None = None
    fault: FaultIn | None = None
    service_date: dt.date
    # With unit_id: the km reading to decide with (default: the unit's last recorded reading).
    mileage_km: int | None = Field(None, ge=0)
    # Move a last day off a statutory day off by the company calendar (Civil Code art. 203).
    use_calendar: bool = True


class ExplanationOut(Schema):
    decision: str
    reason: str
    clause: str
    policy: str
    facts: list[tuple[str, str]]
    periods: list[tuple[str, str]]
    options: list[str]
    warnings: list[str]


class WarningOut(Schema):
    code: str
    message: str


class DecisionOut(Schema):
    decision: str
    options: list[str]
    rule: str
    clause: str
    period_ends: dict[str, dt.date]
    evidence: dict[str, Any]
    warnings: list[WarningOut]
    explanation: ExplanationOut


def _policy(value: str | PolicyIn) -> engine.Policy:
    if isinstance(value, str):
        if value not in SEEDED:
            raise ApplicationError(
                "unknown_policy",
                _("Unknown warranty policy; use one of: %(names)s.") % {"names": ", ".join(SEEDED)},
                status=422,
            )
        return SEEDED[value]
    data = value.dict()
    fmt = data.pop("serial_format")
    data["wear_parts"] = {k: tuple(v) for k, v in data["wear_parts"].items()}
    policy = engine.Policy(**data)
    if fmt:
        policy = replace(policy, serial_format=engine.SerialFormat(**fmt))
    return policy


def _category_policy(request: AuthedRequest, category_id: int) -> engine.Policy:
    user = request.user
    category = ProductCategory.objects.filter(pk=category_id, company_id=company_of(user)).first()
    if category is None:
        raise ApplicationError(
            "unknown_category",
            _("Unknown product category."),
            status=422,
            details={"fields": {"category_id": _("Unknown product category.")}},
        )
    return policy_for(company_id=company_of(user), product_model_id=None, category_id=category.pk)


def _unit_facts(
    request: AuthedRequest, payload: EvaluateIn, policy: engine.Policy
) -> engine.UnitFacts:
    if payload.unit is not None:
        data = payload.unit.dict()
        data["repairs"] = tuple(engine.Repair(**r) for r in data["repairs"])
        data["exchanges"] = tuple(data["exchanges"])
        return engine.UnitFacts(**data)
    if payload.unit_id is None:
        raise ApplicationError("invalid", _("Give the unit inline or by unit_id."), status=422)
    unit = get_visible(units_visible_to(request.user), payload.unit_id)
    km = payload.mileage_km
    if km is None and policy.kind == "car":
        km, _read_on = km_on(unit, payload.service_date)
    return unit_facts(unit, mileage_km=km)


EXAMPLES = {
    "seven_days": {
        "summary": "Performance fault on day 7 after sale",
        "value": {
            "policy": "general",
            "unit": {"invoice_date": "2025-03-01"},
            "fault": {"performance": True},
            "service_date": "2025-03-08",
        },
    },
    "repaired_twice": {
        "summary": "Repaired twice and failing again",
        "value": {
            "policy": "general",
            "unit": {
                "invoice_date": "2025-03-01",
                "repairs": [{"date": "2025-05-01"}, {"date": "2025-07-01"}],
            },
            "service_date": "2025-09-01",
        },
    },
    "no_voucher": {
        "summary": "No voucher, no invoice: start from the serial",
        "value": {
            "policy": {"whole_unit_months": 12, "serial_format": {"year": [2, 4], "month": [4, 6]}},
            "unit": {"has_voucher": False, "has_invoice": False, "serial": "KF2501123456"},
            "service_date": "2025-06-01",
        },
    },
    "no_documents": {
        "summary": "Neither voucher nor invoice, no serial format: paid repair, outside 三包",
        "value": {
            "policy": "general",
            "unit": {"has_voucher": False, "has_invoice": False, "serial": "KF2501123456"},
            "service_date": "2025-06-01",
        },
    },
    "car_first_week": {
        "summary": "Car: engine to be replaced on day 3 — exchange or return, with use compensation",
        "value": {
            "policy": "car",
            "unit": {"invoice_date": "2025-03-01", "mileage_km": 300, "price": "150000.00"},
            "fault": {"system": "engine", "needs_replacement": True},
            "service_date": "2025-03-03",
        },
    },
    "phone_battery": {
        "summary": "Phone battery replaced twice and failing again: the battery is returned",
        "value": {
            "policy": "phone",
            "unit": {
                "invoice_date": "2025-03-01",
                "repairs": [
                    {"date": "2025-04-01", "component": "battery", "replaced": True},
                    {"date": "2025-05-01", "component": "battery", "replaced": True},
                ],
            },
            "fault": {"component": "battery"},
            "service_date": "2025-06-01",
        },
    },
    "car": {
        "summary": "Household car, same fault repaired four times",
        "value": {
            "policy": "car",
            "unit": {
                "invoice_date": "2025-01-10",
                "mileage_km": 12000,
                "repairs": [{"date": f"2025-0{m}-01", "fault": "brake"} for m in (3, 4, 5, 6)],
            },
            "fault": {"fault": "brake"},
            "service_date": "2025-08-01",
        },
    },
}


@router.post(
    "/warranty/evaluate",
    response={200: DecisionOut, **ERRORS},
    openapi_extra={"requestBody": {"content": {"application/json": {"examples": EXAMPLES}}}},
)
def evaluate(request: AuthedRequest, payload: EvaluateIn) -> Any:
    """Decide return / exchange / free repair / paid repair under a seeded policy (`general`,
    `car`, `phone`, `computer`, `colour_tv`, `bicycle`), one given inline, the company's policy
    for a category, or (with `unit_id` and no policy) the unit's own policy. A unit without
    voucher and invoice gets the law's decision (paid repair, outside 三包), not an error.
    The company calendar moves a last day off a statutory day off. `explanation` says it all
    in the caller's language. Nothing is stored."""
    user = request.user
    require(user, Perm.UNIT_VIEW)
    if payload.category_id is not None:
        policy = _category_policy(request, payload.category_id)
    elif payload.unit_id is not None and payload.unit is None and payload.policy == "general":
        policy = policy_for_unit(get_visible(units_visible_to(user), payload.unit_id))
    else:
        policy = _policy(payload.policy)
    facts = _unit_facts(request, payload, policy)
    try:
        result = engine.evaluate(
            policy,
            facts,
            engine.FaultFacts(**payload.fault.dict()) if payload.fault else engine.FaultFacts(),
            payload.service_date,
            is_day_off=statutory_day_off(company_of(user)) if payload.use_calendar else None,
        )
    except engine.WarrantyInputError as exc:
        raise ApplicationError(
            exc.code, exc.message, status=422, details={"fields": {exc.field: exc.message}}
        ) from None
    detail = decision_detail(policy, result)
    return {
        "decision": result.decision,
        "options": list(result.options),
        "rule": result.rule,
        "clause": result.clause,
        "period_ends": result.period_ends,
        "evidence": detail["evidence"],
        "warnings": [
            {"code": code, "message": str(WARNINGS.get(code, code))} for code in result.warnings
        ],
        "explanation": explain(result.decision, detail, _component_names(user, payload, detail)),
    }


def _component_names(user: Any, payload: EvaluateIn, detail: dict[str, Any]) -> dict[str, str]:
    """The main components' names for the explanation: the category's, or the unit's."""
    if payload.category_id is not None:
        rows = components_visible_to(user).filter(category_id=payload.category_id)
        return dict(rows.values_list("code", "name"))
    if payload.unit_id is not None and payload.unit is None:
        # the unit is visible: `_unit_facts` read it through the caller's scope
        return component_names(payload.unit_id, detail)
    return {}


# --- The company's stored policies ------------------------------------------------------------


class StoredPolicyOut(Schema):
    id: int
    name: str
    kind: str
    category_id: int | None
    product_model_id: int | None
    whole_unit_months: int
    components: dict[str, int]
    accessories: dict[str, int]
    windows_restart_on_exchange: bool
    start_event: str
    return_days: int
    exchange_days: int
    repair_count_threshold: int
    max_repair_days: int
    max_parts_wait_days: int
    depreciation_per_day: Decimal
    void_without_documents: bool
    serial_format: dict[str, Any] | None
    shipping_allowance_days: int
    civil_code_days: bool
    car_months: int
    car_km: int
    car_repair_months: int
    car_repair_km: int
    car_loaner_after_days: int
    car_max_repair_days: int
    car_max_same_fault_repairs: int
    car_use_rate: Decimal
    # {code: [months, km]}: a wear part's own period (km 0: no km limit).
    wear_parts: dict[str, list[int]]


class StoredPolicyIn(Schema):
    """A company promise. Every field may be given; what is not given keeps its value (or the
    rule's default on a new policy). A promise below the law is refused (422 with the fields)."""

    name: str | None = None
    kind: str | None = Field(None, pattern="^(general|car|phone|computer)$")
    category_id: int | None = None
    product_model_id: int | None = None
    whole_unit_months: int | None = Field(None, ge=1, le=240)
    components: dict[str, int] | None = None
    accessories: dict[str, int] | None = None
    windows_restart_on_exchange: bool | None = None
    start_event: str | None = Field(None, pattern="^(invoice|sale|delivery|installation)$")
    return_days: int | None = Field(None, ge=0, le=365)
    exchange_days: int | None = Field(None, ge=0, le=365)
    repair_count_threshold: int | None = Field(None, ge=1, le=20)
    max_repair_days: int | None = Field(None, ge=1, le=365)
    max_parts_wait_days: int | None = Field(None, ge=1, le=365)
    depreciation_per_day: Decimal | None = Field(None, ge=0, le=Decimal("0.01"))
    void_without_documents: bool | None = None
    serial_format: SerialFormatIn | None = None
    shipping_allowance_days: int | None = Field(None, ge=0, le=365)
    civil_code_days: bool | None = None
    car_months: int | None = Field(None, ge=1, le=240)
    car_km: int | None = Field(None, ge=1, le=10_000_000)
    car_repair_months: int | None = Field(None, ge=1, le=240)
    car_repair_km: int | None = Field(None, ge=1, le=10_000_000)
    car_loaner_after_days: int | None = Field(None, ge=0, le=365)
    car_max_repair_days: int | None = Field(None, ge=1, le=365)
    car_max_same_fault_repairs: int | None = Field(None, ge=1, le=100)
    car_use_rate: Decimal | None = Field(None, ge=0, le=engine.CAR_USE_RATE_MAX)
    wear_parts: dict[str, tuple[int, int]] | None = None


def _stored_fields(payload: StoredPolicyIn) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    # null for a setting means "not given" (the rule's or the stored value stays); only the
    # category and model references take null as a value (the policy applies to none).
    data = {
        k: v
        for k, v in data.items()
        if v is not None
        or k in ("category_id", "product_model_id", "components", "accessories", "wear_parts")
    }
    for ref in ("category_id", "product_model_id"):
        if ref in data:
            data[ref[:-3]] = data.pop(ref)
    if "wear_parts" in data and data["wear_parts"] is not None:
        data["wear_parts"] = {k: list(v) for k, v in data["wear_parts"].items()}
    for name in ("components", "accessories", "wear_parts"):
        if name in data and data[name] is None:
            data[name] = {}
    return data


def _stored(request: AuthedRequest) -> Any:
    user = request.user
    require(user, Perm.WARRANTY_EDIT)
    return WarrantyPolicy.objects.filter(company_id=company_of(user))


@router.get("/warranty/policies", response={200: list[StoredPolicyOut], **ERRORS})
def policy_list(request: AuthedRequest) -> Any:
    """The company's 三包 policies (by product model, category or company default)."""
    return list(_stored(request).order_by("pk"))


@router.get("/warranty/policies/{policy_id}", response={200: StoredPolicyOut, **ERRORS})
def policy_get(request: AuthedRequest, policy_id: int) -> Any:
    return get_visible(_stored(request), policy_id)


@router.post("/warranty/policies", response={201: StoredPolicyOut, **ERRORS})
def policy_create(request: AuthedRequest, payload: StoredPolicyIn) -> Any:
    """A new promise. A car policy's periods, km, loaner day, repair-day and repeat limits and
    its wear parts are checked against the 2021 car rule: never less than the law."""
    _stored(request)
    row = warranty_policy_save(actor=request.user, **_stored_fields(payload))
    return Status(201, row)


@router.patch("/warranty/policies/{policy_id}", response={200: StoredPolicyOut, **ERRORS})
def policy_update(request: AuthedRequest, policy_id: int, payload: StoredPolicyIn) -> Any:
    row = get_visible(_stored(request), policy_id)
    return warranty_policy_save(actor=request.user, policy=row, **_stored_fields(payload))
