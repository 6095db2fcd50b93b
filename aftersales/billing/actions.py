"""Every write of settlement: fee rules, statements (generate, send, reconcile, answer,
approve, pay exactly once) and the station account."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Field, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company, Station
from aftersales.accounts.permissions import Perm, has_perm, require
from aftersales.billing import fees, selectors
from aftersales.billing.choices import (
    CLAIM_MACHINE,
    MANUAL_KINDS,
    REFUND_MACHINE,
    STATEMENT_MACHINE,
    ClaimDecision,
    ClaimReason,
    ClaimStatus,
    DisputeAnswer,
    FeeKind,
    LedgerKind,
    LineKind,
    LineStatus,
    PayoutMode,
    RefundStatus,
    StatementStatus,
    TravelPer,
)
from aftersales.billing.lock_objects import lock_statement, lock_statement_of
from aftersales.billing.models import (
    BillingSettings,
    ClaimEvent,
    ClaimLine,
    FeeRule,
    InvoiceRecord,
    LedgerEntry,
    Payout,
    Refund,
    RefundEvent,
    Statement,
    StatementEvent,
    StatementLine,
    StatementOrder,
    StationTerms,
    WarrantyClaim,
)
from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from aftersales.core.transitions import apply, record
from aftersales.core.validation import Errors, set_whole_numbers
from aftersales.feedback.choices import ComplaintStatus
from aftersales.feedback.models import Complaint
from aftersales.fieldwork.models import Receipt
from aftersales.kpi.selectors import approved_results
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import ReturnStatus
from aftersales.parts.models import Chargeback, ReturnObligation
from aftersales.warranty.engine import FREE_TO_CUSTOMER

ZERO = Decimal("0.00")
# Members as plain strings (the type checker has no Django plugin).
LK = LineKind
CR = ClaimReason


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except Exception as exc:
        raise ApplicationError(
            "invalid_amount", _("Please enter an amount in yuan."), status=422
        ) from exc
    if not amount.is_finite() or amount != amount.quantize(fees.CENT):
        raise ApplicationError(
            "invalid_amount",
            _("Amounts are in yuan with at most 2 decimal places."),
            status=422,
            details={"field": field},
        )
    return amount.quantize(fees.CENT)


def period_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's month in Asia/Shanghai, as aware datetimes [start, end)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(period, dt.time(), tz)
    following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time(), tz)


# -- fee rules ------------------------------------------------------------------------------


def fee_rule_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    valid_from: dt.date,
    criteria: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
) -> FeeRule:
    """A new fee rule, or the next version of the rule with this code (from `valid_from`,
    which must come after the latest version's)."""
    require(actor, Perm.FEE_RULES)
    if kind not in FeeKind.values:
        raise ApplicationError("invalid_kind", _("Unknown kind of fee."), status=422)
    criteria = {k: str(v).strip() for k, v in (criteria or {}).items() if v}
    unknown = set(criteria) - set(fees.CRITERIA_WEIGHTS)
    if unknown:
        raise ApplicationError(
            "invalid_criteria",
            _("Unknown criteria."),
            status=422,
            details={"fields": sorted(unknown)},
        )
    params = dict(params or {})
    clean: dict[str, Any] = {}
    for name_ in ("amount", "hours", "rate"):
        if params.get(name_) not in (None, ""):
            clean[name_] = _money(params[name_], name_)
    for name_ in ("free_km", "per_km", "min_km", "percent"):
        if params.get(name_) not in (None, ""):
            clean[name_] = Decimal(str(params[name_]))
            if clean[name_] < 0:
                raise ApplicationError(
                    "invalid_amount", _("Values may not be negative."), status=422
                )
    if params.get("per"):
        if params["per"] not in TravelPer.values:
            raise ApplicationError("invalid_per", _("Unknown way of paying travel."), status=422)
        clean["per"] = params["per"]
    if params.get("bands"):
        bands = [(Decimal(str(a)), _money(b, "bands")) for a, b in params["bands"]]
        if [a for a, _b in bands] != sorted({a for a, _b in bands}):
            raise ApplicationError(
                "invalid_bands", _("Distance bands must rise strictly."), status=422
            )
        clean["bands"] = [[str(a), str(b)] for a, b in bands]
    with transaction.atomic():
        latest = (
            FeeRule.objects.select_for_update()
            .filter(company_id=actor.company_id, code=code)
            .order_by("-version")
            .first()
        )
        if latest is not None and valid_from <= latest.valid_from:
            raise Conflict(
                "valid_from_not_after",
                _("A new version must start after the current version (%(date)s).")
                % {"date": latest.valid_from.isoformat()},
            )
        rule = FeeRule.objects.create(
            company_id=actor.company_id,
            code=code,
            version=(latest.version + 1) if latest else 1,
            name=name,
            kind=kind,
            valid_from=valid_from,
            created_by=actor,
            **criteria,
            **clean,
        )
        audit_record(
            actor=actor,
            action="fee_rule.create",
            obj=rule,
            changes={"code": code, "version": rule.version, "kind": kind},
        )
    return rule


def station_terms_set(
    *, actor: Any, station: Station, grade: str, payout_mode: str
) -> StationTerms:
    require(actor, Perm.FEE_RULES)
    if station.company_id != actor.company_id:
        raise NotFound("not_found", _("Station not found."))
    if payout_mode not in PayoutMode.values:
        raise ApplicationError("invalid_payout", _("Unknown payout mode."), status=422)
    with transaction.atomic():
        terms, _created = StationTerms.objects.update_or_create(
            station=station, defaults={"grade": grade.strip(), "payout_mode": payout_mode}
        )
        audit_record(
            actor=actor,
            action="station_terms.set",
            obj=terms,
            changes={"grade": grade, "payout_mode": payout_mode},
        )
    return terms


# -- generation ------------------------------------------------------------------------------


@dataclass
class _Line:
    kind: str
    amount: Decimal
    fee_kind: str = ""
    order_id: int | None = None
    formula: str = ""
    rule_id: int | None = None
    rule_version: int | None = None
    basis: dict[str, Any] | None = None
    reason: str = ""
    chargeback_id: int | None = None
    complaint_id: int | None = None
    carried_from_id: int | None = None
    assessment: str | None = None

    def key(self) -> list[Any]:
        return [
            self.kind,
            self.fee_kind,
            self.order_id,
            str(self.amount),
            self.formula,
            self.rule_id,
            self.rule_version,
            self.reason,
            self.chargeback_id,
            self.complaint_id,
            self.carried_from_id,
            self.assessment,
        ]


def grade_amount(cfg: Any, grade: str) -> Decimal:
    """The bonus (positive) or deduction (negative) of an assessment grade, in yuan."""
    raw = (cfg.assessment_amounts or {}).get(grade)
    try:
        return fees.money(Decimal(str(raw))) if raw not in (None, "") else ZERO
    except ArithmeticError:
        return ZERO


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def assessment_periods(period: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The assessment periods a statement for `period` settles: months, quarters and years
    ending in this month or the two before, oldest first."""
    out: list[tuple[dt.date, dt.date]] = []
    months = []
    month = period
    for _i in range(3):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    for month in reversed(months):
        end = _month_end(month)
        out.append((month, end))
        if month.month % 3 == 0:
            out.append((month.replace(month=month.month - 2), end))
        if month.month == 12:
            out.append((month.replace(month=1), end))
    return out


def assessment_results(company_id: int, station_id: int, period: dt.date) -> list[dict[str, Any]]:
    """The station's approved assessment results a statement for `period` may settle, read
    through `kpi.selectors.approved_results` (in a fixed order: deterministic)."""
    out = []
    for start, end in assessment_periods(period):
        for row in approved_results(company_id, start, end, subject="station"):
            if int(row["subject_id"]) == station_id:
                out.append({**row, "period_from": start, "period_to": end})
    return sorted(out, key=lambda r: (r["period_to"], r["period_from"], r["run"]))


def _penalty(cfg: Any, severity: str) -> Decimal:
    return Decimal(getattr(cfg, f"penalty_{severity}", ZERO) or ZERO)


# Order events that may change what an order is priced at (a note, an appointment, a
# follow-up or a recomputed due time do not); moves between "done" statuses do not either.
PRICED_EVENT_KINDS = ("edit", "field", "reopened_as")
_PRICED_EVENTS = Q(kind__in=PRICED_EVENT_KINDS) | (
    Q(kind="transition") & ~(Q(from_status__in=selectors.DONE) & Q(to_status__in=selectors.DONE))
)


_InStatement = TypeVar("_InStatement", StatementLine, StatementOrder)


def _not_in(qs: QuerySet[_InStatement], statement_id: int | None) -> QuerySet[_InStatement]:
    """The rows of other statements than this one: all of them while it does not exist yet."""
    return qs if statement_id is None else qs.exclude(statement_id=statement_id)


def _changed_since_snapshot(
    *, station: Station, period: dt.date, statement_id: int | None
) -> list[StatementOrder]:
    """The snapshots of this station's orders settled in an earlier, sent statement that have
    an order event after the snapshot was taken (the statement's generation) and after the
    generation of the last statement that priced a late change of the order. The order's
    `updated_at` is not read: only what the order's history records counts."""
    snapshots = list(
        StatementOrder.objects.filter(statement__station=station, statement__period__lt=period)
        .exclude(statement__status=StatementStatus.GENERATED)
        .filter(
            Exists(
                OrderEvent.objects.filter(
                    order_id=OuterRef("order_id"),
                    at__gt=OuterRef("statement__generated_at"),
                    at__lte=clock.now(),  # as of the run's moment (a backfill's past)
                ).filter(_PRICED_EVENTS)
            )
        )
        .select_related("statement")
        .order_by("order_id")
    )
    if not snapshots:
        return []
    # When each order's last late change was priced (another statement's generation).
    repriced: dict[int, dt.datetime] = {}
    for order_id, at in _not_in(
        StatementLine.objects.filter(
            kind=LK.LATE_CHANGE, order_id__in=[so.order_id for so in snapshots]
        ),
        statement_id,
    ).values_list("order_id", "statement__generated_at"):
        if order_id not in repriced or at > repriced[order_id]:
            repriced[order_id] = at
    kept = []
    for so in snapshots:
        since = repriced.get(so.order_id)
        if since is None or _changed_after(so.order_id, since):
            kept.append(so)
    return kept


def _changed_after(order_id: int, moment: dt.datetime) -> bool:
    return (
        OrderEvent.objects.filter(order_id=order_id, at__gt=moment, at__lte=clock.now())
        .filter(_PRICED_EVENTS)
        .exists()
    )


def _build_lines(
    *, station: Station, period: dt.date, statement_id: int | None
) -> tuple[list[_Line], list[tuple[int, dict[str, Any], Decimal]], int]:
    """The statement's automatic lines for these inputs, in a fixed order (deterministic):
    order fees by completion time and id, then chargebacks, complaint penalties, late
    changes and the amount carried in. Returns (lines, order snapshots, carried periods)."""
    company_id = station.company_id
    _start, end = period_bounds(period)
    cfg = selectors.billing_settings(company_id)
    rules = selectors.fee_rules(company_id)
    # Not settled by another statement (the unique index on the order answers each probe).
    settled_elsewhere = _not_in(
        StatementOrder.objects.filter(order_id=OuterRef("pk")), statement_id
    )
    orders = selectors.orders_to_price(
        ServiceOrder.objects.filter(
            station=station, status__in=selectors.DONE, completed_at__lt=end
        ).exclude(Exists(settled_elsewhere))
    )
    facts = selectors.order_facts(orders, company_id=company_id)
    lines: list[_Line] = []
    snapshots: list[tuple[int, dict[str, Any], Decimal]] = []
    for order in orders:
        priced = fees.price_order(rules, facts[order.pk])
        for p in priced:
            lines.append(
                _Line(
                    kind=LK.FEE,
                    fee_kind=p.kind,
                    order_id=order.pk,
                    amount=p.amount,
                    formula=p.formula,
                    rule_id=p.rule_id,
                    rule_version=p.rule_version,
                    basis=p.basis,
                )
            )
        snapshots.append((order.pk, selectors.facts_as_json(facts[order.pk]), fees.total(priced)))
    # Old-part chargebacks (parts.Chargeback), each once.
    taken = _not_in(StatementLine.objects.all(), statement_id)
    for cb in (
        Chargeback.objects.filter(station=station, created_at__lt=end)
        .exclude(pk__in=taken.filter(chargeback__isnull=False).values("chargeback_id"))
        .order_by("created_at", "id")
    ):
        lines.append(
            _Line(
                kind=LK.CHARGEBACK,
                amount=-fees.money(cb.amount),
                reason=cb.reason,
                chargeback_id=cb.pk,
                order_id=cb.obligation.order_id,
            )
        )
    # Complaint penalties: closed complaints against the station, by severity.
    for complaint in (
        Complaint.objects.filter(station=station, status=ComplaintStatus.CLOSED, closed_at__lt=end)
        .exclude(pk__in=taken.filter(complaint__isnull=False).values("complaint_id"))
        .order_by("closed_at", "id")
    ):
        penalty = _penalty(cfg, complaint.severity)
        if penalty > 0:
            lines.append(
                _Line(
                    kind=LK.COMPLAINT,
                    amount=-fees.money(penalty),
                    reason=complaint.number,
                    complaint_id=complaint.pk,
                    order_id=complaint.order_id,
                )
            )
    # Late changes: orders settled in an earlier (sent) statement whose events show a change
    # after its snapshot (and after the last time a late change of the order was priced).
    earlier = _changed_since_snapshot(station=station, period=period, statement_id=statement_id)
    if earlier:
        changed = selectors.orders_to_price(
            ServiceOrder.objects.filter(pk__in=[so.order_id for so in earlier])
        )
        changed_facts = selectors.order_facts(changed, company_id=company_id)
        already: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for order_id, amount in _not_in(
            StatementLine.objects.filter(
                kind=LK.LATE_CHANGE, order_id__in=[so.order_id for so in earlier]
            ),
            statement_id,
        ).values_list("order_id", "amount"):
            already[order_id] += amount
        for so in earlier:
            if so.order_id not in changed_facts:
                continue
            now = fees.total(fees.price_order(rules, changed_facts[so.order_id]))
            diff = now - so.amount - already[so.order_id]
            if diff != 0:
                lines.append(
                    _Line(
                        kind=LK.LATE_CHANGE,
                        order_id=so.order_id,
                        amount=diff,
                        formula=f"{now} − {so.amount + already[so.order_id]} = {diff}",
                        reason="order_changed",
                    )
                )
    # Assessment bonuses and deductions: the approved results of the station's assessment
    # runs that end in this period or the two before (an assessment is approved after its
    # period closes), by the grade's amount in the settings, each result once.
    settled = set(taken.filter(assessment__isnull=False).values_list("assessment", flat=True))
    for result in assessment_results(company_id, station.pk, period):
        key = f"run:{result['run']}:station:{result['subject_id']}"
        amount = grade_amount(cfg, str(result["grade"]))
        if key in settled or amount == 0:
            continue
        lines.append(
            _Line(
                kind=LK.ASSESSMENT_BONUS if amount > 0 else LK.ASSESSMENT_DEDUCTION,
                amount=amount,
                formula=f"{result['grade']} ({result['score']}) → {amount}",
                reason=f"{result['period_from']}..{result['period_to']}",
                basis={
                    "run": result["run"],
                    "grade": str(result["grade"]),
                    "score": str(result["score"]),
                    "period_from": str(result["period_from"]),
                    "period_to": str(result["period_to"]),
                },
                assessment=key,
            )
        )
    # The amount carried in from the previous statement.
    carried_periods = 0
    previous = (
        Statement.objects.filter(
            station=station, period__lt=period, status=StatementStatus.ROLLED_OVER
        )
        .exclude(
            pk__in=_not_in(
                StatementLine.objects.filter(carried_from__isnull=False), statement_id
            ).values("carried_from_id")
        )
        .order_by("-period")
        .first()
    )
    if previous is not None:
        carried_periods = previous.carried_periods + 1
        lines.append(
            _Line(
                kind=LK.ROLLOVER,
                amount=previous.total,
                reason=previous.number,
                carried_from_id=previous.pk,
            )
        )
    return lines, snapshots, carried_periods


def _insert(model: Any, fields: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows with one prepared statement (executemany): the statement's lines and
    snapshot are written in bulk without building a model instance per row. JSON columns are
    prepared by their field for the database in use."""
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    json_at = [
        i
        for i, name in enumerate(fields)
        if meta.get_field(name).get_internal_type() == "JSONField"
    ]
    json_fields = {i: meta.get_field(fields[i]) for i in json_at}
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model, quoted)
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = list(row)
            for i, field in json_fields.items():
                values[i] = field.get_db_prep_save(values[i], connection)
            batch.append(values)
            if len(batch) >= 2000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _digest(lines: Sequence[_Line]) -> str:
    text = json.dumps([line.key() for line in lines], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def statement_generate(*, actor: Any, station: Station, period: dt.date) -> Statement:
    """Generate (or, before it is sent, regenerate) a station's statement for a month from the
    orders completed by its end and not settled yet. Manual lines survive a regeneration."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    if station.company_id != actor.company_id:
        raise NotFound("not_found", _("Station not found."))
    try:
        return _generate(actor=actor, station=station, period=period_start(period))
    except IntegrityError as exc:
        # Another generation of this station ran at the same moment (the statement or one of
        # its orders is unique): nothing of this one was written.
        raise Conflict(
            "generation_in_progress",
            _("The statement is being generated by someone else; please try again."),
        ) from exc


def _generate(
    *, actor: Any, station: Station, period: dt.date, only_new: bool = False
) -> Statement:
    with transaction.atomic():
        statement = lock_statement_of(station.pk, period)
        if only_new and statement is not None:
            raise _AlreadyThere
        if statement is not None and statement.status != StatementStatus.GENERATED:
            raise Conflict(
                "statement_sent",
                _("This statement was sent; a change goes to the next period."),
            )
        lines, snapshots, carried = _build_lines(
            station=station, period=period, statement_id=statement.pk if statement else None
        )
        if statement is None:
            statement = Statement.objects.create(
                company_id=station.company_id,
                station=station,
                period=period,
                number=f"JS{period:%Y%m}-{station.code}",
            )
            event_verb = "generate"
        else:
            StatementOrder.objects.filter(statement=statement).delete()
            statement.lines.exclude(kind__in=MANUAL_KINDS).delete()
            event_verb = "regenerate"
        manual = list(statement.lines.filter(kind__in=MANUAL_KINDS).order_by("id"))
        _insert(
            StatementLine,
            [
                "statement_id",
                "position",
                "kind",
                "fee_kind",
                "order_id",
                "amount",
                "final_amount",
                "formula",
                "rule_id",
                "rule_version",
                "basis",
                "reason",
                "chargeback_id",
                "complaint_id",
                "carried_from_id",
                "assessment",
                "status",
                "dispute_reason",
                "answer_reason",
            ],
            [
                (
                    statement.pk,
                    i,
                    line.kind,
                    line.fee_kind,
                    line.order_id,
                    line.amount,
                    line.amount,
                    line.formula,
                    line.rule_id,
                    line.rule_version,
                    line.basis or {},
                    line.reason,
                    line.chargeback_id,
                    line.complaint_id,
                    line.carried_from_id,
                    line.assessment,
                    LineStatus.OPEN,
                    "",
                    "",
                )
                for i, line in enumerate(lines, start=1)
            ],
        )
        for i, line in enumerate(manual, start=len(lines) + 1):
            # Positions of manual lines follow the automatic ones (free first: no clash).
            line.position = 1_000_000 + i
            line.save(update_fields=["position"])
        for i, line in enumerate(manual, start=len(lines) + 1):
            line.position = i
            line.save(update_fields=["position"])
        _insert(
            StatementOrder,
            ["statement_id", "order_id", "facts", "amount"],
            [(statement.pk, oid, f, amount) for oid, f, amount in snapshots],
        )
        statement.digest = _digest(lines)
        statement.carried_periods = carried
        statement.generated_at = clock.now()
        statement.total = selectors.line_total(statement.lines.all())
        payload = {
            "lines": len(lines) + len(manual),
            "orders": len(snapshots),
            "digest": statement.digest,
        }
        if only_new:
            payload["scheduled"] = True
        if event_verb == "generate":
            statement.save(update_fields=["digest", "carried_periods", "generated_at", "total"])
            record(
                StatementEvent,
                subject_field="statement",
                subject=statement,
                actor=actor,
                action="generate",
                to_status=statement.status,
                payload=payload,
            )
        else:
            apply(
                STATEMENT_MACHINE,
                statement,
                "regenerate",
                event_model=StatementEvent,
                subject_field="statement",
                actor=actor,
                payload=payload,
                extra_fields=["digest", "carried_periods", "generated_at", "total"],
            )
    return statement


def statements_generate(*, actor: Any, period: dt.date) -> list[Statement]:
    """Generate (or regenerate) the period's statement of every active station of the actor's
    company; a station with nothing to settle gets an empty one. One transaction per station;
    statements already sent are left alone."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    out = []
    for station in Station.objects.filter(company_id=actor.company_id, is_active=True).order_by(
        "id"
    ):
        existing = Statement.objects.filter(station=station, period=period_start(period)).first()
        if existing is not None and existing.status != StatementStatus.GENERATED:
            continue
        out.append(statement_generate(actor=actor, station=station, period=period))
    return out


def statements_month_end() -> list[Statement]:
    """The scheduled month-end run: last month's statement (by `clock.today()`, so a run under
    `clock.at(past)` generates the month before that moment) of every active station of every
    company that has none yet. Exactly once per station and period however often it runs: a
    station with a statement is skipped, each station is one transaction (a crash leaves a
    whole statement or none; the next run makes the missing ones), and a run racing another
    loses on the unique (station, period) and skips that station. Returns what it made."""
    period = period_start(period_start(clock.today()) - dt.timedelta(days=1))
    made = []
    for company_id in Company.objects.order_by("id").values_list("id", flat=True):
        done = set(
            Statement.objects.filter(company_id=company_id, period=period).values_list(
                "station_id", flat=True
            )
        )
        for station in Station.objects.filter(company_id=company_id, is_active=True).order_by("id"):
            if station.pk in done:
                continue
            try:
                made.append(_generate(actor=None, station=station, period=period, only_new=True))
            except (IntegrityError, _AlreadyThere):
                continue  # another run made it first
    return made


class _AlreadyThere(Exception):
    """The statement exists (made by another run or by hand): the scheduled run leaves it."""


def disputes_overdue() -> int:
    """Decide the disputes not answered by their deadline (`answer_due`, working days): every
    line still disputed is accepted at the amount the station claimed (nothing, when it
    claimed none), each with an event, and the statement's disputes are answered. Runs under
    `clock.at(past)` as of that moment. Returns the number of statements decided."""
    decided = 0
    due = (
        Statement.objects.filter(status=StatementStatus.DISPUTED, answer_due__lte=clock.now())
        .order_by("id")
        .values_list("id", flat=True)
    )
    for statement_id in list(due):
        with transaction.atomic():
            statement = lock_statement(statement_id)
            if (
                statement is None
                or statement.status != StatementStatus.DISPUTED
                or statement.answer_due is None
                or statement.answer_due > clock.now()
            ):
                continue
            for line in statement.lines.filter(status=LineStatus.DISPUTED).order_by("position"):
                line.status = LineStatus.ACCEPTED
                line.final_amount = line.claimed_amount if line.claimed_amount is not None else ZERO
                line.save(update_fields=["status", "final_amount"])
                record(
                    StatementEvent,
                    subject_field="statement",
                    subject=statement,
                    actor=None,
                    action="answer_overdue",
                    payload={
                        "line": line.pk,
                        "answer": DisputeAnswer.ACCEPTED,
                        "amount": str(line.final_amount),
                        "due": statement.answer_due.isoformat(),
                    },
                )
            statement.total = selectors.line_total(statement.lines.all())
            apply(
                STATEMENT_MACHINE,
                statement,
                "answer",
                event_model=StatementEvent,
                subject_field="statement",
                actor=None,
                payload={"total": str(statement.total), "overdue": True},
                extra_fields=["total"],
            )
            decided += 1
    return decided


def statement_line_add(
    *,
    actor: Any,
    statement_id: int,
    kind: str,
    amount: Any,
    reason: str,
    order_id: int | None = None,
) -> StatementLine:
    """A manual adjustment line with its reason, while the statement is not sent yet.
    Deductions are negative amounts. (Assessment lines come from the approved run.)"""
    require(actor, Perm.SETTLEMENT_MANAGE)
    if kind not in MANUAL_KINDS:
        raise ApplicationError(
            "invalid_kind", _("This kind of line cannot be entered by hand."), status=422
        )
    value = _money(amount, "amount")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "reason_required", _("Please give a reason for this step."), status=422
        )
    with transaction.atomic():
        statement = lock_statement(statement_id)
        if statement is None or statement.company_id != actor.company_id:
            raise NotFound("not_found", _("Statement not found."))
        if statement.status != StatementStatus.GENERATED:
            raise Conflict(
                "statement_sent", _("This statement was sent; a change goes to the next period.")
            )
        position = (
            statement.lines.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        line = StatementLine.objects.create(
            statement=statement,
            position=position,
            kind=kind,
            amount=value,
            final_amount=value,
            reason=reason,
            order_id=order_id,
            created_by=actor,
        )
        statement.total = selectors.line_total(statement.lines.all())
        statement.save(update_fields=["total"])
        record(
            StatementEvent,
            subject_field="statement",
            subject=statement,
            actor=actor,
            action="line_add",
            reason=reason,
            payload={"line": line.pk, "kind": kind, "amount": str(value)},
        )
    return line


def _locked(actor: Any, statement_id: int) -> Statement:
    statement = lock_statement(statement_id)
    if statement is None or statement.company_id != actor.company_id:
        raise NotFound("not_found", _("Statement not found."))
    if getattr(actor, "is_station_user", False) and actor.station_id != statement.station_id:
        raise NotFound("not_found", _("Statement not found."))
    return statement


def statement_send(*, actor: Any, statement_id: int) -> Statement:
    require(actor, Perm.SETTLEMENT_MANAGE)
    with transaction.atomic():
        statement = _locked(actor, statement_id)
        cfg = selectors.billing_settings(statement.company_id)
        now = clock.now()
        statement.sent_at = now
        statement.dispute_due = now + dt.timedelta(days=cfg.dispute_days)
        apply(
            STATEMENT_MACHINE,
            statement,
            "send",
            event_model=StatementEvent,
            subject_field="statement",
            actor=actor,
            extra_fields=["sent_at", "dispute_due"],
        )
    return statement


def statement_confirm(*, actor: Any, statement_id: int) -> Statement:
    """The station confirms every line."""
    require(actor, Perm.SETTLEMENT_RECONCILE)
    with transaction.atomic():
        statement = _locked(actor, statement_id)
        apply(
            STATEMENT_MACHINE,
            statement,
            "confirm",
            event_model=StatementEvent,
            subject_field="statement",
            actor=actor,
        )
        statement.lines.update(status=LineStatus.CONFIRMED)
    return statement


@dataclass(frozen=True)
class LineDispute:
    line_id: int
    reason: str
    claimed_amount: Any = None


def answer_deadline(company_id: int, disputed_at: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day (company calendar, Asia/Shanghai) after the day of
    the dispute: disputed on a Friday with 2 days, it is due by Tuesday midnight."""
    tz = ZoneInfo(settings.TIME_ZONE)
    calendar = work_calendar(company_id)
    day = disputed_at.astimezone(tz).date()
    counted = 0
    for _i in range(366 * 2):
        if counted >= days:
            break
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)


def statement_dispute(
    *, actor: Any, statement_id: int, disputes: Sequence[LineDispute]
) -> Statement:
    """The station disputes these lines (with a reason each, and the amount it claims);
    the other lines are confirmed."""
    require(actor, Perm.SETTLEMENT_RECONCILE)
    if not disputes:
        raise ApplicationError("no_lines", _("Choose at least one line to dispute."), status=422)
    with transaction.atomic():
        statement = _locked(actor, statement_id)
        lines = {line.pk: line for line in statement.lines.all()}
        for d in disputes:
            if d.line_id not in lines:
                raise NotFound("not_found", _("Line not found."))
            if not (d.reason or "").strip():
                raise ApplicationError(
                    "reason_required", _("Please give a reason for this step."), status=422
                )
        cfg = selectors.billing_settings(statement.company_id)
        statement.answer_due = answer_deadline(statement.company_id, clock.now(), cfg.answer_days)
        apply(
            STATEMENT_MACHINE,
            statement,
            "dispute",
            event_model=StatementEvent,
            subject_field="statement",
            actor=actor,
            reason="; ".join(d.reason.strip() for d in disputes),
            payload={"lines": [d.line_id for d in disputes]},
            extra_fields=["answer_due"],
        )
        statement.lines.update(status=LineStatus.CONFIRMED)
        for d in disputes:
            line = lines[d.line_id]
            line.status = LineStatus.DISPUTED
            line.dispute_reason = d.reason.strip()
            line.claimed_amount = (
                _money(d.claimed_amount, "claimed_amount")
                if d.claimed_amount not in (None, "")
                else None
            )
            line.save(update_fields=["status", "dispute_reason", "claimed_amount"])
    return statement


def statement_dispute_answer(
    *, actor: Any, line_id: int, answer: str, amount: Any = None, reason: str = ""
) -> StatementLine:
    """Answer one disputed line: accepted (the claimed amount, or nothing when none was
    claimed), rejected (with a reason: the line stands), or partly (the amount given, with a
    reason). When the last disputed line is answered, the statement's disputes are answered."""
    require(actor, Perm.SETTLEMENT_ANSWER)
    if answer not in DisputeAnswer.values:
        raise ApplicationError("invalid_answer", _("Unknown answer."), status=422)
    reason = (reason or "").strip()
    if answer in (DisputeAnswer.REJECTED, DisputeAnswer.PARTLY) and not reason:
        raise ApplicationError(
            "reason_required", _("Please give a reason for this step."), status=422
        )
    found = StatementLine.objects.filter(pk=line_id).values_list("statement_id", flat=True).first()
    if found is None:
        raise NotFound("not_found", _("Line not found."))
    with transaction.atomic():
        statement = _locked(actor, found)
        line = statement.lines.get(pk=line_id)
        if line.status != LineStatus.DISPUTED or statement.status != StatementStatus.DISPUTED:
            raise Conflict("not_disputed", _("This line is not disputed."))
        if answer == DisputeAnswer.ACCEPTED:
            final = line.claimed_amount if line.claimed_amount is not None else ZERO
        elif answer == DisputeAnswer.REJECTED:
            final = line.amount
        else:
            if amount in (None, ""):
                raise ApplicationError(
                    "amount_required", _("Please give the amount agreed."), status=422
                )
            final = _money(amount, "amount")
        line.status = answer
        line.final_amount = final
        line.answer_reason = reason
        line.save(update_fields=["status", "final_amount", "answer_reason"])
        statement.total = selectors.line_total(statement.lines.all())
        statement.save(update_fields=["total"])
        record(
            StatementEvent,
            subject_field="statement",
            subject=statement,
            actor=actor,
            action="answer_line",
            reason=reason,
            payload={"line": line.pk, "answer": answer, "amount": str(final)},
        )
        if not statement.lines.filter(status=LineStatus.DISPUTED).exists():
            apply(
                STATEMENT_MACHINE,
                statement,
                "answer",
                event_model=StatementEvent,
                subject_field="statement",
                actor=actor,
                payload={"total": str(statement.total)},
            )
    return line


def statement_approve(*, actor: Any, statement_id: int) -> Statement:
    """Finance approves. Idempotent: approving an approved (or settled) statement changes
    nothing. A total under the threshold is carried to the next period instead (at most N
    periods in a row). From "sent" only once the station's deadline to dispute has passed."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    with transaction.atomic():
        statement = _locked(actor, statement_id)
        if statement.status in (
            StatementStatus.APPROVED,
            StatementStatus.PAID,
            StatementStatus.CREDITED,
            StatementStatus.ROLLED_OVER,
        ):
            return statement
        if (
            statement.status == StatementStatus.SENT
            and statement.dispute_due
            and clock.now() < statement.dispute_due
        ):
            raise Conflict(
                "awaiting_station",
                _("The station may still confirm or dispute this statement."),
            )
        cfg = selectors.billing_settings(statement.company_id)
        statement.total = selectors.line_total(statement.lines.all())
        statement.approved_at = clock.now()
        verb = "approve"
        if (
            statement.total != 0
            and abs(statement.total) < cfg.rollover_threshold
            and statement.carried_periods < cfg.rollover_max_periods
        ):
            verb = "roll_over"
        apply(
            STATEMENT_MACHINE,
            statement,
            verb,
            event_model=StatementEvent,
            subject_field="statement",
            actor=actor,
            payload={"total": str(statement.total)},
            extra_fields=["total", "approved_at"],
        )
    return statement


def _post_ledger(*, statement: Statement, payout: Payout, actor: Any) -> LedgerEntry:
    return LedgerEntry.objects.create(
        company_id=statement.company_id,
        station_id=statement.station_id,
        kind=LedgerKind.CREDIT if payout.mode == PayoutMode.CREDIT else LedgerKind.PAYOUT,
        amount=payout.amount,
        statement=statement,
        key=f"statement:{statement.pk}",
        memo=statement.number,
        actor=actor,
    )


def statement_pay(*, actor: Any, statement_id: int, reference: str = "") -> Payout:
    """Pay (or credit to the station's account, by the station's terms) an approved statement,
    exactly once: the statement is locked, a second call returns the first payout, and the
    payout, the status and the ledger row are written in one transaction (all or nothing)."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    with transaction.atomic():
        statement = _locked(actor, statement_id)
        existing = Payout.objects.filter(statement=statement).first()
        if existing is not None:
            return existing
        if statement.status != StatementStatus.APPROVED:
            raise Conflict(
                "not_approved",
                _("Only an approved statement can be paid."),
                details={"status": statement.status},
            )
        terms = StationTerms.objects.filter(station_id=statement.station_id).first()
        mode = terms.payout_mode if terms else PayoutMode.PAY
        payout = Payout.objects.create(
            statement=statement,
            mode=mode,
            amount=statement.total,
            key=f"statement:{statement.pk}:payout",
            reference=(reference or "").strip(),
            actor=actor,
        )
        statement.settled_at = payout.at
        apply(
            STATEMENT_MACHINE,
            statement,
            "credit" if mode == PayoutMode.CREDIT else "pay",
            event_model=StatementEvent,
            subject_field="statement",
            actor=actor,
            payload={
                "payout": payout.pk,
                "amount": str(payout.amount),
                "reference": payout.reference,
            },
            extra_fields=["settled_at"],
        )
        _post_ledger(statement=statement, payout=payout, actor=actor)
    return payout


def check_station(actor: Any, station_id: int) -> None:
    if getattr(actor, "is_station_user", False) and actor.station_id != station_id:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


# -- customer money --------------------------------------------------------------------------


def refund_request(*, actor: Any, receipt_id: int, amount: Any, reason: str) -> Refund:
    """Ask to give money back against a receipt (at most what was paid, less earlier refunds
    not rejected); finance approves or rejects it."""
    require(actor, Perm.ORDER_VIEW)
    value = _money(amount, "amount")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "reason_required", _("Please give a reason for this step."), status=422
        )
    if value <= 0:
        raise ApplicationError(
            "invalid_amount", _("The amount must be more than zero."), status=422
        )
    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update()
            .filter(pk=receipt_id, order__in=orders_visible_to(actor))
            .select_related("order")
            .first()
        )
        if receipt is None:
            raise NotFound("not_found", _("Receipt not found."))
        taken = sum(
            (
                r.amount
                for r in Refund.objects.filter(receipt=receipt).exclude(
                    status=RefundStatus.REJECTED
                )
            ),
            ZERO,
        )
        if taken + value > receipt.amount:
            raise Conflict(
                "refund_exceeds_payment",
                _("Refunds may not exceed what was paid (%(left)s yuan left).")
                % {"left": receipt.amount - taken},
            )
        refund = Refund.objects.create(
            company_id=receipt.company_id,
            receipt=receipt,
            order=receipt.order,
            customer_id=receipt.order.customer_id,
            amount=value,
            reason=reason,
            requested_by=actor,
        )
        record(
            RefundEvent,
            subject_field="refund",
            subject=refund,
            actor=actor,
            action="request",
            to_status=refund.status,
            reason=reason,
            payload={"amount": str(value)},
        )
    return refund


