"""三包 / warranty entitlement as a pure function: policy + unit + fault + service date in,
decision with its rule, the clause that decided it, evidence, period ends and warnings out.
No Django here. docs/warranty.md describes every rule as applied here, with its source.

Sources (each rule code maps to its clause in `CLAUSES`):

- 《部分商品修理更换退货责任规定》 (1995), the general rule ("general");
- 《移动电话机商品修理更换退货责任规定》 (2001), mobile phones ("phone");
- 《微型计算机商品修理更换退货责任规定》 (2002), microcomputers ("computer");
- 《家用汽车产品修理更换退货责任规定》 (2021, 市场监管总局令第43号), household cars ("car");
- 《民法典》 第二百零一条–第二百零三条 for day counting.

Outline of the general flow (general, phone, computer):

- The period starts at the policy's start event. With neither voucher nor invoice the law's
  answer is: outside 三包, paid repair (`void.no_documents`). Inferring the start from the
  serial's production date is the company's courtesy on top, applied only where the policy has
  a serial format that the serial matches. An exchange restarts the period, but not the 7- and
  15-day windows counted from the sale (unless the policy says so explicitly).
- Day counting follows the Civil Code unless the policy says otherwise: the start day is not
  counted; a 1-year period ends on the same date a year later; repair days are added to a
  period first, and only then is a last day that falls on a statutory day off moved to the
  next working day.
- Void conditions make the repair paid. Within the return window a performance fault gives the
  choice of return, exchange or repair; within the exchange window, exchange or repair.
- Repaired twice for performance faults and still failing, or not repaired within 30 days of
  being brought in through the repairer's own delay, or within 90 days because the maker
  supplied no parts: exchange (return with depreciation where no exchange can be had;
  depreciation counts days of use less repair and parts-waiting days).
- Inside the whole-unit period, a main part's (longer) period for that part, or an
  accessory's own period for that accessory: free repair (phones: a faulty accessory is
  replaced free; replaced twice and still failing, it is returned).
- Otherwise: paid repair.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

RETURN, EXCHANGE, FREE_REPAIR, PAID_REPAIR = "return", "exchange", "free_repair", "paid_repair"
# The decisions under which the customer pays nothing for the repair and its parts.
FREE_TO_CUSTOMER = frozenset({RETURN, EXCHANGE, FREE_REPAIR})
# How good a remedy is for the customer (a return is the most the law gives).
RANK = {PAID_REPAIR: 0, FREE_REPAIR: 1, EXCHANGE: 2, RETURN: 3}
START_EVENTS = ("invoice", "sale", "delivery", "installation")
KINDS = ("general", "car", "phone", "computer")

# Household cars: the systems the 2021 rule names.
CAR_MAJOR = frozenset({"engine", "transmission", "traction_battery", "drive_motor"})
CAR_CHASSIS_BODY = frozenset(
    {"steering", "braking", "suspension", "axle", "drivetrain", "emission_control", "body"}
)
CAR_EARLY_FAILURES = frozenset(
    {"steering_failure", "braking_failure", "body_crack", "fuel_leak", "battery_fire"}
)
# Use compensation coefficient n on a car return: the rule caps it (see docs/warranty.md).
CAR_USE_RATE_MAX = Decimal("0.005")

DayOff = Callable[[dt.date], bool]


class WarrantyInputError(ValueError):
    """Facts that cannot be evaluated (impossible dates)."""

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
    kind: str = "general"  # one of KINDS
    whole_unit_months: int = 12
    # Main components with their own (longer) periods: code -> months.
    components: dict[str, int] = field(default_factory=dict)
    # Accessories with their own periods (phones: battery 6, charger 12, headset 3): code ->
    # months. A faulty accessory is replaced free inside its period.
    accessories: dict[str, int] = field(default_factory=dict)
    accessory_replacements_before_return: int = 2
    start_event: str = "invoice"
    return_days: int = 7
    exchange_days: int = 15
    # A company may promise more: the 7/15-day windows restart with an exchanged unit too.
    windows_restart_on_exchange: bool = False
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
    car_first_days: int = 7  # major assembly needs replacing: exchange or return
    car_early_days: int = 60  # steering/brake failure, body crack, fuel leak, battery fire
    car_early_km: int = 3_000
    car_repeat_threshold: int = 2  # serious safety repairs / replacements before exchange
    car_use_rate: Decimal = CAR_USE_RATE_MAX  # n in price × km ÷ 1000 × n
    # Wear parts with their own period: code -> (months, km); km 0 = no km limit.
    wear_parts: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Repair:
    """An earlier repair of this unit."""

    date: dt.date
    fault: str = ""  # fault code or component, to count repeats of the same fault
    performance: bool = True
    component: str | None = None  # the part repaired or replaced (a main part, an accessory)
    system: str | None = None  # cars: the system it belongs to (engine, braking, ...)
    replaced: bool = False  # the part (or the whole assembly) was replaced, not repaired
    # Main components and accessories replaced on this repair (codes), from the parts used.
    replaced_parts: tuple[str, ...] = ()
    serious_safety: bool = False  # cars: a serious safety fault
    days_in_repair: float = 0  # days the unit was with the repairer (cars: 24-hour periods)
    days_waiting_parts: float = 0  # of which waiting for the maker's parts
    # The exact time with the repairer, in hours, where known (cars count whole days of it).
    hours_in_repair: float | None = None


def _car_days_of(repair: Repair) -> int:
    """A finished car repair's whole days: from its hours where known, else its days; every
    repair counts at least one day."""
    if repair.hours_in_repair is not None:
        return car_repair_days(repair.hours_in_repair / 24) or 1
    return car_repair_days(repair.days_in_repair) or 1


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
    price: Decimal | None = None  # the invoice price, for a car's use compensation
    commercial_use: bool = False  # cars: taxi or other commercial use
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
    # The day the unit was brought in for this repair, and what delays it: "repairer" (the
    # repairer's own delay: 30 days) or "parts" (the maker supplied no parts: 90 days). When
    # given, the limits count from that day to the service date.
    brought_in: dt.date | None = None
    delay_cause: str = ""
    # Household cars.
    system: str | None = None  # engine, transmission, traction_battery, drive_motor, braking...
    needs_replacement: bool = False  # the fault needs the component (or assembly) replaced
    early_failure: str = ""  # one of CAR_EARLY_FAILURES
    serious_safety: bool = False
    defect_disclosed: bool = False  # the defect was disclosed in writing at sale
    forbidden_modification: bool = False  # modified against the manual, causing the damage
    wear_part: str = ""  # a wear part (code in the policy's wear_parts)


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

    @property
    def clause(self) -> str:
        return CLAUSES.get(self.rule, "")


GENERAL_RULE = "《部分商品修理更换退货责任规定》(1995)"
PHONE_RULE = "《移动电话机商品修理更换退货责任规定》(2001)"
COMPUTER_RULE = "《微型计算机商品修理更换退货责任规定》(2002)"
CAR_RULE = "《家用汽车产品修理更换退货责任规定》(2021)"

# Rule code -> the clause that decides it, shown to customers (intake, order page, report,
# PDF, API). Article numbers are given only where they were confirmed against public copies of
# the regulation's text (docs/warranty.md, "Sources", names them). Where an article number
# could not be confirmed the clause is the regulation's name alone: UNVERIFIED lists those rule
# codes, with the article the project believes applies (unconfirmed: never shown).
UNVERIFIED: dict[str, str] = {
    # 1995: the list "不实行三包，但是可以实行收费修理" (misuse, unauthorised disassembly, no
    # voucher and invoice, voucher not matching or altered, force majeure): article not found.
    "void.misuse": "第十八条?",
    "void.unauthorised_disassembly": "第十八条?",
    "void.force_majeure": "第十八条?",
    "void.voucher_mismatch": "第十八条?",
    "void.no_documents": "第十八条?",
    "general.component_period": "附件?",
    "general.period_expired": "第八条 / 附件?",
    # 2001 phones: the accessory article (replaced free, returned after two replacements) and
    # the periods' appendix.
    "phone.accessory_exchange": "第十四条?",
    "phone.accessory_replaced_twice": "第十四条?",
    "phone.accessory_expired": "附录?",
    "phone.whole_unit_period": "附录?",
    "phone.period_expired": "附录?",
    # 2002 computers: the 7/15-day and repaired-twice articles, the periods' appendix.
    "computer.return_7_days": "第十一条?",
    "computer.exchange_15_days": "第十二条?",
    "computer.repaired_twice": "第十三条?",
    "computer.period_expired": "附件?",
    # 2021 cars: the periods and their start, the 7-day clause, the exclusions, the documents.
    "car.first_7_days_major_part": "第二十二条?",
    "car.sanbao_period": "第十八条?",
    "car.repair_warranty": "第十八条?",
    "car.period_expired": "第十八条?",
    "car.commercial_use": "第三十条?",
    "car.defect_disclosed": "第三十条?",
    "car.forbidden_modification": "第三十条?",
    "car.wear_part_expired": "第三十条?",
    "car.misuse": "第三十条?",
    "car.unauthorised_disassembly": "第三十条?",
    "car.force_majeure": "第三十条?",
    "car.no_documents": "第三十条?",
    "car.voucher_mismatch": "第三十条?",
}
CLAUSES: dict[str, str] = {
    # 1995, confirmed: 第八条 the period from the invoice less repair time; 第九条 7 days;
    # 第十条 15 days; 第十一条 repaired twice; 第十二条 90 days (maker's parts) / 30 days
    # (repairer's delay); 第十三条 return with depreciation; 第十四条 exchange restarts the period.
    "general.return_7_days": f"{GENERAL_RULE} 第九条",
    "general.exchange_15_days": f"{GENERAL_RULE} 第十条",
    "general.whole_unit_period": f"{GENERAL_RULE} 第八条",
    "general.repaired_twice": f"{GENERAL_RULE} 第十一条、第十三条",
    "general.repair_over_30_days": f"{GENERAL_RULE} 第十二条",
    "general.parts_wait_over_90_days": f"{GENERAL_RULE} 第十二条",
    # 2001, confirmed: 第十一条 7 days; 第十二条 day 8 to 15; 第十三条 handset repaired twice.
    "phone.return_7_days": f"{PHONE_RULE} 第十一条",
    "phone.exchange_15_days": f"{PHONE_RULE} 第十二条",
    "phone.repaired_twice": f"{PHONE_RULE} 第十三条",
    # 2002, confirmed: 第十条 whole unit and main parts free repair in their periods.
    "computer.main_part_period": f"{COMPUTER_RULE} 第十条",
    "computer.whole_unit_period": f"{COMPUTER_RULE} 第十条",
    # 2021, confirmed: 第二十三条 60 days / 3,000 km; 第二十四条 (一)–(四).
    "car.early_60_days_failure": f"{CAR_RULE} 第二十三条",
    "car.serious_safety_repaired_twice": f"{CAR_RULE} 第二十四条第一款第(一)项",
    "car.major_assembly_replaced_twice": f"{CAR_RULE} 第二十四条第一款第(二)项",
    "car.same_main_part_replaced_twice": f"{CAR_RULE} 第二十四条第一款第(三)项",
    "car.cumulative_repair_over_30_days": f"{CAR_RULE} 第二十四条第一款第(四)项",
    "car.same_fault_repaired_over_4_times": f"{CAR_RULE} 第二十四条第一款第(四)项",
}
_RULE_NAMES = {
    "general": GENERAL_RULE,
    "void": GENERAL_RULE,
    "phone": PHONE_RULE,
    "computer": COMPUTER_RULE,
    "car": CAR_RULE,
}
# Unconfirmed article numbers are not shown: the regulation's name alone.
CLAUSES.update({code: _RULE_NAMES[code.partition(".")[0]] for code in UNVERIFIED})
# The loaner from day 6 of a car repair (a warning, not a decision): confirmed.
CAR_LOANER_CLAUSE = f"{CAR_RULE} 第二十一条"


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
    is_day_off: DayOff | None = None,
    extra_days: int = 0,
) -> dt.date:
    """The last day inside a window of `days` or `months` that starts on `start`, extended by
    `extra_days` (repair and parts-waiting days).

    Civil Code (第二百零一条–第二百零三条): the start day is not counted, so `days` days end on
    start + days; months end on the corresponding day; the extension is added, and only then
    is a last day that is a statutory day off moved to the next working day. Without it the
    start day counts (ends a day earlier) and no day is moved."""
    end = add_months(start, months) if months else start + dt.timedelta(days=days)
    end += dt.timedelta(days=extra_days)
    if not civil_code:
        return end - dt.timedelta(days=1)
    if is_day_off is not None:
        for _ in range(366):
            if not is_day_off(end):
                break
            end += dt.timedelta(days=1)
    return end


def car_repair_days(days: float) -> int:
    """Whole days of one car repair: a repair shorter than 24 hours counts as one day."""
    return max(1, math.ceil(days)) if days > 0 else 0


def use_compensation(price: Decimal, km: int, rate: Decimal) -> Decimal:
    """A car return's use compensation: price × km ÷ 1000 × n, in yuan to the fen."""
    return (price * Decimal(km) / Decimal(1000) * rate).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


