"""三包 / warranty entitlement as a pure function: policy + unit + fault + service date in,
decision with its rule, evidence, period ends and warnings out. No Django here.

Rules (《部分商品修理更换退货责任规定》 1995, 家用汽车产品三包规定 2021, seed 004 第十二条):

- The period starts at the policy's start event (invoice, sale, delivery or installation date);
  with neither voucher nor invoice it is inferred from the serial's production date plus a
  shipping allowance (or the claim is void, if the policy says so). An exchange restarts it.
- Day counting follows the Civil Code unless the policy says otherwise: the start day is not
  counted (a sale on 1 March is inside a 7-day window through 8 March; a 1-year period ends on
  the same date a year later), and a window whose last day is a statutory day off ends on the
  next working day. Cars count days as 24-hour periods.
- Void conditions (misuse, unauthorised disassembly, force majeure, voucher mismatch or altered,
  no documents when so configured) make the repair paid.
- Within the return window a performance fault gives the customer the choice of return,
  exchange or repair; within the exchange window, exchange or repair.
- Repaired `repair_count_threshold` times for performance faults and still failing, or a repair
  longer than `max_repair_days` through the repairer, or longer than `max_parts_wait_days`
  waiting for the maker's parts: exchange (return with depreciation where no exchange is
  possible).
- Inside the whole-unit period, or a main component's longer period for that component: free
  repair. Repair and parts-waiting days extend the periods.
- Otherwise: paid repair.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RETURN, EXCHANGE, FREE_REPAIR, PAID_REPAIR = "return", "exchange", "free_repair", "paid_repair"
# The decisions under which the customer pays nothing for the repair and its parts.
FREE_TO_CUSTOMER = frozenset({RETURN, EXCHANGE, FREE_REPAIR})
START_EVENTS = ("invoice", "sale", "delivery", "installation")


class WarrantyInputError(ValueError):
    """Facts that cannot be evaluated (impossible dates, a malformed serial)."""

    def __init__(self, code: str, field_name: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SerialFormat:
    """Where a brand's serial carries its production date (0-based [start, end) slices).
    Years of two digits are 20xx. A week, if given, is the ISO week (Monday of that week)."""

    year: tuple[int, int]
    month: tuple[int, int] | None = None
    week: tuple[int, int] | None = None

    def production_date(self, serial: str) -> dt.date:
        try:
            year_text = serial[self.year[0] : self.year[1]]
            year = int(year_text)
            if len(year_text) == 2:
                year += 2000
            if self.week is not None:
                week = int(serial[self.week[0] : self.week[1]])
                return dt.date.fromisocalendar(year, week, 1)
            month = int(serial[self.month[0] : self.month[1]]) if self.month else 1
            return dt.date(year, month, 1)
        except (ValueError, TypeError, IndexError):
            raise WarrantyInputError(
                "malformed_serial",
                "serial",
                f"The serial number {serial!r} does not carry a production date in the "
                "brand's format.",
            ) from None


@dataclass(frozen=True)
class Policy:
    name: str
    kind: str = "general"  # "general" or "car"
    whole_unit_months: int = 12
    # Main components with their own (longer) periods: code -> months.
    components: dict[str, int] = field(default_factory=dict)
    start_event: str = "invoice"
    return_days: int = 7
    exchange_days: int = 15
    repair_count_threshold: int = 2
    max_repair_days: int = 30
    max_parts_wait_days: int = 90
    depreciation_per_day: Decimal = Decimal("0.0005")
    civil_code_days: bool = True
    void_without_documents: bool = False
    serial_format: SerialFormat | None = None
    shipping_allowance_days: int = 30
    # Household cars (kind == "car").
    car_months: int = 24
    car_km: int = 50_000
    car_repair_months: int = 36
    car_repair_km: int = 60_000
    car_loaner_after_days: int = 5
    car_max_repair_days: int = 30
    car_max_same_fault_repairs: int = 4


@dataclass(frozen=True)
class Repair:
    """An earlier repair of this unit."""

    date: dt.date
    fault: str = ""  # fault code or component, to count repeats of the same fault
    performance: bool = True
    component: str | None = None
    days_in_repair: float = 0  # days the unit was with the repairer (cars: 24-hour periods)
    days_waiting_parts: float = 0  # of which waiting for the maker's parts


@dataclass(frozen=True)
class UnitFacts:
    invoice_date: dt.date | None = None
    sale_date: dt.date | None = None
    delivery_date: dt.date | None = None
    installation_date: dt.date | None = None
    has_voucher: bool = True
    has_invoice: bool = True
    voucher_matches: bool = True
    voucher_altered: bool = False
    serial: str = ""
    mileage_km: int | None = None
    repairs: tuple[Repair, ...] = ()
    exchanges: tuple[dt.date, ...] = ()  # dates this unit was given as an exchange


@dataclass(frozen=True)
class FaultFacts:
    performance: bool = True  # a performance fault (性能故障), not cosmetic or consumable
    component: str | None = None
    fault: str = ""
    misuse: bool = False
    unauthorised_disassembly: bool = False
    force_majeure: bool = False
    # The repair in progress, if any (for the 30/90-day limits and the car's loaner).
    days_in_repair: float = 0
    days_waiting_parts: float = 0


@dataclass(frozen=True)
class Decision:
    decision: str
    options: tuple[str, ...]
    rule: str
    period_ends: dict[str, dt.date]
    evidence: dict[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def free(self) -> bool:
        return self.decision != PAID_REPAIR


# --- day counting ---------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later; the month's last day if there is none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def window_end(
    start: dt.date,
    *,
    days: int = 0,
    months: int = 0,
    civil_code: bool,
    is_day_off: Any = None,
) -> dt.date:
    """The last day inside a window of `days` or `months` that starts on `start`.

    Civil Code (第二百零一条–第二百零三条): the start day is not counted, so `days` days end on
    start + days; months end on the corresponding day; a last day that is a statutory day off
    moves to the next working day. Without it the start day counts (ends a day earlier)."""
    end = add_months(start, months) if months else start + dt.timedelta(days=days)
    if not civil_code:
        return end - dt.timedelta(days=1)
    if is_day_off is not None:
        while is_day_off(end):
            end += dt.timedelta(days=1)
    return end


# --- the decision ---------------------------------------------------------------------------


def _start_date(
    policy: Policy, unit: UnitFacts, warnings: list[str], evidence: dict[str, Any]
) -> dt.date | None:
    dates = {
        "invoice": unit.invoice_date,
        "sale": unit.sale_date,
        "delivery": unit.delivery_date,
        "installation": unit.installation_date,
    }
    if not unit.has_voucher and not unit.has_invoice:
        if policy.void_without_documents:
            return None
        if policy.serial_format is None:
            raise WarrantyInputError(
                "no_serial_format",
                "serial",
                "Neither voucher nor invoice, and the brand has no serial format to infer "
                "the start date from.",
            )
        made = policy.serial_format.production_date(unit.serial)
        start = made + dt.timedelta(days=policy.shipping_allowance_days)
        warnings.append("no_voucher_start_inferred_from_serial")
        evidence["production_date"] = made
        evidence["start_source"] = "serial"
        return start
    chosen = dates.get(policy.start_event)
    source = policy.start_event
    if chosen is None:
        for name in ("invoice", "sale", "delivery", "installation"):
            if dates[name] is not None:
                chosen, source = dates[name], name
                warnings.append(f"start_event_missing_used_{name}")
                break
    if chosen is None:
        raise WarrantyInputError(
            "no_start_date", "invoice_date", "No invoice, sale, delivery or installation date."
        )
    evidence["start_source"] = source
    return chosen


def evaluate(
    policy: Policy,
    unit: UnitFacts,
    fault: FaultFacts,
    service_date: dt.date,
    *,
    is_day_off: Any = None,
) -> Decision:
    """Decide. `is_day_off(date) -> bool` says whether a day is a statutory day off (for the
    Civil Code's last-day rule); without it no day is."""
    warnings: list[str] = []
    evidence: dict[str, Any] = {"service_date": service_date, "policy": policy.name}
    original_start = _start_date(policy, unit, warnings, evidence)
    if original_start is None:
        return Decision(
            PAID_REPAIR, (PAID_REPAIR,), "void.no_documents", {}, evidence, tuple(warnings)
        )
    if service_date < original_start and evidence.get("start_source") != "serial":
        raise WarrantyInputError(
            "service_before_start",
            "service_date",
            "The service date is before the warranty start date.",
        )
    start = original_start
    exchanges = sorted(d for d in unit.exchanges if d <= service_date)
    if exchanges and exchanges[-1] > start:
        start = exchanges[-1]
        evidence["restarted_on_exchange"] = start
    evidence["start"] = start
    repairs = [r for r in unit.repairs if start <= r.date <= service_date]
    if policy.kind == "car":
        return _car(policy, unit, fault, service_date, start, repairs, evidence, warnings)

    extension = sum(r.days_in_repair for r in repairs)
    evidence["extension_days"] = extension
    civil = policy.civil_code_days
    ends: dict[str, dt.date] = {
        "return_window": window_end(
            start, days=policy.return_days, civil_code=civil, is_day_off=is_day_off
        ),
        "exchange_window": window_end(
            start, days=policy.exchange_days, civil_code=civil, is_day_off=is_day_off
        ),
    }
    extra = dt.timedelta(days=int(extension))
    ends["whole_unit"] = (
        window_end(start, months=policy.whole_unit_months, civil_code=civil, is_day_off=is_day_off)
        + extra
    )
    for code, months in policy.components.items():
        ends[f"component:{code}"] = (
            window_end(start, months=months, civil_code=civil, is_day_off=is_day_off) + extra
        )

    void = _void(unit, fault)
    if void:
        evidence["void"] = void
        return Decision(
            PAID_REPAIR, (PAID_REPAIR,), f"void.{void}", ends, evidence, tuple(warnings)
        )

    covered_until = ends["whole_unit"]
    if fault.component and f"component:{fault.component}" in ends:
        covered_until = max(covered_until, ends[f"component:{fault.component}"])
    in_period = service_date <= covered_until
    if fault.performance and service_date <= ends["return_window"]:
        return Decision(
            RETURN,
            (RETURN, EXCHANGE, FREE_REPAIR),
            "general.return_7_days",
            ends,
            evidence,
            tuple(warnings),
        )
    if fault.performance and service_date <= ends["exchange_window"]:
        return Decision(
            EXCHANGE,
            (EXCHANGE, FREE_REPAIR),
            "general.exchange_15_days",
            ends,
            evidence,
            tuple(warnings),
        )
    if in_period and fault.performance:
        performance_repairs = [r for r in repairs if r.performance]
        evidence["performance_repairs"] = len(performance_repairs)
        if len(performance_repairs) >= policy.repair_count_threshold:
            return _exchange(
                "general.repaired_twice", policy, start, service_date, ends, evidence, warnings
            )
        longest = max(
            [r.days_in_repair - r.days_waiting_parts for r in repairs]
            + [fault.days_in_repair - fault.days_waiting_parts],
            default=0,
        )
        waited = max(
            [r.days_waiting_parts for r in repairs] + [fault.days_waiting_parts], default=0
        )
        if longest > policy.max_repair_days:
            evidence["repair_days"] = longest
            return _exchange(
                "general.repair_over_30_days", policy, start, service_date, ends, evidence, warnings
            )
        if waited > policy.max_parts_wait_days:
            evidence["parts_wait_days"] = waited
            return _exchange(
                "general.parts_wait_over_90_days",
                policy,
                start,
                service_date,
                ends,
                evidence,
                warnings,
            )
    if in_period:
        rule = (
            "general.component_period"
            if service_date > ends["whole_unit"]
            else "general.whole_unit_period"
        )
        return Decision(FREE_REPAIR, (FREE_REPAIR,), rule, ends, evidence, tuple(warnings))
    return Decision(
        PAID_REPAIR, (PAID_REPAIR,), "general.period_expired", ends, evidence, tuple(warnings)
    )


def _void(unit: UnitFacts, fault: FaultFacts) -> str:
    if fault.misuse:
        return "misuse"
    if fault.unauthorised_disassembly:
        return "unauthorised_disassembly"
    if fault.force_majeure:
        return "force_majeure"
    if unit.has_voucher and (not unit.voucher_matches or unit.voucher_altered):
        return "voucher_mismatch"
    return ""


def _exchange(
    rule: str,
    policy: Policy,
    start: dt.date,
    service_date: dt.date,
    ends: dict[str, dt.date],
    evidence: dict[str, Any],
    warnings: list[str],
) -> Decision:
    # Where no same-model unit can be had, the customer may return it; depreciation is charged
    # per day of use.
    days_used = (service_date - start).days
    evidence["depreciation_per_day"] = policy.depreciation_per_day
    evidence["depreciation_if_returned"] = policy.depreciation_per_day * days_used
    return Decision(EXCHANGE, (EXCHANGE, RETURN), rule, ends, evidence, tuple(warnings))


def _car(
    policy: Policy,
    unit: UnitFacts,
    fault: FaultFacts,
    service_date: dt.date,
    start: dt.date,
    repairs: Sequence[Repair],
    evidence: dict[str, Any],
    warnings: list[str],
) -> Decision:
    """家用汽车产品三包: 2 years / 50,000 km 三包, 3 years / 60,000 km repair warranty,
    whichever comes first; days are 24-hour periods."""
    ends = {
        "sanbao": add_months(start, policy.car_months),
        "repair_warranty": add_months(start, policy.car_repair_months),
    }
    km = unit.mileage_km
    evidence["mileage_km"] = km
    if km is None:
        warnings.append("mileage_unknown")
    void = _void(unit, fault)
    if void:
        evidence["void"] = void
        return Decision(
            PAID_REPAIR, (PAID_REPAIR,), f"void.{void}", ends, evidence, tuple(warnings)
        )
    if fault.days_in_repair > policy.car_loaner_after_days:
        warnings.append("loaner_due_from_day_6")
        evidence["loaner_from_day"] = policy.car_loaner_after_days + 1
    in_sanbao = service_date <= ends["sanbao"] and (km is None or km <= policy.car_km)
    in_repair = service_date <= ends["repair_warranty"] and (
        km is None or km <= policy.car_repair_km
    )
    if in_sanbao:
        total_days = sum(r.days_in_repair for r in repairs) + fault.days_in_repair
        same = [r for r in repairs if fault.fault and r.fault == fault.fault]
        evidence["cumulative_repair_days"] = total_days
        evidence["same_fault_repairs"] = len(same)
        if total_days > policy.car_max_repair_days:
            return Decision(
                EXCHANGE,
                (EXCHANGE, RETURN),
                "car.cumulative_repair_over_30_days",
                ends,
                evidence,
                tuple(warnings),
            )
        if len(same) >= policy.car_max_same_fault_repairs:
            return Decision(
                EXCHANGE,
                (EXCHANGE, RETURN),
                "car.same_fault_repaired_over_4_times",
                ends,
                evidence,
                tuple(warnings),
            )
        return Decision(
            FREE_REPAIR, (FREE_REPAIR,), "car.sanbao_period", ends, evidence, tuple(warnings)
        )
    if in_repair:
        return Decision(
            FREE_REPAIR, (FREE_REPAIR,), "car.repair_warranty", ends, evidence, tuple(warnings)
        )
    return Decision(
        PAID_REPAIR, (PAID_REPAIR,), "car.period_expired", ends, evidence, tuple(warnings)
    )


# --- seeded policies ------------------------------------------------------------------------

GENERAL = Policy(name="三包通则 (1995)")
CAR = Policy(name="家用汽车产品三包", kind="car", civil_code_days=False)
COLOUR_TV = Policy(
    name="彩色电视机",
    whole_unit_months=12,
    components={"tube": 36, "flyback": 36, "tuner": 36, "ic": 36},
)
BICYCLE = Policy(name="自行车", whole_unit_months=12, components={"frame": 24, "derailleur": 24})
