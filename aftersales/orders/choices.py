"""Service-order statuses, the transition table, and the other choices of an order.

The table `TRANSITIONS` is the state machine: each action names the statuses it may start from
and the status it leads to. `ServiceOrder.can()` reads it; the actions enforce it.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.transitions import Machine


class Status(models.TextChoices):
    # 已登记: taken by an agent (or the portal/API), not yet checked.
    REGISTERED = "registered", _("Registered")
    # 重新打开: a new order opened because the original's fault came back; treated like
    # registered and linked to the original.
    REOPENED = "reopened", _("Reopened")
    # 已分诊: checked by an agent or dispatcher (unit, warranty, priority confirmed).
    TRIAGED = "triaged", _("Triaged")
    # 已派站: handed to a service station (服务网点), no technician yet.
    DISPATCHED = "dispatched", _("Dispatched")
    # 已派工: a technician is assigned and must accept.
    ASSIGNED = "assigned", _("Assigned")
    # 已接单: the technician accepted; this is the first response to the customer.
    ACCEPTED = "accepted", _("Accepted")
    # 在途: the technician is on the way.
    EN_ROUTE = "en_route", _("En route")
    # 到场: the technician checked in at the customer's site (arrival).
    ON_SITE = "on_site", _("On site")
    # 待料: waiting for parts; the service-level clock is paused.
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    # 待客户: waiting for the customer (absent, asked to postpone); the clock is paused.
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    # 已完工: the work is done (resolution).
    COMPLETED = "completed", _("Completed")
    # 已回访: the follow-up call (回访) is recorded.
    FOLLOWED_UP = "followed_up", _("Followed up")
    # 已关闭: finished; nothing more happens except a reopen within the window.
    CLOSED = "closed", _("Closed")
    # 已取消: cancelled with a reason before completion.
    CANCELLED = "cancelled", _("Cancelled")


# Members as plain strings for the tables below (the type checker has no Django plugin).
S = Status

# Statuses in which the service-level clock is stopped.
PAUSED = frozenset({S.WAITING_PARTS, S.WAITING_CUSTOMER})
# Statuses before completion: the order is still being worked.
OPEN = frozenset(
    {
        S.REGISTERED,
        S.REOPENED,
        S.TRIAGED,
        S.DISPATCHED,
        S.ASSIGNED,
        S.ACCEPTED,
        S.EN_ROUTE,
        S.ON_SITE,
        S.WAITING_PARTS,
        S.WAITING_CUSTOMER,
    }
)
# Statuses from which a pause may start and to which a resume may return.
PAUSABLE = frozenset({S.TRIAGED, S.DISPATCHED, S.ASSIGNED, S.ACCEPTED, S.EN_ROUTE, S.ON_SITE})
# Statuses from which a reopen is possible (within the configured window).
REOPENABLE = frozenset({S.COMPLETED, S.FOLLOWED_UP, S.CLOSED})
FINAL = frozenset({S.CLOSED, S.CANCELLED})

# action -> (statuses it may start from, status it leads to); None: back to the status the
# order had before the pause.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "triage": (frozenset({S.REGISTERED, S.REOPENED}), S.TRIAGED),
    "dispatch": (frozenset({S.REGISTERED, S.REOPENED, S.TRIAGED}), S.DISPATCHED),
    "redispatch": (frozenset({S.DISPATCHED}), S.DISPATCHED),
    "assign": (frozenset({S.DISPATCHED}), S.ASSIGNED),
    "unassign": (frozenset({S.ASSIGNED, S.ACCEPTED}), S.DISPATCHED),
    "accept": (frozenset({S.ASSIGNED}), S.ACCEPTED),
    # The technician turns the assignment down (with a reason): back to dispatch.
    "decline": (frozenset({S.ASSIGNED, S.ACCEPTED}), S.DISPATCHED),
    # The technician cannot keep the appointment (≥ 8 hours' notice, or flagged late).
    "cannot_keep": (frozenset({S.ASSIGNED, S.ACCEPTED, S.EN_ROUTE}), S.DISPATCHED),
    "depart": (frozenset({S.ACCEPTED}), S.EN_ROUTE),
    "arrive": (frozenset({S.EN_ROUTE}), S.ON_SITE),
    "complete": (frozenset({S.ON_SITE}), S.COMPLETED),
    # Customer absent past the wait and unreachable: no-show recorded, back to dispatch.
    "no_show": (frozenset({S.ON_SITE}), S.DISPATCHED),
    # The visit ends without finishing (needs parts, second visit): the technician keeps it.
    "revisit": (frozenset({S.ON_SITE}), S.ACCEPTED),
    "follow_up": (frozenset({S.COMPLETED}), S.FOLLOWED_UP),
    "close": (frozenset({S.FOLLOWED_UP}), S.CLOSED),
    "wait_parts": (PAUSABLE, S.WAITING_PARTS),
    "wait_customer": (PAUSABLE, S.WAITING_CUSTOMER),
    "resume": (PAUSED, None),
    "cancel": (OPEN, S.CANCELLED),
    # Solved on the phone (the agent read a knowledge-base solution to the customer): the
    # order closes without a visit, resolved at that moment.
    "solve_remotely": (frozenset({S.REGISTERED, S.REOPENED, S.TRIAGED}), S.CLOSED),
    # The unit is in a workshop's hands (送修 / 寄修 received, or taken back from a visit): the
    # order is worked on the bench from here; again to name the bench technician.
    "bring_in": (OPEN - PAUSED, S.ON_SITE),
}

TRANSITION_LABELS = {
    "triage": _("Triage"),
    "dispatch": _("Dispatch to station"),
    "redispatch": _("Move to another station"),
    "assign": _("Assign technician"),
    "unassign": _("Return to dispatch"),
    "accept": _("Accept"),
    "decline": _("Decline"),
    "cannot_keep": _("Cannot keep the appointment"),
    "no_show": _("Customer absent"),
    "revisit": _("Another visit needed"),
    "depart": _("Depart"),
    "arrive": _("Check in on site"),
    "complete": _("Complete"),
    "follow_up": _("Record follow-up"),
    "close": _("Close"),
    "wait_parts": _("Wait for parts"),
    "wait_customer": _("Wait for customer"),
    "resume": _("Resume"),
    "cancel": _("Cancel"),
    "reopen": _("Reopen"),
    "solve_remotely": _("Solved on the phone"),
    "bring_in": _("In the workshop"),
}

# The moment that meets each service-level target: first response (the technician accepts),
# arrival (check-in on site), resolution (completed).
MET_FIELD = {"respond": "responded_at", "arrive": "arrived_at", "resolve": "completed_at"}


class OrderVerb(StrEnum):
    """The order's verbs: one named action each (`order_assign`, `order_accept`, ...); a typo
    in a verb is an AttributeError at import, not a 404 at run time."""

    TRIAGE = "triage"
    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    ACCEPT = "accept"
    DECLINE = "decline"
    CANNOT_KEEP = "cannot_keep"
    DEPART = "depart"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    REVISIT = "revisit"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"
    WAIT_PARTS = "wait_parts"
    WAIT_CUSTOMER = "wait_customer"
    RESUME = "resume"
    CANCEL = "cancel"
    SOLVE_REMOTELY = "solve_remotely"
    BRING_IN = "bring_in"
    # Not a move of this order: a new order linked to it (`order_reopen`).
    REOPEN = "reopen"


if set(OrderVerb) - {OrderVerb.REOPEN} != set(TRANSITIONS):  # pragma: no cover - import check
    raise ValueError("OrderVerb and TRANSITIONS name different verbs")

# Transitions that must carry a reason.
NEEDS_REASON = frozenset(
    {
        "cancel",
        "unassign",
        "decline",
        "cannot_keep",
        "no_show",
        "revisit",
        "wait_parts",
        "wait_customer",
        "reopen",
    }
)
# Transitions only the field-work actions take (they record more than a status change).
FIELD_ONLY = frozenset({"decline", "cannot_keep", "no_show", "revisit", "complete"})
# The follow-up transition comes with the follow-up's recorded answers (feedback actions).
FOLLOW_UP_ONLY = frozenset({"follow_up"})
# The workshop's bring-in comes with the workshop job (workshop actions).
WORKSHOP_ONLY = frozenset({"bring_in"})
# Solved on the phone comes with the knowledge-base article that solved it (knowledge actions).
KNOWLEDGE_ONLY = frozenset({"solve_remotely"})
RECORDED_ONLY = FIELD_ONLY | FOLLOW_UP_ONLY | WORKSHOP_ONLY | KNOWLEDGE_ONLY

# The order's lifecycle on the transition kernel (`core/transitions.py`). The order's actions
# check the reason themselves (a form error on `reason`, with its length), before the kernel.
ORDER_MACHINE = Machine(
    name="order",
    statuses=dict(Status.choices),
    table=TRANSITIONS,
    needs_reason=NEEDS_REASON - {"reopen"},
    labels=TRANSITION_LABELS,
)


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    WALK_IN = "walk_in", _("Walk-in")
    MAINTENANCE_PLAN = "maintenance_plan", _("Maintenance plan")
    API = "api", _("API")


class ServiceType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    INSTALLATION = "installation", _("Installation")
    MAINTENANCE = "maintenance", _("Maintenance")
    INSPECTION = "inspection", _("Inspection")
    ACCEPTANCE = "acceptance", _("Acceptance (验收)")
    CONSULTATION = "consultation", _("Consultation")


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Target(models.TextChoices):
    """The service-level targets each order carries a due time for."""

    RESPOND = "respond", _("First response")
    ARRIVE = "arrive", _("Arrival")
    RESOLVE = "resolve", _("Resolution")


class Clock(models.TextChoices):
    # 工作时间: counts only the company's working hours on working days.
    WORKING = "working", _("Working hours")
    # 自然时间: counts every hour (24x7).
    CALENDAR = "calendar", _("Calendar hours (24x7)")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status change")
    EDIT = "edit", _("Edited")
    ESCALATION = "escalation", _("Escalation")
    DUE_RECOMPUTED = "due_recomputed", _("Due times recomputed")
    REOPENED_AS = "reopened_as", _("Reopened as a new order")
    NOTE = "note", _("Note")
    APPOINTMENT = "appointment", _("Appointment")
    PLANNED = "planned", _("Planned")
    FIELD = "field", _("Field work")
    FOLLOW_UP = "follow_up", _("Follow-up")