# --- the decision ---------------------------------------------------------------------------


def _start_date(
    policy: Policy, unit: UnitFacts, warnings: list[str], evidence: dict[str, Any]
) -> dt.date | None:
    """The period's start, or None when the law puts the unit outside 三包 (no documents)."""
    dates = {
        "invoice": unit.invoice_date,
        "sale": unit.sale_date,
        "delivery": unit.delivery_date,
        "installation": unit.installation_date,
    }
    if not unit.has_voucher and not unit.has_invoice:
        evidence["documents"] = "none"
        if policy.void_without_documents or policy.serial_format is None:
            return None
        try:
            made = policy.serial_format.production_date(unit.serial)
        except WarrantyInputError:
            warnings.append("serial_without_date")
            return None
        start = made + dt.timedelta(days=policy.shipping_allowance_days)
        warnings.append("no_voucher_start_inferred_from_serial")
        evidence["production_date"] = made
        evidence["shipping_allowance_days"] = policy.shipping_allowance_days
        evidence["start_source"] = "serial"
        return start
    if (
        policy.kind == "car"
        and unit.delivery_date is not None
        and unit.delivery_date != dates.get(policy.start_event)
    ):
        # The car rule: the period starts at delivery when that differs from the invoice date.
        evidence["start_source"] = "delivery"
        return unit.delivery_date
    chosen = dates.get(policy.start_event)
    source = policy.start_event
    if chosen is None:
        for name in START_EVENTS:
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
    is_day_off: DayOff | None = None,
) -> Decision:
    """Decide. `is_day_off(date) -> bool` says whether a day is a statutory day off (for the
    Civil Code's last-day rule); without it no day is."""
    warnings: list[str] = []
    evidence: dict[str, Any] = {"service_date": service_date, "policy": policy.name}
    if policy.kind == "car" and not (unit.has_voucher and unit.has_invoice):
        evidence["documents"] = "incomplete"
        return Decision(
            PAID_REPAIR, (PAID_REPAIR,), "car.no_documents", {}, evidence, tuple(warnings)
        )
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
        return _car(
            policy, unit, fault, service_date, original_start, start, repairs, evidence, warnings
        )
    return _general(
        policy,
        unit,
        fault,
        service_date,
        original_start,
        start,
        repairs,
        evidence,
        warnings,
        is_day_off,
    )


