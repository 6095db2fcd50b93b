"""Settlement over the API (fee rules and preview, station statements, reconciliation,
approval and payment, the station account) and customer money (account, outstanding,
refunds, invoices): the same actions and selectors as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Station
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.api.types import PageParams, known_filter, page_of
from aftersales.billing import actions, customers, selectors
from aftersales.billing.choices import ClaimStatus, RefundStatus
from aftersales.billing.models import FeeRule
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import customers_visible_to
from aftersales.orders.selectors import orders_visible_to

router = Router(tags=["settlement"])


class FeeRuleIn(Schema):
    code: str
    name: str
    kind: str
    valid_from: dt.date
    criteria: dict[str, str] = {}
    params: dict[str, Any] = {}


class FeeRuleOut(Schema):
    id: int
    code: str
    version: int
    name: str
    kind: str
    valid_from: dt.date
    criteria: dict[str, str]
    params: dict[str, Any]


def _rule(r: FeeRule) -> dict[str, Any]:
    crit = (
        "service_type",
        "category",
        "product_model",
        "fault_code",
        "repair_level",
        "station_grade",
        "region",
    )
    params = {}
    for name in (
        "amount",
        "hours",
        "rate",
        "free_km",
        "per_km",
        "min_km",
        "percent",
        "bands",
        "per",
    ):
        value = getattr(r, name)
        if value not in (None, "", [], Decimal(0)):
            params[name] = str(value) if isinstance(value, Decimal) else value
    return {
        "id": r.pk,
        "code": r.code,
        "version": r.version,
        "name": r.name,
        "kind": r.kind,
        "valid_from": r.valid_from,
        "criteria": {c: getattr(r, c) for c in crit if getattr(r, c)},
        "params": params,
    }


@router.get("/settlement/fee-rules", response={200: list[FeeRuleOut], **ERRORS})
def fee_rule_list(request: AuthedRequest) -> Any:
    require(request.user, Perm.SETTLEMENT_VIEW)
    user = request.user
    return [_rule(r) for r in FeeRule.objects.filter(company_id=company_of(user))]


@router.post("/settlement/fee-rules", response={201: FeeRuleOut, **ERRORS})
def fee_rule_create(request: AuthedRequest, payload: FeeRuleIn) -> Any:
    rule = actions.fee_rule_create(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        valid_from=payload.valid_from,
        criteria=payload.criteria,
        params=payload.params,
    )
    return Status(201, _rule(rule))


class PricedLineOut(Schema):
    kind: str
    amount: Decimal
    formula: str
    rule_id: int
    rule_version: int


class PreviewOut(Schema):
    order_id: int
    facts: dict[str, Any]
    lines: list[PricedLineOut]
    total: Decimal
    explain: list[dict[str, Any]]


@router.get("/settlement/preview/{order_id}", response={200: PreviewOut, **ERRORS})
def fee_preview(request: AuthedRequest, order_id: int) -> Any:
    """How the order is priced for its station, and which rule won each kind of fee."""
    require(request.user, Perm.SETTLEMENT_VIEW)
    out = selectors.preview(request.user, order_id)
    return {
        "order_id": out["order"].pk,
        "facts": out["facts"],
        "lines": [vars(line) for line in out["lines"]],
        "total": out["total"],
        "explain": out["explain"],
    }


class LineOut(Schema):
    id: int
    position: int
    kind: str
    fee_kind: str
    order_id: int | None
    amount: Decimal
    formula: str
    rule_id: int | None
    rule_version: int | None
    reason: str
    status: str
    dispute_reason: str
    claimed_amount: Decimal | None
    answer_reason: str
    final_amount: Decimal


class StatementOut(Schema):
    id: int
    number: str
    station_id: int
    period: dt.date
    status: str
    total: Decimal
    digest: str
    dispute_due: dt.datetime | None
    lines: list[LineOut] | None = None


def _statement(s: Any, with_lines: bool = False) -> dict[str, Any]:
    out = {
        "id": s.pk,
        "number": s.number,
        "station_id": s.station_id,
        "period": s.period,
        "status": s.status,
        "total": s.total,
        "digest": s.digest,
        "dispute_due": s.dispute_due,
    }
    if with_lines:
        out["lines"] = list(s.lines.order_by("position").values(*LineOut.model_fields))
    return out


@router.get("/settlement/statements", response={200: list[StatementOut], **ERRORS})
def statement_list(request: AuthedRequest, period: dt.date | None = None) -> Any:
    require(request.user, Perm.SETTLEMENT_VIEW)
    qs = selectors.statements_visible_to(request.user)
    if period:
        qs = qs.filter(period=actions.period_start(period))
    return [_statement(s) for s in qs[:1000]]


class GenerateIn(Schema):
    period: dt.date
    station_id: int | None = None


@router.post("/settlement/statements/generate", response={200: list[StatementOut], **ERRORS})
def statement_generate(request: AuthedRequest, payload: GenerateIn) -> Any:
    user = request.user
    if payload.station_id is not None:
        station = get_visible(
            Station.objects.filter(company_id=company_of(user)), payload.station_id
        )
        return [
            _statement(
                actions.statement_generate(actor=user, station=station, period=payload.period)
            )
        ]
    return [_statement(s) for s in actions.statements_generate(actor=user, period=payload.period)]


@router.get("/settlement/statements/{statement_id}", response={200: StatementOut, **ERRORS})
def statement_detail(request: AuthedRequest, statement_id: int) -> Any:
    require(request.user, Perm.SETTLEMENT_VIEW)
    return _statement(selectors.statement_for(request.user, statement_id), with_lines=True)


@router.post("/settlement/statements/{statement_id}/send", response={200: StatementOut, **ERRORS})
def statement_send(request: AuthedRequest, statement_id: int) -> Any:
    """Finance sends the statement to the station."""
    st = actions.statement_send(actor=request.user, statement_id=statement_id)
    return _statement(st, with_lines=True)


@router.post(
    "/settlement/statements/{statement_id}/confirm", response={200: StatementOut, **ERRORS}
)
def statement_confirm(request: AuthedRequest, statement_id: int) -> Any:
    """The station confirms every line."""
    st = actions.statement_confirm(actor=request.user, statement_id=statement_id)
    return _statement(st, with_lines=True)


@router.post(
    "/settlement/statements/{statement_id}/approve", response={200: StatementOut, **ERRORS}
)
def statement_approve(request: AuthedRequest, statement_id: int) -> Any:
    """Finance approves (idempotent); a small total is carried to the next period."""
    st = actions.statement_approve(actor=request.user, statement_id=statement_id)
    return _statement(st, with_lines=True)


class DisputeLineIn(Schema):
    line_id: int
    reason: str
    claimed_amount: Decimal | None = None


class DisputeIn(Schema):
    lines: list[DisputeLineIn]


@router.post(
    "/settlement/statements/{statement_id}/disputes", response={200: StatementOut, **ERRORS}
)
def statement_dispute(request: AuthedRequest, statement_id: int, payload: DisputeIn) -> Any:
    selectors.statement_for(request.user, statement_id)
    st = actions.statement_dispute(
        actor=request.user,
        statement_id=statement_id,
        disputes=[
            actions.LineDispute(d.line_id, d.reason, d.claimed_amount) for d in payload.lines
        ],
    )
    return _statement(st, with_lines=True)


class BillingAnswerIn(Schema):
    answer: str
    amount: Decimal | None = None
    reason: str = ""


@router.post("/settlement/lines/{line_id}/answer", response={200: LineOut, **ERRORS})
def line_answer(request: AuthedRequest, line_id: int, payload: BillingAnswerIn) -> Any:
    line = actions.statement_dispute_answer(
        actor=request.user,
        line_id=line_id,
        answer=payload.answer,
        amount=payload.amount,
        reason=payload.reason,
    )
    return {f: getattr(line, f) for f in LineOut.model_fields}


class ManualLineIn(Schema):
    kind: str
    amount: Decimal
    reason: str
    order_id: int | None = None


@router.post("/settlement/statements/{statement_id}/lines", response={201: LineOut, **ERRORS})
def line_add(request: AuthedRequest, statement_id: int, payload: ManualLineIn) -> Any:
    """A manual line: assessment deduction or bonus (no automatic source yet), or a manual
    adjustment, with its reason."""
    line = actions.statement_line_add(
        actor=request.user,
        statement_id=statement_id,
        kind=payload.kind,
        amount=payload.amount,
        reason=payload.reason,
        order_id=payload.order_id,
    )
    return Status(201, {f: getattr(line, f) for f in LineOut.model_fields})


class PayIn(Schema):
    reference: str = ""


class PayoutOut(Schema):
    id: int
    statement_id: int
    mode: str
    amount: Decimal
    reference: str
    at: dt.datetime


@router.post("/settlement/statements/{statement_id}/pay", response={200: PayoutOut, **ERRORS})
def statement_pay(request: AuthedRequest, statement_id: int, payload: PayIn) -> Any:
    """Pay or credit an approved statement. Idempotent: a repeated call returns the payout."""
    p = actions.statement_pay(
        actor=request.user, statement_id=statement_id, reference=payload.reference
    )
    return {
        "id": p.pk,
        "statement_id": p.statement_id,
        "mode": p.mode,
        "amount": p.amount,
        "reference": p.reference,
        "at": p.at,
    }


class AccountOut(Schema):
    station_id: int
    balance: Decimal
    entries: list[dict[str, Any]]


@router.get("/settlement/stations/{station_id}/account", response={200: AccountOut, **ERRORS})
def station_account(request: AuthedRequest, station_id: int) -> Any:
    require(request.user, Perm.SETTLEMENT_VIEW)
    entries = selectors.account_entries(request.user, station_id)
    rows = list(entries.values("id", "kind", "amount", "statement_id", "memo", "at"))
    return {
        "station_id": station_id,
        "balance": sum((r["amount"] for r in rows), Decimal("0.00")),
        "entries": [{**r, "amount": str(r["amount"]), "at": r["at"].isoformat()} for r in rows],
    }


# -- customer money -------------------------------------------------------------------------


class CustomerAccountOut(Schema):
    customer_id: int
    charged: Decimal
    paid: Decimal
    refunded: Decimal
    balance: Decimal
    orders: list[dict[str, Any]]
    invoices: list[dict[str, Any]]


@router.get(
    "/billing/customers/{customer_id}/account", response={200: CustomerAccountOut, **ERRORS}
)
def customer_account(request: AuthedRequest, customer_id: int) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    customer = get_visible(customers_visible_to(request.user), customer_id)
    acc = customers.customer_account(customer, orders_visible_to(request.user))
    return {
        "customer_id": customer.pk,
        "charged": acc.charged,
        "paid": acc.paid,
        "refunded": acc.refunded,
        "balance": acc.balance,
        "orders": [
            {
                "order_id": r.order.pk,
                "number": r.order.number,
                "charged": str(r.charged),
                "free_reason": r.free_reason,
                "lines": [
                    {**line, **{k: str(line[k]) for k in ("quantity", "unit_price", "amount")}}
                    for line in r.lines
                ],
            }
            for r in acc.orders
        ],
        "invoices": [
            {
                "number": i.number,
                "title": i.title,
                "tax_number": i.tax_number,
                "amount": str(i.amount),
                "issued_on": i.issued_on.isoformat(),
            }
            for i in acc.invoices
        ],
    }


class OutstandingOut(Schema):
    order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    amount: Decimal
    since: dt.datetime


@router.get("/billing/outstanding", response={200: list[OutstandingOut], **ERRORS})
def outstanding(request: AuthedRequest) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    return [
        {
            "order_id": r["order"].pk,
            "order_number": r["order"].number,
            "customer_id": r["customer"].pk,
            "customer_name": r["customer"].name,
            "amount": r["amount"],
            "since": r["since"],
        }
        for r in customers.outstanding(orders_visible_to(request.user))
    ]


class RefundIn(Schema):
    amount: Decimal
    reason: str


class RefundOut(Schema):
    id: int
    receipt_id: int
    amount: Decimal
    status: str
    reason: str


def _refund(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "receipt_id": r.receipt_id,
        "amount": r.amount,
        "status": r.status,
        "reason": r.reason,
    }


@router.post("/billing/receipts/{receipt_id}/refunds", response={201: RefundOut, **ERRORS})
def refund_request(request: AuthedRequest, receipt_id: int, payload: RefundIn) -> Any:
    r = actions.refund_request(
        actor=request.user, receipt_id=receipt_id, amount=payload.amount, reason=payload.reason
    )
    return Status(201, _refund(r))


class DecideIn(Schema):
    approve: bool
    reason: str = ""


@router.post("/billing/refunds/{refund_id}/decide", response={200: RefundOut, **ERRORS})
def refund_decide(request: AuthedRequest, refund_id: int, payload: DecideIn) -> Any:
    r = actions.refund_decide(
        actor=request.user, refund_id=refund_id, approve=payload.approve, reason=payload.reason
    )
    return _refund(r)


class InvoiceIn(Schema):
    order_id: int
    title: str
    tax_number: str = ""
    amount: Decimal
    number: str
    issued_on: dt.date
    receipt_id: int | None = None


@router.post("/billing/invoices", response={201: dict[str, Any], **ERRORS})
def invoice_record(request: AuthedRequest, payload: InvoiceIn) -> Any:
    inv = actions.invoice_record(actor=request.user, **payload.dict())
    return Status(201, {"id": inv.pk, "number": inv.number, "amount": str(inv.amount)})


# -- warranty claims ------------------------------------------------------------------------


class ClaimLineOut(Schema):
    id: int
    kind: str
    description: str
    amount: Decimal
    formula: str
    decision: str
    reason_code: str
    approved_amount: Decimal


class ClaimOut(Schema):
    id: int
    number: str
    order_id: int
    status: str
    claimed: Decimal
    approved: Decimal
    lines: list[ClaimLineOut]


def _claim(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "number": c.number,
        "order_id": c.order_id,
        "status": c.status,
        "claimed": c.claimed,
        "approved": c.approved,
        "lines": list(c.lines.order_by("id").values(*ClaimLineOut.model_fields)),
    }


class ClaimIn(Schema):
    order_id: int


@router.post("/billing/claims", response={201: ClaimOut, **ERRORS})
def claim_create(request: AuthedRequest, payload: ClaimIn) -> Any:
    """Draft the warranty claim of a completed 三包 order (one per order)."""
    return Status(201, _claim(actions.claim_create(actor=request.user, order_id=payload.order_id)))


@router.post("/billing/claims/{claim_id}/submit", response={200: ClaimOut, **ERRORS})
def claim_submit(request: AuthedRequest, claim_id: int) -> Any:
    """409 `waiting_for_return` while an old part is still due back."""
    return _claim(actions.claim_submit(actor=request.user, claim_id=claim_id))


class ClaimDecisionIn(Schema):
    decision: str
    amount: Decimal | None = None
    reason_code: str = ""
    note: str = ""


@router.post("/billing/claim-lines/{line_id}/decision", response={200: ClaimOut, **ERRORS})
def claim_line_decide(request: AuthedRequest, line_id: int, payload: ClaimDecisionIn) -> Any:
    line = actions.claim_line_decide(
        actor=request.user,
        line_id=line_id,
        decision=payload.decision,
        amount=payload.amount,
        reason_code=payload.reason_code,
        note=payload.note,
    )
    return _claim(line.claim)


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_after: int | None


@router.get("/billing/claims", response={200: ClaimPage, **ERRORS})
def claim_list(request: AuthedRequest, params: Query[PageParams], status: str = "") -> Any:
    """Warranty claims (a station's people: their own), newest first; pass `after` = the
    previous page's `next_after` for the next page."""
    require(request.user, Perm.SETTLEMENT_VIEW)
    known_filter("status", status, ["", *ClaimStatus.values])
    qs = selectors.claims_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    return page_of(qs.prefetch_related("lines"), params, _claim)


@router.get("/billing/claims/{claim_id}", response={200: ClaimOut, **ERRORS})
def claim_detail(request: AuthedRequest, claim_id: int) -> Any:
    require(request.user, Perm.SETTLEMENT_VIEW)
    return _claim(get_visible(selectors.claims_visible_to(request.user), claim_id))


class RefundListOut(RefundOut):
    order_id: int
    customer_id: int
    requested_at: dt.datetime


class RefundPage(Schema):
    items: list[RefundListOut]
    next_after: int | None


def _refund_listed(r: Any) -> dict[str, Any]:
    return {
        **_refund(r),
        "order_id": r.order_id,
        "customer_id": r.customer_id,
        "requested_at": r.requested_at,
    }


@router.get("/billing/refunds", response={200: RefundPage, **ERRORS})
def refund_list(request: AuthedRequest, params: Query[PageParams], status: str = "") -> Any:
    """Refunds of the orders the caller sees, newest first; pass `after` = the previous page's
    `next_after` for the next page."""
    require(request.user, Perm.ORDER_VIEW)
    known_filter("status", status, ["", *RefundStatus.values])
    qs = selectors.refunds_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    return page_of(qs, params, _refund_listed)


class InvoiceRecordOut(Schema):
    id: int
    number: str
    issued_on: dt.date
    title: str
    tax_number: str
    amount: Decimal
    order_id: int
    customer_id: int
    receipt_id: int | None


class InvoicePage(Schema):
    items: list[InvoiceRecordOut]
    next_after: int | None


@router.get("/billing/invoices", response={200: InvoicePage, **ERRORS})
def invoice_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    """Invoice records of the orders the caller sees, newest recorded first; pass `after` = the
    previous page's `next_after` for the next page."""
    require(request.user, Perm.SETTLEMENT_VIEW)
    return page_of(selectors.invoices_visible_to(request.user), params)


# -- station grades and settings ------------------------------------------------------------


class StationTermsOut(Schema):
    station_id: int
    station_code: str
    grade: str
    payout_mode: str
    balance: Decimal


class StationTermsIn(Schema):
    grade: str = ""
    payout_mode: str = "pay"


def _terms(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "station_id": row["station"].pk,
        "station_code": row["station"].code,
        "grade": row["grade"],
        "payout_mode": row["payout_mode"],
        "balance": row["balance"],
    }


@router.get("/settlement/station-terms", response={200: list[StationTermsOut], **ERRORS})
def station_terms_list(request: AuthedRequest) -> Any:
    """Each station's grade, payout mode and account balance."""
    require(request.user, Perm.SETTLEMENT_VIEW)
    return [_terms(r) for r in selectors.station_terms_rows(request.user)]


@router.put("/settlement/station-terms/{station_id}", response={200: StationTermsOut, **ERRORS})
def station_terms_set(request: AuthedRequest, station_id: int, payload: StationTermsIn) -> Any:
    user = request.user
    station = get_visible(Station.objects.filter(company_id=company_of(user)), station_id)
    actions.station_terms_set(
        actor=user, station=station, grade=payload.grade[:16], payout_mode=payload.payout_mode
    )
    rows = [r for r in selectors.station_terms_rows(user) if r["station"].pk == station.pk]
    return _terms(rows[0])


class SettlementSettingsOut(Schema):
    dispute_days: int
    answer_days: int
    claim_days: int
    rollover_threshold: Decimal
    rollover_max_periods: int
    penalty_high: Decimal
    penalty_medium: Decimal
    penalty_low: Decimal
    night_start: int
    night_end: int
    voucher_type: str
    account_expense: str
    account_payable: str
    account_bank: str
    assessment_amounts: dict[str, str]


class SettlementSettingsIn(Schema):
    dispute_days: int | None = None
    answer_days: int | None = None
    claim_days: int | None = None
    rollover_threshold: Decimal | None = None
    rollover_max_periods: int | None = None
    penalty_high: Decimal | None = None
    penalty_medium: Decimal | None = None
    penalty_low: Decimal | None = None
    night_start: int | None = None
    night_end: int | None = None
    voucher_type: str | None = None
    account_expense: str | None = None
    account_payable: str | None = None
    account_bank: str | None = None
    assessment_amounts: dict[str, str] | None = None


def _settings(cfg: Any) -> dict[str, Any]:
    return {name: getattr(cfg, name) for name in SettlementSettingsOut.model_fields}


@router.get("/settlement/settings", response={200: SettlementSettingsOut, **ERRORS})
def settings_get(request: AuthedRequest) -> Any:
    require(request.user, Perm.SETTLEMENT_MANAGE)
    return _settings(selectors.billing_settings(company_of(request.user)))


@router.put("/settlement/settings", response={200: SettlementSettingsOut, **ERRORS})
def settings_put(request: AuthedRequest, payload: SettlementSettingsIn) -> Any:
    """Change the fields given; `assessment_amounts` ({grade: yuan}, negative = deduction)
    replaces the whole table."""
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    return _settings(actions.billing_settings_save(actor=request.user, changes=changes))
