"""POST /api/v1/warranty/evaluate: the 三包 decision for facts given inline or by unit id."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import units_visible_to
from aftersales.warranty import engine

router = Router(tags=["warranty"])

SEEDED = {
    "general": engine.GENERAL,
    "car": engine.CAR,
    "colour_tv": engine.COLOUR_TV,
    "bicycle": engine.BICYCLE,
}

WARNINGS = {
    "no_voucher_start_inferred_from_serial": _(
        "No voucher and no invoice: the start date is inferred from the serial number."
    ),
    "mileage_unknown": _("Mileage unknown: only the time limits were checked."),
    "loaner_due_from_day_6": _("The repair takes over 5 days: a loaner car is due from day 6."),
}


class SerialFormatIn(Schema):
    year: tuple[int, int]
    month: tuple[int, int] | None = None
    week: tuple[int, int] | None = None


class PolicyIn(Schema):
    name: str = "inline"
    kind: str = Field("general", pattern="^(general|car)$")
    whole_unit_months: int = Field(12, ge=1, le=240)
    components: dict[str, int] = {}
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


class RepairIn(Schema):
    date: dt.date
    fault: str = ""
    performance: bool = True
    component: str | None = None
    days_in_repair: float = Field(0, ge=0)
    days_waiting_parts: float = Field(0, ge=0)


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


class EvaluateIn(Schema):
    policy: str | PolicyIn = "general"
    category_id: int | None = None  # the company's policy for this product category
    unit_id: int | None = None
    unit: WarrantyUnitIn | None = None
    fault: FaultIn | None = None
    service_date: dt.date


class WarningOut(Schema):
    code: str
    message: str


class DecisionOut(Schema):
    decision: str
    options: list[str]
    rule: str
    period_ends: dict[str, dt.date]
    evidence: dict[str, Any]
    warnings: list[WarningOut]


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
    policy = engine.Policy(**data)
    if fmt:
        policy = replace(policy, serial_format=engine.SerialFormat(**fmt))
    return policy


def _category_policy(request: HttpRequest, category_id: int) -> engine.Policy:
    from aftersales.catalog.models import ProductCategory
    from aftersales.warranty.actions import policy_for

    user: Any = request.user
    category = ProductCategory.objects.filter(pk=category_id, company_id=user.company_id).first()
    if category is None:
        raise ApplicationError(
            "unknown_category",
            _("Unknown product category."),
            status=422,
            details={"fields": {"category_id": _("Unknown product category.")}},
        )
    return policy_for(company_id=user.company_id, product_model_id=None, category_id=category.pk)


def _unit_facts(request: HttpRequest, payload: EvaluateIn) -> engine.UnitFacts:
    if payload.unit is not None:
        data = payload.unit.dict()
        data["repairs"] = tuple(engine.Repair(**r) for r in data["repairs"])
        data["exchanges"] = tuple(data["exchanges"])
        return engine.UnitFacts(**data)
    if payload.unit_id is None:
        raise ApplicationError("invalid", _("Give the unit inline or by unit_id."), status=422)
    from aftersales.warranty.actions import unit_facts

    unit = get_visible(units_visible_to(request.user), payload.unit_id)
    return unit_facts(unit)


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
def evaluate(request: HttpRequest, payload: EvaluateIn) -> Any:
    """Decide return / exchange / free repair / paid repair under a seeded policy (`general`,
    `car`, `colour_tv`, `bicycle`) or one given inline. Nothing is stored."""
    require(request.user, Perm.UNIT_VIEW)
    if payload.category_id is not None:
        policy = _category_policy(request, payload.category_id)
    else:
        policy = _policy(payload.policy)
    facts = _unit_facts(request, payload)
    try:
        result = engine.evaluate(
            policy,
            facts,
            engine.FaultFacts(**payload.fault.dict()) if payload.fault else engine.FaultFacts(),
            payload.service_date,
        )
    except engine.WarrantyInputError as exc:
        raise ApplicationError(
            exc.code, exc.message, status=422, details={"fields": {exc.field: exc.message}}
        ) from None
    return {
        "decision": result.decision,
        "options": list(result.options),
        "rule": result.rule,
        "period_ends": result.period_ends,
        "evidence": {
            k: str(v) if not isinstance(v, bool | int | None) else v
            for k, v in result.evidence.items()
        },
        "warnings": [
            {"code": code, "message": str(WARNINGS.get(code, code))} for code in result.warnings
        ],
    }