def _general(
    policy: Policy,
    unit: UnitFacts,
    fault: FaultFacts,
    service_date: dt.date,
    original_start: dt.date,
    start: dt.date,
    repairs: Sequence[Repair],
    evidence: dict[str, Any],
    warnings: list[str],
    is_day_off: DayOff | None,
) -> Decision:
    prefix = policy.kind if policy.kind in ("phone", "computer") else "general"
    extension = sum(r.days_in_repair for r in repairs)
    evidence["extension_days"] = extension
    civil = policy.civil_code_days
    # The 7/15-day windows count from the sale; an exchange does not restart them unless the
    # policy promises it.
    window_start = start if policy.windows_restart_on_exchange else original_start
    if window_start != start:
        evidence["windows_from"] = window_start
    ends: dict[str, dt.date] = {
        "return_window": window_end(
            window_start, days=policy.return_days, civil_code=civil, is_day_off=is_day_off
        ),
        "exchange_window": window_end(
            window_start, days=policy.exchange_days, civil_code=civil, is_day_off=is_day_off
        ),
    }
    extra = int(extension)

    def period(months: int) -> dt.date:
        return window_end(
            start, months=months, civil_code=civil, is_day_off=is_day_off, extra_days=extra
        )

    ends["whole_unit"] = period(policy.whole_unit_months)
    for code, months in policy.components.items():
        ends[f"component:{code}"] = period(months)
    for code, months in policy.accessories.items():
        ends[f"accessory:{code}"] = period(months)

    def decide(decision: str, options: tuple[str, ...], rule: str) -> Decision:
        return Decision(decision, options, rule, ends, evidence, tuple(warnings))

    void = _void(unit, fault)
    if void:
        evidence["void"] = void
        return decide(PAID_REPAIR, (PAID_REPAIR,), f"void.{void}")

    if fault.component and fault.component in policy.accessories:
        return _accessory(policy, fault, service_date, repairs, ends, evidence, decide)

    covered_until = ends["whole_unit"]
    if fault.component and f"component:{fault.component}" in ends:
        covered_until = max(covered_until, ends[f"component:{fault.component}"])
    in_period = service_date <= covered_until
    if fault.performance and service_date <= ends["return_window"]:
        return decide(RETURN, (RETURN, EXCHANGE, FREE_REPAIR), f"{prefix}.return_7_days")
    if fault.performance and service_date <= ends["exchange_window"]:
        return decide(EXCHANGE, (EXCHANGE, FREE_REPAIR), f"{prefix}.exchange_15_days")
    if in_period and fault.performance:
        performance_repairs = [r for r in repairs if r.performance]
        evidence["performance_repairs"] = len(performance_repairs)
        if len(performance_repairs) >= policy.repair_count_threshold:
            return _exchange(
                f"{prefix}.repaired_twice",
                policy,
                start,
                service_date,
                repairs,
                fault,
                decide,
                evidence,
            )
        over = _overdue(policy, fault, service_date, repairs, evidence)
        if over:
            return _exchange(over, policy, start, service_date, repairs, fault, decide, evidence)
    if in_period:
        if service_date > ends["whole_unit"]:
            rule = (
                "computer.main_part_period" if prefix == "computer" else "general.component_period"
            )
        else:
            rule = f"{prefix}.whole_unit_period"
        return decide(FREE_REPAIR, (FREE_REPAIR,), rule)
    return decide(PAID_REPAIR, (PAID_REPAIR,), f"{prefix}.period_expired")


