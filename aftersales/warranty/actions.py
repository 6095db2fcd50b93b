"""Writes of warranty policies; the decision stored on an order. The reads (the policy for
a unit, its facts, the decision itself) are in `selectors.py` and re-exported here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError
from aftersales.core.validation import Errors
from aftersales.warranty import engine
from aftersales.warranty.models import WarrantyPolicy
from aftersales.warranty.policies import below_floor, to_engine
from aftersales.warranty.selectors import REPAIR_DONE as REPAIR_DONE
from aftersales.warranty.selectors import REPAIR_STAY_HOOKS as REPAIR_STAY_HOOKS
from aftersales.warranty.selectors import REPLACED_COMPONENTS_HOOKS as REPLACED_COMPONENTS_HOOKS
from aftersales.warranty.selectors import RepairStay as RepairStay
from aftersales.warranty.selectors import decide_for_order as decide_for_order
from aftersales.warranty.selectors import decide_for_unit as decide_for_unit
from aftersales.warranty.selectors import decision_detail as decision_detail
from aftersales.warranty.selectors import km_on as km_on
from aftersales.warranty.selectors import plain as plain
from aftersales.warranty.selectors import policy_for as policy_for
from aftersales.warranty.selectors import policy_for_unit as policy_for_unit
from aftersales.warranty.selectors import repair_stay as repair_stay
from aftersales.warranty.selectors import repairs_of as repairs_of
from aftersales.warranty.selectors import statutory_day_off as statutory_day_off
from aftersales.warranty.selectors import unit_facts as unit_facts

FIELDS = (
    "name",
    "kind",
    "category",
    "product_model",
    "whole_unit_months",
    "components",
    "accessories",
    "windows_restart_on_exchange",
    "start_event",
    "return_days",
    "exchange_days",
    "repair_count_threshold",
    "max_repair_days",
    "max_parts_wait_days",
    "depreciation_per_day",
    "void_without_documents",
    "serial_format",
    "shipping_allowance_days",
    "civil_code_days",
    "car_months",
    "car_km",
    "car_repair_months",
    "car_repair_km",
    "car_loaner_after_days",
    "car_max_repair_days",
    "car_max_same_fault_repairs",
    "car_use_rate",
    "wear_parts",
)


# The systems the car rule covers as main assemblies and main parts: never a wear part (listing
# one would take it out of 三包).
NOT_WEAR_PARTS = engine.CAR_MAJOR | engine.CAR_CHASSIS_BODY


def _clean_wear_parts(errors: Errors, value: Any) -> dict[str, list[int]]:
    """{code: [months, km]} (km 0: no km limit): a code of letters, digits and _ (at most 40),
    months 1-120, km 0-1,000,000; a main system of the car rule is refused."""
    out: dict[str, list[int]] = {}
    if value in (None, ""):
        return out
    if not isinstance(value, dict):
        errors.add("wear_parts", _("Write code:months/km, separated by commas."))
        return out
    for code, period in value.items():
        code = str(code).strip()
        try:
            months, km = (int(x) for x in period)
        except (TypeError, ValueError):
            errors.add("wear_parts", _("Write code:months/km, separated by commas."))
            continue
        if not code or len(code) > 40 or not code.replace("_", "").isalnum():
            errors.add("wear_parts", _("Write code:months/km, separated by commas."))
        elif code in NOT_WEAR_PARTS:
            errors.add(
                "wear_parts",
                _("%(code)s is a main system under the car rule, not a wear part.")
                % {"code": code},
            )
        elif not 1 <= months <= 120 or not 0 <= km <= 1_000_000:
            errors.add("wear_parts", _("A wear part's period: 1-120 months, 0-1,000,000 km."))
        else:
            out[code] = [months, km]
    return out


@transaction.atomic
def warranty_policy_save(
    *, actor: User, policy: WarrantyPolicy | None = None, **fields: Any
) -> WarrantyPolicy:
    """Create or edit a company's promise; refused where it gives less than the law."""
    require(actor, Perm.WARRANTY_EDIT)
    row = policy or WarrantyPolicy(company_id=company_of(actor))
    if row.company_id != actor.company_id:
        raise ApplicationError("not_found", _("Not found."), status=404)
    for name in FIELDS:
        if name in fields:
            value = fields[name]
            if name in ("category", "product_model"):
                setattr(row, f"{name}_id", getattr(value, "pk", value) or None)
            else:
                setattr(row, name, value)
    errors = Errors()
    if not (row.name or "").strip():
        errors.add("name", _("Give the policy a name."))
    category = row.category if row.category_id else None
    if category is not None and category.company_id != actor.company_id:
        errors.add("category", _("Unknown product category."))
    product_model = row.product_model if row.product_model_id else None
    if product_model is not None and product_model.category.company_id != actor.company_id:
        errors.add("product_model", _("Unknown product model."))
    row.wear_parts = _clean_wear_parts(errors, row.wear_parts)
    try:
        plain = to_engine(row)
    except (KeyError, TypeError, ValueError):
        errors.add("serial_format", _("Give the year position, and the month or week position."))
        plain = None
    if plain is not None:
        for name in below_floor(plain):
            errors.add(name, _("Less than the law requires."))
    errors.raise_if_any()
    row.save()
    audit_record(
        actor=actor, action="warranty_policy.save", obj=row, changes={"name": [None, row.name]}
    )
    return row
