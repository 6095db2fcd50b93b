"""Statuses and kinds of settlement: statements, their lines, disputes, the station account."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.transitions import Machine


class FeeKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    TRAVEL = "travel", _("Mileage")
    REMOTE = "remote", _("Remote-area allowance")
    HANDLING = "handling", _("Parts handling")
    NIGHT = "night", _("Night surcharge")
    HOLIDAY = "holiday", _("Holiday surcharge")
    URGENT = "urgent", _("Urgent surcharge")
    CAP = "cap", _("Cap")


class TravelPer(models.TextChoices):
    VISIT = "visit", _("Once per visit")
    HOUSEHOLD = "household", _("Once per household and day")


class PayoutMode(models.TextChoices):
    # 付款: paid to the station's bank account.
    PAY = "pay", _("Paid to the station")
    # 挂账: credited to the station's account with the company.
    CREDIT = "credit", _("Credited to the station's account")


class StatementStatus(models.TextChoices):
    # 已生成: generated from the period's orders; may be regenerated until sent.
    GENERATED = "generated", _("Generated")
    # 已发送: sent to the station for reconciliation (对账).
    SENT = "sent", _("Sent to the station")
    # 已确认: the station confirmed every line.
    CONFIRMED = "confirmed", _("Confirmed by the station")
    # 有争议: the station disputed one or more lines.
    DISPUTED = "disputed", _("Disputed")
    # 争议已答复: every disputed line answered.
    ANSWERED = "answered", _("Disputes answered")
    # 已审批: approved by finance.
    APPROVED = "approved", _("Approved")
    # 已付款: paid to the station.
    PAID = "paid", pgettext_lazy("statement", "Paid")
    # 已挂账: credited to the station's account.
    CREDITED = "credited", _("Credited")
    # 结转: the amount was under the threshold and carried to the next period.
    ROLLED_OVER = "rolled_over", _("Carried to the next period")


S = StatementStatus

STATEMENT_MACHINE = Machine(
    name="statement",
    statuses=dict(StatementStatus.choices),
    table={
        "regenerate": (frozenset({S.GENERATED}), S.GENERATED),
        "send": (frozenset({S.GENERATED}), S.SENT),
        "confirm": (frozenset({S.SENT}), S.CONFIRMED),
        "dispute": (frozenset({S.SENT}), S.DISPUTED),
        "answer": (frozenset({S.DISPUTED}), S.ANSWERED),
        # From sent only when the station let the reconciliation deadline pass.
        "approve": (frozenset({S.SENT, S.CONFIRMED, S.ANSWERED}), S.APPROVED),
        "pay": (frozenset({S.APPROVED}), S.PAID),
        "credit": (frozenset({S.APPROVED}), S.CREDITED),
        "roll_over": (frozenset({S.SENT, S.CONFIRMED, S.ANSWERED}), S.ROLLED_OVER),
    },
    needs_reason=frozenset({"dispute"}),
    labels={
        "regenerate": _("Regenerate"),
        "send": _("Send to the station"),
        "confirm": _("Confirm all lines"),
        "dispute": _("Dispute"),
        "answer": _("Answer disputes"),
        "approve": _("Approve"),
        "pay": _("Pay"),
        "credit": _("Credit to the account"),
        "roll_over": _("Carry to the next period"),
    },
)
STATEMENT_FINAL = frozenset({S.PAID, S.CREDITED, S.ROLLED_OVER})


class LineKind(models.TextChoices):
    FEE = "fee", _("Order fee")
    CHARGEBACK = "chargeback", _("Old-part chargeback")
    COMPLAINT = "complaint", _("Complaint penalty")
    ASSESSMENT_DEDUCTION = "assessment_deduction", _("Assessment deduction")
    ASSESSMENT_BONUS = "assessment_bonus", _("Assessment bonus")
    LATE_CHANGE = "late_change", _("Late change of an earlier period")
    ROLLOVER = "rollover", _("Carried from the previous period")
    MANUAL = "manual", _("Manual adjustment")


# Lines that come from somewhere else than the order's fees (adjustment lines).
ADJUSTMENTS = frozenset(k for k in LineKind.values if k != LineKind.FEE)
# Kinds a person may enter by hand (with a reason). Assessment lines come from the approved
# assessment run of the period (kpi.selectors.approved_results), never by hand.
MANUAL_KINDS = frozenset({LineKind.MANUAL})


class LineStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed")
    ACCEPTED = "accepted", _("Dispute accepted")
    REJECTED = "rejected", _("Dispute rejected")
    PARTLY = "partly", _("Partly accepted")


class DisputeAnswer(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    PARTLY = "partly", _("Partly accepted")


class LedgerKind(models.TextChoices):
    PAYOUT = "payout", _("Statement paid")
    CREDIT = "credit", _("Statement credited")


class RefundStatus(models.TextChoices):
    # 待审批: asked for, waiting for finance.
    REQUESTED = "requested", _("Requested")
    # 已批准: approved; the money goes back to the customer.
    APPROVED = "approved", _("Approved")
    # 已驳回: refused with a reason.
    REJECTED = "rejected", _("Rejected")


R = RefundStatus

REFUND_MACHINE = Machine(
    name="refund",
    statuses=dict(RefundStatus.choices),
    table={
        "approve": (frozenset({R.REQUESTED}), R.APPROVED),
        "reject": (frozenset({R.REQUESTED}), R.REJECTED),
    },
    needs_reason=frozenset({"reject"}),
    labels={"approve": _("Approve the refund"), "reject": _("Reject the refund")},
)


class ClaimStatus(models.TextChoices):
    # 待提交: drafted from the warranty order; waits for the old parts to come back.
    OPEN = "open", _("Open")
    # 已提交: sent to the manufacturer or supplier.
    SUBMITTED = "submitted", pgettext_lazy("claim", "Submitted")
    # 已裁定: every line decided.
    DECIDED = "decided", _("Decided")


C = ClaimStatus

CLAIM_MACHINE = Machine(
    name="claim",
    statuses=dict(ClaimStatus.choices),
    table={
        "submit": (frozenset({C.OPEN}), C.SUBMITTED),
        "decide": (frozenset({C.SUBMITTED}), C.DECIDED),
    },
    labels={"submit": _("Submit the claim"), "decide": _("Decided")},
)


class ClaimLineKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    TRAVEL = "travel", _("Mileage")
    PART = "part", _("Part")
    OTHER = "other", _("Other fee")


class ClaimDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PARTLY = "partly", _("Partly approved")
    SENT_BACK = "sent_back", _("Sent back for correction")


class ClaimReason(models.TextChoices):
    EXCESSIVE_LABOUR = "excessive_labour", _("Excessive labour hours or rate")
    PART_COST = "part_cost", _("Part cost too high")
    PART_NOT_RETURNED = "part_not_returned", _("Old part not returned in time")
    SUBMITTED_LATE = "submitted_late", _("Submitted too late")
    DUPLICATE = "duplicate", _("Duplicate claim")