def _overdue(
    policy: Policy,
    fault: FaultFacts,
    service_date: dt.date,
    repairs: Sequence[Repair],
    evidence: dict[str, Any],
) -> str:
    """The 30/90-day limits. With the day brought in, the days run from it (the day itself
    not counted) and the cause decides the limit: the repairer's own delay 30 days, the maker's
    missing parts 90. Without it, the recorded repair and parts-waiting days are used."""
    if fault.brought_in is not None:
        elapsed = (service_date - fault.brought_in).days
        evidence["brought_in"] = fault.brought_in
        evidence["days_since_brought_in"] = elapsed
        if fault.delay_cause == "parts":
            if elapsed > policy.max_parts_wait_days:
                return "general.parts_wait_over_90_days"
        elif elapsed > policy.max_repair_days:
            return "general.repair_over_30_days"
        return ""
    longest = max(
        [r.days_in_repair - r.days_waiting_parts for r in repairs]
        + [fault.days_in_repair - fault.days_waiting_parts],
        default=0,
    )
    waited = max([r.days_waiting_parts for r in repairs] + [fault.days_waiting_parts], default=0)
    if longest > policy.max_repair_days:
        evidence["repair_days"] = longest
        return "general.repair_over_30_days"
    if waited > policy.max_parts_wait_days:
        evidence["parts_wait_days"] = waited
        return "general.parts_wait_over_90_days"
    return ""


