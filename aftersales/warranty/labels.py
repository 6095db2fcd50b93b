"""What people read for the warranty engine's keys: the rule that decided, warnings, the
decision and the customer's options. The engine stays free of Django; pages and messages
show these labels, never the keys."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

DECISIONS = {
    "return": _("Return (退货)"),
    "exchange": _("Exchange (换货)"),
    "free_repair": _("Free repair (保修)"),
    "paid_repair": _("Paid repair"),
    "undetermined": _("Undetermined"),
}

RULES = {
    "general.return_7_days": _("Performance fault within 7 days: return, exchange or repair"),
    "general.exchange_15_days": _("Performance fault within 15 days: exchange or repair"),
    "general.repaired_twice": _("Repaired twice for performance faults: exchange"),
    "general.repair_over_30_days": _("Repair took over 30 days: exchange"),
    "general.parts_wait_over_90_days": _("Parts awaited over 90 days: exchange"),
    "general.whole_unit_period": _("Within the whole-unit warranty period"),
    "general.component_period": _("Within the main component's warranty period"),
    "general.period_expired": _("Warranty period expired"),
    "car.sanbao_period": _("Within the car's 三包 period"),
    "car.repair_warranty": _("Within the car's repair warranty"),
    "car.period_expired": _("Car warranty expired"),
    "car.cumulative_repair_over_30_days": _("Repairs took over 30 days in total: exchange"),
    "car.same_fault_repaired_over_4_times": _("Same fault repaired over 4 times: exchange"),
    "void.misuse": _("Not covered: misuse"),
    "void.unauthorised_disassembly": _("Not covered: repaired or opened by others"),
    "void.force_majeure": _("Not covered: force majeure"),
    "void.voucher_mismatch": _("Not covered: the voucher does not match the unit"),
    "void.no_documents": _("Not covered: no voucher and no invoice"),
}

START_EVENTS = {
    "invoice": _("invoice date"),
    "sale": _("sale date"),
    "delivery": _("delivery date"),
    "installation": _("installation date"),
}

WARNINGS = {
    "no_voucher_start_inferred_from_serial": _(
        "No voucher and no invoice: the start date is inferred from the serial number."
    ),
    "mileage_unknown": _("Mileage unknown: only the time limits were checked."),
    "loaner_due_from_day_6": _("The repair takes over 5 days: a loaner car is due from day 6."),
}

ERRORS = {
    "malformed_serial": _("The serial number does not carry a production date."),
    "no_serial_format": _(
        "Neither voucher nor invoice, and the brand has no serial format to infer the date from."
    ),
    "no_start_date": _("No invoice, sale, delivery or installation date."),
    "service_before_start": _("The service date is before the warranty start date."),
}

PERIODS = {
    "whole_unit": _("Whole unit"),
    "return_window": _("Return window"),
    "exchange_window": _("Exchange window"),
    "sanbao": _("三包 period"),
    "repair_warranty": _("Repair warranty"),
}


def rule_label(key: str) -> str:
    return str(RULES.get(key, _("Other rule"))) if key else ""


def warning_label(key: str) -> str:
    if key in WARNINGS:
        return str(WARNINGS[key])
    prefix = "start_event_missing_used_"
    if key.startswith(prefix):
        event = START_EVENTS.get(key[len(prefix) :], _("another date"))
        return str(
            _("The policy's start date is missing: the %(event)s was used.") % {"event": event}
        )
    return str(_("Check the warranty facts."))


def decision_label(key: str) -> str:
    return str(DECISIONS.get(key, "—")) if key else "—"


def described(detail: dict[str, Any]) -> dict[str, Any]:
    """The stored detail of a decision with labels added for the page."""
    return {
        **detail,
        "rule_label": rule_label(detail.get("rule") or ""),
        "warning_labels": [warning_label(w) for w in detail.get("warnings") or []],
        "option_labels": [decision_label(o) for o in detail.get("options") or []],
        "error_label": str(ERRORS.get(detail["error"], _("The warranty cannot be decided.")))
        if detail.get("error")
        else "",
    }
