"""Workshop jobs (送修 / 寄修): statuses, the transition table, and the other choices.

`MACHINE` is the state machine on the shared kernel (`core/transitions.py`): each verb names
the statuses it may start from and the status it leads to. The actions in `actions.py` take
each verb and move the job's service order alongside (see docs/workshop.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.transitions import Machine


class JobStatus(models.TextChoices):
    # 待寄达: a mail-in request; the customer has not sent the unit yet (or it is on its way).
    AWAITING_UNIT = "awaiting_unit", _("Awaiting the unit")
    # 已接收: the unit is at the workshop (counter, courier or taken back from a visit).
    RECEIVED = "received", _("Unit received")
    # 检测中: on the bench, being diagnosed.
    DIAGNOSING = "diagnosing", _("Bench diagnosis")
    # 待确认报价: paid work; the quote waits for the customer's acceptance.
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting quote acceptance")
    # 待维修: the quote is accepted or the warranty confirmed; the repair may start.
    APPROVED = "approved", _("Approved for repair")
    # 待料: waiting for parts; the order's service-level clock is paused.
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    # 维修中: being repaired.
    IN_REPAIR = "in_repair", _("In repair")
    # 质检: the repair is done and waits for the quality check.
    QUALITY_CHECK = "quality_check", _("Quality check")
    # 待取件/待寄回: repaired (or returned unrepaired) and waiting for pickup or shipping.
    READY = "ready", _("Ready to return")
    # 已寄回: shipped back to the customer; waiting for the delivery.
    SHIPPED_BACK = "shipped_back", _("Shipped back")
    # 已取件: the customer picked the unit up at the counter.
    HANDED_OVER = "handed_over", _("Handed over")
    # 已签收: the shipment back was delivered.
    DELIVERED = "delivered", _("Delivered")
    # 已取消: a mail-in request whose unit never came.
    CANCELLED = "cancelled", _("Cancelled")


J = JobStatus

# Statuses in which the unit is in the workshop's hands (the board's columns).
AT_WORKSHOP = frozenset(
    {
        J.RECEIVED,
        J.DIAGNOSING,
        J.AWAITING_APPROVAL,
        J.APPROVED,
        J.WAITING_PARTS,
        J.IN_REPAIR,
        J.QUALITY_CHECK,
        J.READY,
    }
)
OPEN_JOB = AT_WORKSHOP | {J.AWAITING_UNIT, J.SHIPPED_BACK}
DONE = frozenset({J.HANDED_OVER, J.DELIVERED, J.CANCELLED})

MACHINE = Machine(
    name="workshop_job",
    statuses=dict(JobStatus.choices),
    table={
        # A mail-in unit arrives at the workshop (counter and visit jobs start as received).
        "receive": (frozenset({J.AWAITING_UNIT}), J.RECEIVED),
        "diagnose": (frozenset({J.RECEIVED}), J.DIAGNOSING),
        "quote": (frozenset({J.DIAGNOSING}), J.AWAITING_APPROVAL),
        "accept_quote": (frozenset({J.AWAITING_APPROVAL}), J.APPROVED),
        "confirm_warranty": (frozenset({J.DIAGNOSING}), J.APPROVED),
        # The customer declines the quote: the unit goes back unrepaired.
        "decline_quote": (frozenset({J.AWAITING_APPROVAL}), J.READY),
        "wait_parts": (frozenset({J.APPROVED, J.IN_REPAIR}), J.WAITING_PARTS),
        "parts_arrived": (frozenset({J.WAITING_PARTS}), J.IN_REPAIR),
        "start_repair": (frozenset({J.APPROVED}), J.IN_REPAIR),
        "finish_repair": (frozenset({J.IN_REPAIR}), J.QUALITY_CHECK),
        "qc_pass": (frozenset({J.QUALITY_CHECK}), J.READY),
        "qc_fail": (frozenset({J.QUALITY_CHECK}), J.IN_REPAIR),
        "hand_over": (frozenset({J.READY}), J.HANDED_OVER),
        "ship_back": (frozenset({J.READY}), J.SHIPPED_BACK),
        "deliver": (frozenset({J.SHIPPED_BACK}), J.DELIVERED),
        "cancel": (frozenset({J.AWAITING_UNIT}), J.CANCELLED),
    },
    needs_reason=frozenset({"decline_quote", "wait_parts", "qc_fail", "cancel"}),
    labels={
        "receive": _("Receive the unit"),
        "diagnose": _("Start diagnosis"),
        "quote": _("Send the quote"),
        "accept_quote": _("Quote accepted"),
        "confirm_warranty": _("Warranty confirmed"),
        "decline_quote": _("Quote declined"),
        "wait_parts": _("Wait for parts"),
        "parts_arrived": _("Parts arrived"),
        "start_repair": _("Start repair"),
        "finish_repair": _("Repair done"),
        "qc_pass": _("Quality check passed"),
        "qc_fail": _("Quality check failed"),
        "hand_over": _("Hand over"),
        "ship_back": _("Ship back"),
        "deliver": _("Delivered"),
        "cancel": _("Cancel"),
    },
)

# Verbs of the bench (the technician's page); the counter verbs are intake and handover.
BENCH_VERBS = (
    "diagnose",
    "confirm_warranty",
    "wait_parts",
    "parts_arrived",
    "start_repair",
    "finish_repair",
    "qc_pass",
    "qc_fail",
)


class Route(models.TextChoices):
    # 送修: brought to the counter by the customer.
    COUNTER = "counter", _("Walk-in counter")
    # 寄修: sent by courier.
    COURIER = "courier", _("Mail-in")
    # 带回: taken back from a visit by the technician.
    VISIT = "visit", _("Taken back from a visit")


class ReturnMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup at the counter")
    SHIP = "ship", _("Ship back")


class Outcome(models.TextChoices):
    REPAIRED = "repaired", _("Repaired")
    UNREPAIRED = "unrepaired", _("Returned unrepaired")


class TicketStatus(models.TextChoices):
    # 等候: took a number, waiting to be called.
    WAITING = "waiting", _("Waiting")
    # 已叫号: called to a desk.
    CALLED = "called", _("Called")
    # 已办理: served at the desk.
    SERVED = "served", _("Served")
    # 过号: called and did not come.
    SKIPPED = "skipped", _("Skipped")


class TicketPurpose(models.TextChoices):
    DROP_OFF = "drop_off", _("Hand in a unit")
    PICKUP = "pickup", _("Pick up a unit")
    ENQUIRY = "enquiry", _("Enquiry")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("To the workshop")
    OUTBOUND = "outbound", _("Back to the customer")


class LoanerStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LENT = "lent", _("Lent")
    RETIRED = "retired", _("Retired")