def _accessory(
    policy: Policy,
    fault: FaultFacts,
    service_date: dt.date,
    repairs: Sequence[Repair],
    ends: dict[str, dt.date],
    evidence: dict[str, Any],
    decide: Callable[[str, tuple[str, ...], str], Decision],
) -> Decision:
    """A phone's (or computer's) accessory: replaced free inside its own period; replaced
    `accessory_replacements_before_return` times and still failing, it is returned."""
    code = fault.component or ""
    evidence["scope"] = f"accessory:{code}"
    if service_date > ends[f"accessory:{code}"]:
        return decide(PAID_REPAIR, (PAID_REPAIR,), "phone.accessory_expired")
    replaced = [r for r in repairs if _was_replaced(r, code)]
    evidence["accessory_replacements"] = len(replaced)
    if fault.performance and len(replaced) >= policy.accessory_replacements_before_return:
        return decide(RETURN, (RETURN,), "phone.accessory_replaced_twice")
    return decide(FREE_REPAIR, (FREE_REPAIR,), "phone.accessory_exchange")


def _was_replaced(repair: Repair, code: str) -> bool:
    """Whether a repair replaced the part `code` (recorded on the repair, or a part used)."""
    return (repair.replaced and repair.component == code) or code in repair.replaced_parts


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