def refund_decide(*, actor: Any, refund_id: int, approve: bool, reason: str = "") -> Refund:
    require(actor, Perm.SETTLEMENT_MANAGE)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None or refund.company_id != actor.company_id:
            raise NotFound("not_found", _("Refund not found."))
        apply(
            REFUND_MACHINE,
            refund,
            "approve" if approve else "reject",
            event_model=RefundEvent,
            subject_field="refund",
            actor=actor,
            reason=reason,
        )
    return refund


def invoice_record(
    *,
    actor: Any,
    order_id: int,
    title: str,
    tax_number: str,
    amount: Any,
    number: str,
    issued_on: dt.date,
    receipt_id: int | None = None,
) -> InvoiceRecord:
    """Record an invoice (发票) as the company's invoicing system issued it."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    title, number, tax_number = title.strip(), number.strip(), tax_number.strip().upper()
    if not title or not number:
        raise ApplicationError(
            "invalid_invoice", _("An invoice needs its title and number."), status=422
        )
    value = _money(amount, "amount")
    with transaction.atomic():
        order = orders_visible_to(actor).filter(pk=order_id).first()
        if order is None:
            raise NotFound("not_found", _("Order not found."))
        if InvoiceRecord.objects.filter(company_id=order.company_id, number=number).exists():
            raise Conflict("invoice_exists", _("An invoice with this number is recorded."))
        invoice = InvoiceRecord.objects.create(
            company_id=order.company_id,
            customer_id=order.customer_id,
            order=order,
            receipt_id=receipt_id,
            title=title,
            tax_number=tax_number,
            amount=value,
            number=number,
            issued_on=issued_on,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="invoice.record",
            obj=invoice,
            changes={"number": number, "amount": str(value)},
        )
    return invoice


# -- warranty claims to the manufacturer or supplier -----------------------------------------


def _require_claims(actor: Any) -> None:
    if not (has_perm(actor, Perm.SETTLEMENT_MANAGE) or has_perm(actor, Perm.SETTLEMENT_ANSWER)):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


def claim_create(*, actor: Any, order_id: int) -> WarrantyClaim:
    """Draft the warranty claim of a completed 三包 order: its fees at the claim rules (the
    fee rules in force on the completion date) and its warranty parts at their price. One
    claim per order: a second is refused as a duplicate."""
    _require_claims(actor)
    with transaction.atomic():
        order = (
            orders_visible_to(actor)
            .select_for_update()
            .filter(pk=order_id, status__in=selectors.DONE)
            .first()
        )
        if order is None or order.station_id is None:
            raise NotFound("not_found", _("Order not found."))
        if order.warranty_decision not in FREE_TO_CUSTOMER:
            raise Conflict("not_warranty", _("Only 三包 (free) work is claimed."))
        if WarrantyClaim.objects.filter(order=order).exists():
            raise Conflict("duplicate", CR.DUPLICATE.label)
        loaded = selectors.orders_to_price(ServiceOrder.objects.filter(pk=order.pk))
        facts = selectors.order_facts(loaded, company_id=order.company_id)[order.pk]
        priced = fees.price_order(selectors.fee_rules(order.company_id), facts)
        claim = WarrantyClaim.objects.create(
            company_id=order.company_id,
            station_id=order.station_id,
            order=order,
            number=f"SB{order.number or order.pk}",
        )
        kinds = {fees.LABOUR: "labour", fees.TRAVEL: "travel"}
        lines = [
            ClaimLine(
                claim=claim,
                kind=kinds.get(p.kind, "other"),
                description=str(FeeKind(p.kind).label),
                amount=p.amount,
                formula=p.formula,
            )
            for p in priced
        ]
        for ob in (
            ReturnObligation.objects.filter(order=order).select_related("part").order_by("id")
        ):
            amount = fees.money((ob.part.price or ZERO) * ob.quantity)
            lines.append(
                ClaimLine(
                    claim=claim,
                    kind="part",
                    description=f"{ob.part.code} {ob.part.name}",
                    amount=amount,
                    formula=f"{ob.quantity} × {ob.part.price or ZERO} = {amount}",
                    obligation=ob,
                )
            )
        ClaimLine.objects.bulk_create(lines)
        claim.claimed = sum((line.amount for line in lines), ZERO)
        claim.save(update_fields=["claimed"])
        record(
            ClaimEvent,
            subject_field="claim",
            subject=claim,
            actor=actor,
            action="create",
            to_status=claim.status,
            payload={"claimed": str(claim.claimed)},
        )
    return claim


def _claim_close_if_done(claim: WarrantyClaim, actor: Any) -> None:
    lines = list(claim.lines.all())
    claim.approved = sum((line.approved_amount for line in lines), ZERO)
    if all(line.decision != ClaimDecision.PENDING for line in lines):
        apply(
            CLAIM_MACHINE,
            claim,
            "decide",
            event_model=ClaimEvent,
            subject_field="claim",
            actor=actor,
            payload={"approved": str(claim.approved)},
            extra_fields=["approved"],
        )
    else:
        claim.save(update_fields=["approved"])


def claim_submit(*, actor: Any, claim_id: int, today: dt.date | None = None) -> WarrantyClaim:
    """Submit a claim. It waits (409 `waiting_for_return`) while an old part is still due
    back; a part line whose return is overdue is rejected (part not returned in time); a
    claim past the submission window is rejected line by line (submitted too late)."""
    _require_claims(actor)
    today = today or clock.today()
    with transaction.atomic():
        claim = WarrantyClaim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or claim.company_id != actor.company_id:
            raise NotFound("not_found", _("Claim not found."))
        cfg = selectors.billing_settings(claim.company_id)
        order = claim.order
        completed = timezone.localtime(order.completed_at).date() if order.completed_at else today
        lines = list(claim.lines.select_related("obligation"))
        late = (today - completed).days > cfg.claim_days
        if not late:
            waiting = [
                line
                for line in lines
                if line.obligation is not None
                and line.obligation.status == ReturnStatus.OPEN
                and not line.obligation.overdue(today)
            ]
            if waiting:
                raise Conflict(
                    "waiting_for_return",
                    _("The claim waits for the old part to come back (due %(due)s).")
                    % {"due": min(line.obligation.due for line in waiting).isoformat()},  # type: ignore[union-attr]
                )
        claim.submitted_at = clock.now()
        apply(
            CLAIM_MACHINE,
            claim,
            "submit",
            event_model=ClaimEvent,
            subject_field="claim",
            actor=actor,
            extra_fields=["submitted_at"],
        )
        for line in lines:
            code = ""
            if late:
                code = CR.SUBMITTED_LATE
            elif (
                line.obligation is not None
                and line.obligation.status == ReturnStatus.OPEN
                and line.obligation.overdue(today)
            ):
                code = CR.PART_NOT_RETURNED
            if code:
                line.decision = ClaimDecision.REJECTED
                line.reason_code = code
                line.approved_amount = ZERO
                line.save(update_fields=["decision", "reason_code", "approved_amount"])
        _claim_close_if_done(claim, actor)
    return claim


def claim_line_decide(
    *,
    actor: Any,
    line_id: int,
    decision: str,
    amount: Any = None,
    reason_code: str = "",
    note: str = "",
) -> ClaimLine:
    """The manufacturer's decision on one line, as recorded: approved (the amount claimed),
    partly (an amount, with a reason), rejected or sent back (with a reason)."""
    _require_claims(actor)
    if decision not in ClaimDecision.values or decision == ClaimDecision.PENDING:
        raise ApplicationError("invalid_decision", _("Unknown decision."), status=422)
    if decision != ClaimDecision.APPROVED and reason_code not in ClaimReason.values:
        raise ApplicationError(
            "reason_required", _("Please give a reason for this step."), status=422
        )
    with transaction.atomic():
        claim_id = ClaimLine.objects.filter(pk=line_id).values_list("claim_id", flat=True).first()
        if claim_id is None:
            raise NotFound("not_found", _("Line not found."))
        claim = WarrantyClaim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or claim.company_id != actor.company_id:
            raise NotFound("not_found", _("Line not found."))
        if claim.status != ClaimStatus.SUBMITTED:
            raise Conflict("not_submitted", _("Only a submitted claim is decided."))
        line = claim.lines.get(pk=line_id)
        if decision == ClaimDecision.APPROVED:
            approved = line.amount
        elif decision == ClaimDecision.PARTLY:
            approved = _money(amount, "amount") if amount not in (None, "") else None
            if approved is None or not (ZERO <= approved <= line.amount):
                raise ApplicationError(
                    "invalid_amount",
                    _("Give an amount between zero and the amount claimed."),
                    status=422,
                )
        else:
            approved = ZERO
        line.decision = decision
        line.reason_code = "" if decision == ClaimDecision.APPROVED else reason_code
        line.note = (note or "").strip()
        line.approved_amount = approved
        line.save(update_fields=["decision", "reason_code", "note", "approved_amount"])
        record(
            ClaimEvent,
            subject_field="claim",
            subject=claim,
            actor=actor,
            action="decide_line",
            reason=line.note,
            payload={
                "line": line.pk,
                "decision": decision,
                "reason_code": reason_code,
                "amount": str(approved),
            },
        )
        _claim_close_if_done(claim, actor)
    return line


# -- settings ---------------------------------------------------------------------------------

SETTINGS_WHOLE = {
    "rollover_max_periods": (0, 12),
    "dispute_days": (1, 60),
    "answer_days": (1, 60),
    "claim_days": (1, 366),
    "night_start": (0, 23),
    "night_end": (0, 23),
}
SETTINGS_MONEY = ("rollover_threshold", "penalty_high", "penalty_medium", "penalty_low")
SETTINGS_CODES = ("voucher_type", "account_expense", "account_payable", "account_bank")


def _setting_money(raw: Any) -> Decimal | None:
    """An amount of the settings (yuan, 2 places, under a trillion), or None."""
    try:
        value = _money(raw, "amount")
        return value if abs(value) < 10**12 else None
    except (ApplicationError, ArithmeticError):
        return None


def billing_settings_save(*, actor: Any, changes: dict[str, Any]) -> Any:
    """Change the company's settlement settings (the fields given): deadlines, roll-over,
    complaint penalties, night hours, voucher accounts, and the bonus or deduction per
    assessment grade (`assessment_amounts`: {grade: yuan}, negative = deduction)."""
    require(actor, Perm.SETTLEMENT_MANAGE)
    errors = Errors()
    with transaction.atomic():
        cfg, _created = BillingSettings.objects.select_for_update().get_or_create(
            company_id=actor.company_id
        )
        before = {f.name: getattr(cfg, f.name) for f in cfg._meta.concrete_fields}
        set_whole_numbers(cfg, changes, SETTINGS_WHOLE, errors)
        for name in SETTINGS_MONEY:
            if name in changes:
                value = _setting_money(changes[name])
                if value is None:
                    errors.add(name, _("Amounts are in yuan with at most 2 decimal places."))
                    continue
                if value < 0:
                    errors.add(name, _("Values may not be negative."))
                else:
                    setattr(cfg, name, value)
        for name in SETTINGS_CODES:
            if name in changes:
                text = str(changes[name] or "").strip()
                field = BillingSettings._meta.get_field(name)
                limit = (field.max_length if isinstance(field, Field) else None) or 32
                if not text or len(text) > limit:
                    errors.add(name, _("Please fill in (at most %(n)d characters).") % {"n": limit})
                else:
                    setattr(cfg, name, text)
        if "assessment_amounts" in changes:
            amounts: dict[str, str] = {}
            for grade, raw in dict(changes["assessment_amounts"] or {}).items():
                grade = str(grade).strip()
                if not grade:
                    continue
                if len(grade) > 8:
                    errors.add("assessment_amounts", _("A grade has at most 8 characters."))
                    continue
                amount = _setting_money(raw)
                if amount is None:
                    errors.add(
                        "assessment_amounts",
                        _("Amounts are in yuan with at most 2 decimal places."),
                    )
                else:
                    amounts[grade] = str(amount)
            cfg.assessment_amounts = dict(sorted(amounts.items()))
        errors.raise_if_any()
        cfg.save()
        after = {f.name: getattr(cfg, f.name) for f in cfg._meta.concrete_fields}
        diff = {
            k: [str(before[k]), str(after[k])]
            for k in after
            if before[k] != after[k] and k not in ("id",)
        }
        audit_record(actor=actor, action="billing_settings.save", obj=cfg, changes=diff)
    return cfg
