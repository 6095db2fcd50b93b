"""A stored 三包 decision (codes and figures) as sentences in the reader's language: the rule
and its clause, the dates and counts it used, the options the customer may choose, warnings.
Used by the intake screen, the order page, the PDF report and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.warranty.engine import CLAUSES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DECISIONS = {
    "return": gettext_lazy("Return (退货)"),
    "exchange": gettext_lazy("Exchange (换货)"),
    "free_repair": gettext_lazy("Free repair (保修)"),
    "paid_repair": gettext_lazy("Paid repair"),
    "undetermined": gettext_lazy("Undetermined"),
}

RULES = {
    "general.return_7_days": gettext_lazy(
        "Performance fault within 7 days of the sale: the customer may return, exchange or have "
        "it repaired."
    ),
    "general.exchange_15_days": gettext_lazy(
        "Performance fault within 15 days of the sale: the customer may exchange or have it "
        "repaired."
    ),
    "general.whole_unit_period": gettext_lazy("Inside the whole-unit 三包 period: free repair."),
    "general.component_period": gettext_lazy(
        "The whole-unit period is over, but this main part's longer period is not: free repair."
    ),
    "general.repaired_twice": gettext_lazy(
        "Repaired twice for performance faults and failing again: free exchange (or a return "
        "with depreciation)."
    ),
    "general.repair_over_30_days": gettext_lazy(
        "Not repaired within 30 days through the repairer's delay: free exchange."
    ),
    "general.parts_wait_over_90_days": gettext_lazy(
        "Not repaired within 90 days because the maker supplied no parts: free exchange."
    ),
    "general.period_expired": gettext_lazy("The 三包 period is over: paid repair."),
    "void.misuse": gettext_lazy("Damage from misuse or poor care: paid repair."),
    "void.unauthorised_disassembly": gettext_lazy(
        "Disassembled or repaired by an unauthorised repairer: paid repair."
    ),
    "void.force_majeure": gettext_lazy("Damage by force majeure: paid repair."),
    "void.voucher_mismatch": gettext_lazy(
        "The voucher does not match the unit or was altered: paid repair."
    ),
    "void.no_documents": gettext_lazy(
        "Neither 三包 voucher nor invoice: outside 三包, paid repair."
    ),
    "phone.return_7_days": gettext_lazy(
        "Phone: performance fault of the handset within 7 days of the sale: return, exchange "
        "or repair, as the customer chooses."
    ),
    "phone.exchange_15_days": gettext_lazy(
        "Phone: performance fault of the handset on day 8 to 15: exchange or repair."
    ),
    "phone.whole_unit_period": gettext_lazy(
        "Phone: inside the handset's 三包 period: free repair."
    ),
    "phone.repaired_twice": gettext_lazy(
        "Phone: repaired twice and failing again: free exchange (or a return with depreciation)."
    ),
    "phone.period_expired": gettext_lazy("Phone: the handset's 三包 period is over: paid repair."),
    "phone.accessory_exchange": gettext_lazy(
        "Accessory fault inside the accessory's own period: the accessory is replaced free."
    ),
    "phone.accessory_replaced_twice": gettext_lazy(
        "The accessory was replaced twice and still fails: it is returned and refunded."
    ),
    "phone.accessory_expired": gettext_lazy("The accessory's own period is over: paid."),
    "computer.return_7_days": gettext_lazy(
        "Computer: performance fault within 7 days of the sale: return, exchange or repair."
    ),
    "computer.exchange_15_days": gettext_lazy(
        "Computer: performance fault within 15 days of the sale: exchange or repair."
    ),
    "computer.whole_unit_period": gettext_lazy(
        "Computer: inside the whole-unit 三包 period: free repair."
    ),
    "computer.main_part_period": gettext_lazy(
        "Computer: inside the main part's two-year period: the part is repaired or replaced free."
    ),
    "computer.repaired_twice": gettext_lazy(
        "Computer: repaired twice and failing again: free exchange (or a return with depreciation)."
    ),
    "computer.period_expired": gettext_lazy("Computer: the 三包 period is over: paid repair."),
    "car.first_7_days_major_part": gettext_lazy(
        "Car: within 7 days the engine, transmission, traction battery or drive motor (or a main "
        "part of one) needs replacing: free exchange or return, as the customer chooses."
    ),
    "car.early_60_days_failure": gettext_lazy(
        "Car: within 60 days or 3,000 km, steering or braking failure, body cracking, fuel leak "
        "or traction-battery fire: free exchange or return."
    ),
    "car.serious_safety_repaired_twice": gettext_lazy(
        "Car: a serious safety fault repaired twice and not resolved: exchange or return."
    ),
    "car.major_assembly_replaced_twice": gettext_lazy(
        "Car: the engine, transmission, traction battery or drive motor replaced twice and "
        "still unusable: exchange or return."
    ),
    "car.same_main_part_replaced_twice": gettext_lazy(
        "Car: the same main part replaced twice and still unusable: exchange or return."
    ),
    "car.cumulative_repair_over_30_days": gettext_lazy(
        "Car: repairs inside the 三包 period took more than 30 days in total: exchange or return."
    ),
    "car.same_fault_repaired_over_4_times": gettext_lazy(
        "Car: the same fault repaired more than 4 times: exchange or return."
    ),
    "car.sanbao_period": gettext_lazy(
        "Car: inside the 三包 period (2 years / 50,000 km): free repair."
    ),
    "car.repair_warranty": gettext_lazy(
        "Car: inside the repair warranty (3 years / 60,000 km): free repair."
    ),
    "car.period_expired": gettext_lazy("Car: the repair warranty is over: paid repair."),
    "car.commercial_use": gettext_lazy("Car used as a taxi or commercially: outside 三包, paid."),
    "car.defect_disclosed": gettext_lazy(
        "The defect was disclosed in writing at sale: outside 三包, paid."
    ),
    "car.forbidden_modification": gettext_lazy(
        "Damage from a modification the manual forbids: outside 三包, paid."
    ),
    "car.wear_part_expired": gettext_lazy("A wear part past its own period: paid."),
    "car.no_documents": gettext_lazy(
        "Car without a valid invoice and 三包 voucher: outside 三包, paid repair."
    ),
}
for _cause in ("misuse", "unauthorised_disassembly", "force_majeure", "voucher_mismatch"):
    RULES[f"car.{_cause}"] = RULES[f"void.{_cause}"]

WARNINGS = {
    "no_voucher_start_inferred_from_serial": gettext_lazy(
        "No voucher and no invoice: the start date is inferred from the serial number (a "
        "courtesy of the company, not the law)."
    ),
    "serial_without_date": gettext_lazy(
        "The serial number carries no production date the policy can read."
    ),
    "mileage_unknown": gettext_lazy("Mileage unknown: only the time limits were checked."),
    "loaner_due_from_day_6": gettext_lazy(
        "The repair takes over 5 days: a loaner car or travel compensation is due from day 6."
    ),
    "use_compensation_unknown": gettext_lazy(
        "Price or mileage unknown: the use compensation of a return cannot be worked out yet."
    ),
    "start_event_missing_used_invoice": gettext_lazy(
        "The policy's start date is missing: the invoice date was used."
    ),
    "start_event_missing_used_sale": gettext_lazy(
        "The policy's start date is missing: the sale date was used."
    ),
    "start_event_missing_used_delivery": gettext_lazy(
        "The policy's start date is missing: the delivery date was used."
    ),
    "start_event_missing_used_installation": gettext_lazy(
        "The policy's start date is missing: the installation date was used."
    ),
}

# Facts that allow no decision ("undetermined"), by the engine's error code.
ERRORS = {
    "no_start_date": gettext_lazy(
        "The unit has a voucher or invoice but no invoice, sale, delivery or installation "
        "date: enter one to decide."
    ),
    "service_before_start": gettext_lazy("The service date is before the warranty start date."),
}

PERIODS = {
    "return_window": gettext_lazy("Return window until"),
    "exchange_window": gettext_lazy("Exchange window until"),
    "whole_unit": gettext_lazy("Whole unit until"),
    "sanbao": gettext_lazy("三包 period until"),
    "repair_warranty": gettext_lazy("Repair warranty until"),
    "first_days": gettext_lazy("7-day exchange or return until"),
    "early_days": gettext_lazy("60-day exchange or return until"),
}
PERIOD_PREFIXES = {
    "component": gettext_lazy("Main part %(code)s until"),
    "accessory": gettext_lazy("Accessory %(code)s until"),
    "wear_part": gettext_lazy("Wear part %(code)s until"),
}

FACTS = {
    "start": gettext_lazy("Period starts"),
    "start_source": gettext_lazy("Start taken from"),
    "restarted_on_exchange": gettext_lazy("Period restarted by the exchange on"),
    "windows_from": gettext_lazy("7/15-day windows count from"),
    "production_date": gettext_lazy("Production date (from the serial)"),
    "shipping_allowance_days": gettext_lazy("Shipping allowance (days)"),
    "documents": gettext_lazy("Documents"),
    "extension_days": gettext_lazy("Repair days added to the period"),
    "performance_repairs": gettext_lazy("Earlier repairs of performance faults"),
    "brought_in": gettext_lazy("Brought in for repair"),
    "days_since_brought_in": gettext_lazy("Days since brought in"),
    "repair_days": gettext_lazy("Longest repair (days, repairer)"),
    "parts_wait_days": gettext_lazy("Longest wait for parts (days)"),
    "days_used": gettext_lazy("Days of use"),
    "repair_days_not_counted": gettext_lazy("Repair days not counted as use"),
    "depreciation_per_day": gettext_lazy("Depreciation per day"),
    "depreciation_if_returned": gettext_lazy("Depreciation if returned (share of the price)"),
    "mileage_km": gettext_lazy("Mileage (km)"),
    "mileage_read_on": gettext_lazy("Mileage read on"),
    "current_repair_days": gettext_lazy("Days of this repair"),
    "loaner_from_day": gettext_lazy("Loaner or travel compensation from day"),
    "cumulative_repair_days": gettext_lazy("Repair days in the 三包 period"),
    "same_fault_repairs": gettext_lazy("Earlier repairs of the same fault"),
    "serious_safety_repairs": gettext_lazy("Earlier repairs of serious safety faults"),
    "assembly_replacements": gettext_lazy("Earlier replacements of the assembly"),
    "part_replacements": gettext_lazy("Earlier replacements of the same main part"),
    "accessory_replacements": gettext_lazy("Earlier replacements of the accessory"),
    "early_failure": gettext_lazy("Failure"),
    "wear_part": gettext_lazy("Wear part"),
    "price": gettext_lazy("Price (yuan)"),
    "use_rate": gettext_lazy("Use compensation rate n"),
    "use_compensation": gettext_lazy("Use compensation on a return (yuan)"),
    "use_compensation_formula": gettext_lazy("Formula: price × km ÷ 1000 × n"),
}
VALUES = {
    "invoice": gettext_lazy("Invoice date"),
    "sale": gettext_lazy("Sale date"),
    "delivery": gettext_lazy("Delivery date"),
    "installation": gettext_lazy("Installation date"),
    "serial": gettext_lazy("Serial number"),
    "none": gettext_lazy("Neither voucher nor invoice"),
    "incomplete": gettext_lazy("Invoice or voucher missing"),
    "steering_failure": gettext_lazy("Steering failure"),
    "braking_failure": gettext_lazy("Braking failure"),
    "body_crack": gettext_lazy("Body cracking"),
    "fuel_leak": gettext_lazy("Fuel leak"),
    "battery_fire": gettext_lazy("Traction-battery fire"),
}


def _period_label(key: str, components: Mapping[str, str]) -> str:
    if key in PERIODS:
        return str(PERIODS[key])
    prefix, _sep, code = key.partition(":")
    if prefix in PERIOD_PREFIXES:
        name = components.get(code, code) if prefix == "component" else code
        return str(PERIOD_PREFIXES[prefix]) % {"code": name}
    return key


def _clause(rule: str, stored: str) -> str:
    """The clause as the engine cites it now (a decision stored before an article number was
    confirmed or withdrawn shows the current text); never an unconfirmed "?" article."""
    if rule in CLAUSES:
        return CLAUSES[rule]
    return stored if "?" not in stored else stored.split(" ")[0]


def explain(
    decision: str,
    detail: dict[str, Any] | None,
    components: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """{"decision", "reason", "clause", "policy", "facts": [(label, value)], "periods":
    [(label, date)], "options": [label], "warnings": [text], "override"} for a stored
    decision; every label in the active language. `components` names the main components
    by code (`catalog.selectors.component_names`): a period is "Main part 显示屏 until",
    not the code."""
    detail = detail or {}
    evidence = detail.get("evidence") or {}
    rule = detail.get("rule", "")
    reason: StrOrPromise | None = RULES.get(rule)
    if reason is None:
        reason = ERRORS.get(detail.get("error", "")) or detail.get("message") or ""
    facts = []
    for key, label in FACTS.items():
        if key in evidence and evidence[key] not in (None, ""):
            value = evidence[key]
            if isinstance(value, str) and value in VALUES:
                value = VALUES[value]
            facts.append((str(label), str(value)))
    options = [str(DECISIONS.get(o, o)) for o in detail.get("options") or []]
    override = detail.get("override") or {}
    return {
        "decision": str(DECISIONS.get(decision, DECISIONS["undetermined"])) if decision else "—",
        "code": decision,
        "reason": str(reason),
        "clause": _clause(rule, detail.get("clause", "")),
        "policy": detail.get("policy", ""),
        "facts": facts,
        "periods": [
            (_period_label(k, components or {}), v)
            for k, v in (detail.get("period_ends") or {}).items()
        ],
        "options": options if len(options) > 1 else [],
        "warnings": [str(WARNINGS.get(w, w)) for w in detail.get("warnings") or []],
        "override": override.get("reason", ""),
        "overridden_from": str(DECISIONS.get(override.get("was", ""), "")) if override else "",
        "scope": _("Accessory %(code)s") % {"code": evidence["scope"].partition(":")[2]}
        if str(evidence.get("scope", "")).startswith("accessory:")
        else "",
    }