def _days_used(
    start: dt.date, service_date: dt.date, repairs: Sequence[Repair], fault: FaultFacts
) -> tuple[int, int]:
    """(days of use, repair days left out): days since the start less repair and
    parts-waiting days."""
    total = (service_date - start).days
    in_repair = int(sum(r.days_in_repair for r in repairs) + fault.days_in_repair)
    return max(0, total - in_repair), min(total, in_repair)


def _exchange(
    rule: str,
    policy: Policy,
    start: dt.date,
    service_date: dt.date,
    repairs: Sequence[Repair],
    fault: FaultFacts,
    decide: Callable[[str, tuple[str, ...], str], Decision],
    evidence: dict[str, Any],
) -> Decision:
    # Where no same-model unit can be had, the customer may return it; depreciation is charged
    # per day of use (days in repair or waiting for parts are not use).
    days_used, left_out = _days_used(start, service_date, repairs, fault)
    evidence["days_used"] = days_used
    evidence["repair_days_not_counted"] = left_out
    evidence["depreciation_per_day"] = policy.depreciation_per_day
    evidence["depreciation_if_returned"] = policy.depreciation_per_day * days_used
    return decide(EXCHANGE, (EXCHANGE, RETURN), rule)


def _car(
    policy: Policy,
    unit: UnitFacts,
    fault: FaultFacts,
    service_date: dt.date,
    original_start: dt.date,
    start: dt.date,
    repairs: Sequence[Repair],
    evidence: dict[str, Any],
    warnings: list[str],
) -> Decision:
    """家用汽车产品三包 (2021): 2 years / 50,000 km 三包, 3 years / 60,000 km repair warranty,
    whichever comes first; the 7-day and 60-day / 3,000 km exchange-or-return; the twice
    repaired / replaced clauses; 30 cumulative repair days or the same fault over 4 times;
    whole repair days; use compensation on a return; the exclusions."""
    ends = {
        "sanbao": add_months(start, policy.car_months),
        "repair_warranty": add_months(start, policy.car_repair_months),
        # From the original start: an exchanged car does not restart the first windows.
        "first_days": original_start + dt.timedelta(days=policy.car_first_days - 1),
        "early_days": original_start + dt.timedelta(days=policy.car_early_days - 1),
    }
    km = unit.mileage_km
    evidence["mileage_km"] = km
    if km is None:
        warnings.append("mileage_unknown")

    def decide(decision: str, options: tuple[str, ...], rule: str) -> Decision:
        if RETURN in options:
            _return_compensation(policy, unit, evidence, warnings)
        return Decision(decision, options, rule, ends, evidence, tuple(warnings))

    void = _void(unit, fault)
    if void:
        evidence["void"] = void
        return decide(PAID_REPAIR, (PAID_REPAIR,), f"car.{void}")
    for flag, rule in (
        (unit.commercial_use, "car.commercial_use"),
        (fault.defect_disclosed, "car.defect_disclosed"),
        (fault.forbidden_modification, "car.forbidden_modification"),
    ):
        if flag:
            return decide(PAID_REPAIR, (PAID_REPAIR,), rule)
    if fault.wear_part and fault.wear_part in policy.wear_parts:
        months, part_km = policy.wear_parts[fault.wear_part]
        ends[f"wear_part:{fault.wear_part}"] = add_months(start, months)
        evidence["wear_part"] = fault.wear_part
        if service_date > add_months(start, months) or (
            part_km and km is not None and km > part_km
        ):
            return decide(PAID_REPAIR, (PAID_REPAIR,), "car.wear_part_expired")

    current_days = car_repair_days(fault.days_in_repair)
    if current_days > policy.car_loaner_after_days:
        warnings.append("loaner_due_from_day_6")
        evidence["loaner_from_day"] = policy.car_loaner_after_days + 1
        evidence["current_repair_days"] = current_days
    in_sanbao = service_date <= ends["sanbao"] and (km is None or km <= policy.car_km)
    in_repair = service_date <= ends["repair_warranty"] and (
        km is None or km <= policy.car_repair_km
    )
    system = fault.system or (fault.component if fault.component in CAR_MAJOR else None)
    if service_date <= ends["first_days"] and fault.needs_replacement and system in CAR_MAJOR:
        return decide(RETURN, (RETURN, EXCHANGE), "car.first_7_days_major_part")
    if (
        fault.early_failure in CAR_EARLY_FAILURES
        and service_date <= ends["early_days"]
        and (km is None or km <= policy.car_early_km)
    ):
        evidence["early_failure"] = fault.early_failure
        return decide(RETURN, (RETURN, EXCHANGE), "car.early_60_days_failure")
    if in_sanbao:
        total_days = sum(_car_days_of(r) for r in repairs) + current_days
        same = [r for r in repairs if fault.fault and r.fault == fault.fault]
        evidence["cumulative_repair_days"] = total_days
        evidence["same_fault_repairs"] = len(same)
        threshold = policy.car_repeat_threshold
        if fault.serious_safety:
            safety = [r for r in repairs if r.serious_safety]
            evidence["serious_safety_repairs"] = len(safety)
            if len(safety) >= threshold:
                return decide(EXCHANGE, (EXCHANGE, RETURN), "car.serious_safety_repaired_twice")
        if system in CAR_MAJOR:
            assemblies = [
                r
                for r in repairs
                if (r.replaced and r.system == system and r.component in (None, "", system))
                or system in r.replaced_parts
            ]
            evidence["assembly_replacements"] = len(assemblies)
            if len(assemblies) >= threshold:
                return decide(EXCHANGE, (EXCHANGE, RETURN), "car.major_assembly_replaced_twice")
        if system in CAR_MAJOR | CAR_CHASSIS_BODY and fault.component and fault.component != system:
            parts = [
                r
                for r in repairs
                if (r.replaced and r.system == system and r.component == fault.component)
                or fault.component in r.replaced_parts
            ]
            evidence["part_replacements"] = len(parts)
            if len(parts) >= threshold:
                return decide(EXCHANGE, (EXCHANGE, RETURN), "car.same_main_part_replaced_twice")
        if total_days > policy.car_max_repair_days:
            return decide(EXCHANGE, (EXCHANGE, RETURN), "car.cumulative_repair_over_30_days")
        if len(same) >= policy.car_max_same_fault_repairs:
            return decide(EXCHANGE, (EXCHANGE, RETURN), "car.same_fault_repaired_over_4_times")
        return decide(FREE_REPAIR, (FREE_REPAIR,), "car.sanbao_period")
    if in_repair:
        return decide(FREE_REPAIR, (FREE_REPAIR,), "car.repair_warranty")
    return decide(PAID_REPAIR, (PAID_REPAIR,), "car.period_expired")


def _return_compensation(
    policy: Policy, unit: UnitFacts, evidence: dict[str, Any], warnings: list[str]
) -> None:
    """The use compensation a car return owes: price × km ÷ 1000 × n."""
    evidence["use_rate"] = policy.car_use_rate
    if unit.price is None or unit.mileage_km is None:
        if "use_compensation_unknown" not in warnings:
            warnings.append("use_compensation_unknown")
        return
    evidence["price"] = unit.price
    evidence["use_compensation"] = use_compensation(
        unit.price, unit.mileage_km, policy.car_use_rate
    )
    evidence["use_compensation_formula"] = (
        f"{unit.price} × {unit.mileage_km} ÷ 1000 × {policy.car_use_rate}"
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
# Mobile phones (2001): the handset (主机) one year; accessories by the rule's table.
PHONE = Policy(
    name="移动电话机 (2001)",
    kind="phone",
    whole_unit_months=12,
    accessories={
        "battery": 6,
        "charger": 12,
        "wired_headset": 3,
        "terminal_card": 12,
        "data_card": 12,
    },
)
# Microcomputers (2002): whole unit one year, main parts two years.
COMPUTER = Policy(
    name="微型计算机 (2002)",
    kind="computer",
    whole_unit_months=12,
    components=dict.fromkeys(
        (
            "mainboard",
            "cpu",
            "memory",
            "hard_disk",
            "display",
            "power_supply",
            "keyboard",
            "power_adapter",
        ),
        24,
    ),
)
SEEDED = {
    "general": GENERAL,
    "car": CAR,
    "phone": PHONE,
    "computer": COMPUTER,
    "colour_tv": COLOUR_TV,
    "bicycle": BICYCLE,
}
