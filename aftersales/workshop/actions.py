"""Every write of the workshop: jobs and their steps, counter intake and queue numbers,
handover, mail-in shipments, loaners and settings. Pages, the API and the jobs call these.

A job step locks the job (then its order, through the order actions), guards the move with
the transition table (`choices.MACHINE` on the shared kernel), writes the job's event, and
moves the service order as `rules.ORDER_STEP` says (docs/workshop.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Station, User
from aftersales.accounts.permissions import Perm, company_of, has_perm, require
from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
)
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply, record
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.customers.models import InstalledUnit
from aftersales.customers.selectors import units_visible_to
from aftersales.feedback.actions import follow_up_open
from aftersales.fieldwork import signatures
from aftersales.fieldwork.actions import (
    quote_propose,
    receipt_issue,
    record_close,
    record_diagnosis,
    record_photos,
)
from aftersales.fieldwork.choices import QuoteStatus
from aftersales.fieldwork.models import Quote
from aftersales.notifications.actions import notify_customer
from aftersales.orders import uploads
from aftersales.orders.actions import order_create, order_event, order_transition
from aftersales.orders.choices import OPEN, EventKind, ServiceType, Status
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.orders.sla import Pause, run_clock
from aftersales.parts.actions import stock_issue
from aftersales.parts.models import Warehouse
from aftersales.portal.actions import portal_user
from aftersales.warranty.actions import RepairStay, decide_for_order
from aftersales.workshop import rules
from aftersales.workshop.choices import (
    AT_WORKSHOP,
    MACHINE,
    Direction,
    J,
    JobStatus,
    LoanerStatus,
    Outcome,
    ReturnMethod,
    Route,
    TicketPurpose,
    TicketStatus,
)
from aftersales.workshop.lock_objects import lock_job, lock_loaner, lock_ticket
from aftersales.workshop.models import (
    IntakePhoto,
    Loaner,
    LoanerLoan,
    QueueTicket,
    Shipment,
    TurnaroundRule,
    WorkshopEvent,
    WorkshopJob,
)
from aftersales.workshop.selectors import (
    jobs_visible_to,
    station_workshop,
    tickets_visible_to,
    turnaround_days_for,
    workshop_settings,
    workshop_stations,
)

COUNTER_VERBS = frozenset(
    {"receive", "accept_quote", "decline_quote", "hand_over", "ship_back", "deliver", "cancel"}
)
VERB_PERMS = {
    verb: (Perm.WORKSHOP_COUNTER if verb in COUNTER_VERBS else Perm.WORKSHOP_BENCH)
    for verb in MACHINE.table
}
# Verbs that come with more than a status (their own action records it).
RECORDED_VERBS = frozenset({"receive", "quote", "hand_over", "ship_back", "deliver", "cancel"})
FREE_DECISIONS = frozenset({"return", "exchange", "free_repair"})
RECEIPT_SALT = "workshop.receipt"
RECEIPT_LINK_DAYS = 180


# --- helpers ---------------------------------------------------------------------------------


def _locked(actor: User | None, job: Any, perm: str) -> WorkshopJob:
    """The job, locked, if the actor may do `perm` on it (in scope); None actor: a job."""
    pk = as_id(job)
    if actor is not None:
        require(actor, perm)
        if not jobs_visible_to(actor).filter(pk=pk).exists():
            raise NotFound("not_found", _("Not found."))
    found = lock_job(pk)
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def job_event(
    job: WorkshopJob, *, actor: User | None, action: str, payload: dict[str, Any] | None = None
) -> WorkshopEvent:
    """A step that changes no status (a note, a photo, a reminder)."""
    return record(  # type: ignore[return-value]
        WorkshopEvent, subject_field="job", subject=job, actor=actor, action=action, payload=payload
    )


def _order_step(job: WorkshopJob, verb: str, actor: User | None, now: dt.datetime, reason: str):
    """Move the job's order as the job's step requires (rules.ORDER_STEP)."""
    step = rules.ORDER_STEP[verb]
    if not step:
        return
    order = ServiceOrder.objects.select_for_update().get(pk=job.order_id)
    if step == "bring_in":
        _bring_in(job, order, now)
    elif step == "technician":
        if actor is not None and actor.role == Role.TECHNICIAN:
            if order.is_paused:
                order = order_transition(actor=None, order=order, action="resume", at=now)
            order_transition(
                actor=None,
                order=order,
                action="bring_in",
                station=job.station_id,
                technician=actor.pk,
                at=now,
                recorded=True,
            )
    elif step == "pause" and order.can("wait_parts"):
        order_transition(actor=None, order=order, action="wait_parts", reason=reason, at=now)
    elif step == "resume" and order.status == Status.WAITING_PARTS:
        order_transition(actor=None, order=order, action="resume", at=now)
    elif step == "complete":
        if order.is_paused:
            order = order_transition(actor=None, order=order, action="resume", at=now)
        if order.can("complete"):
            _complete_order(order, now)
    elif step == "cancel" and order.can("cancel"):
        order_transition(
            actor=None,
            order=order,
            action="cancel",
            reason=reason or str(MACHINE.verb_label(verb)),
            at=now,
        )


def _bring_in(job: WorkshopJob, order: ServiceOrder, now: dt.datetime) -> None:
    if order.is_paused:
        order = order_transition(actor=None, order=order, action="resume", at=now)
    order_transition(
        actor=None,
        order=order,
        action="bring_in",
        station=job.station_id,
        at=now,
        recorded=True,
    )


def _complete_order(order: ServiceOrder, now: dt.datetime) -> None:
    """The repair passed its quality check: the order is completed and followed up as an
    on-site one is (the bench's service record, if any, is finished with it)."""
    done = order_transition(actor=None, order=order, action="complete", at=now, recorded=True)
    record_close(order=done, now=now)
    follow_up_open(order=done, now=now)


def _move(
    job: WorkshopJob,
    verb: str,
    *,
    actor: User | None,
    now: dt.datetime,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
) -> WorkshopEvent:
    """The one place a job changes status: the kernel's guard and event, the ageing clock,
    and the order's step."""
    job.status_since = now
    event = apply(
        MACHINE,
        job,
        verb,
        event_model=WorkshopEvent,
        subject_field="job",
        actor=actor,
        reason=reason,
        payload=payload,
        at=now,
        extra_fields=("status_since", *extra_fields),
    )
    _order_step(job, verb, actor, now, event.reason)
    if verb == "receive":
        job.save(update_fields=plan_turnaround(job, start=True))
    elif verb in ("wait_parts", "parts_arrived"):
        job.save(update_fields=plan_turnaround(job))
    return event  # type: ignore[return-value]


def plan_turnaround(job: WorkshopJob, *, start: bool = False) -> list[str]:
    """The promised ready time (not saved; returns the fields set): the turnaround in working
    days for the job's station and service type (a turnaround rule, else the company's) from the brought-in moment on the working calendar, later by every
    stretch spent waiting for parts (while it waits, the last promise stays on display).
    `start`: the unit was just brought in, the promise is taken from the settings."""
    if job.received_at is None:
        return []
    cal = work_calendar(job.company_id)
    if start:
        service_type = (
            ServiceOrder.objects.filter(pk=job.order_id)
            .values_list("service_type", flat=True)
            .first()
            or ""
        )
        days = turnaround_days_for(job.company_id, job.station_id, service_type)
        job.turnaround_minutes = days * rules.working_day_minutes(cal.intervals) if days else None
    if not job.turnaround_minutes:
        job.ready_due = None
        return ["turnaround_minutes", "ready_due"]
    moves = list(
        WorkshopEvent.objects.filter(job=job)
        .exclude(to_status="")
        .order_by("at", "id")
        .values_list("at", "from_status", "to_status")
    )
    pauses = [Pause(a, b) for a, b in rules.parts_pauses(moves)]
    due = run_clock(cal, job.received_at, dt.timedelta(minutes=job.turnaround_minutes), pauses)
    if due is not None:
        job.ready_due = due.value
    return ["turnaround_minutes", "ready_due"]


def turnaround_state(job: WorkshopJob, now: dt.datetime | None = None) -> str:
    """met / late / paused / overdue / due / "" for the job's promised ready time."""
    return rules.turnaround_state(
        due=job.ready_due,
        ready_at=job.ready_at,
        now=now or clock.now(),
        paused=job.status == JobStatus.WAITING_PARTS,
    )


def storage_due(job: WorkshopJob, now: dt.datetime | None = None) -> tuple[int, Decimal]:
    """The storage fee a unit waiting for pickup owes now: (days charged, yuan). Counted from
    the pickup notice (the day it became ready), after the company's free days."""
    if (
        job.ready_at is None
        or job.return_method != ReturnMethod.PICKUP
        or job.status != JobStatus.READY
    ):
        return 0, Decimal("0.00")
    cfg = workshop_settings(job.company_id)
    return rules.storage_charge(
        notified_on=timezone.localtime(job.ready_at).date(),
        today=timezone.localtime(now or clock.now()).date(),
        free_days=cfg.storage_free_days,
        per_day=cfg.storage_fee_per_day,
    )


def effective_decision(job: WorkshopJob) -> str:
    """The 三包 decision that applies: a manager's override on the order, else the decision
    taken on the brought-in date."""
    order = job.order
    if (order.warranty_detail or {}).get("override"):
        return order.warranty_decision
    return job.warranty_decision or order.warranty_decision


def repair_stay(order: Any, now: dt.datetime | None = None) -> Any:
    """The order's stay at the workshop for the warranty decision (registered with the
    warranty app as a hook): the brought-in moment, the days with the repairer so far (to
    now, or to when it was ready) and, of them, the days waiting for parts."""
    job = getattr(order, "workshop_job", None) if order.pk else None
    if job is None or job.received_at is None:
        return None
    end = job.ready_at or job.returned_at or now or clock.now()
    end = max(end, job.received_at)
    moves = list(
        WorkshopEvent.objects.filter(job=job)
        .exclude(to_status="")
        .order_by("at", "id")
        .values_list("at", "from_status", "to_status")
    )
    waited = sum(
        ((min(b or end, end) - a).total_seconds() for a, b in rules.parts_pauses(moves) if a < end),
        0.0,
    )
    return RepairStay(
        brought_in=job.received_at,
        days_in_repair=(end - job.received_at).total_seconds() / 86400,
        days_waiting_parts=max(0.0, waited) / 86400,
    )


def decide_warranty(job: WorkshopJob) -> None:
    """The 三包 decision for the unit on the day it was brought in (送修日期), with the days
    it has been in repair and waiting for parts (the warranty app asks `repair_stay`)."""
    order = job.order
    if order.unit_id is None or job.received_at is None:
        return
    order.workshop_job = job  # the job as locked here (received_at just set)
    decision, detail = decide_for_order(order)
    job.warranty_decision, job.warranty_detail = decision, detail
    job.save(update_fields=["warranty_decision", "warranty_detail"])
    _order_decision(order, decision, detail)


def _order_decision(order: ServiceOrder, decision: str, detail: dict[str, Any]) -> None:
    """The order keeps the same decision as its job (the stock issue's charge and return
    obligation and the quote's free-repair rule read the order's), unless a manager overrode
    it; a changed decision is an order event."""
    locked = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if (locked.warranty_detail or {}).get("override"):
        return
    before = locked.warranty_decision
    locked.warranty_decision, locked.warranty_detail = decision, detail
    locked.save(update_fields=["warranty_decision", "warranty_detail"])
    order.warranty_decision, order.warranty_detail = decision, detail
    if before != decision:
        order_event(
            locked,
            actor=None,
            kind=EventKind.EDIT,
            action="warranty_brought_in",
            payload={"warranty": [before, decision]},
        )


def _tell_customer(job: WorkshopJob, event: str, context: dict[str, Any], key: str) -> None:
    order = job.order

    def send() -> None:
        notify_customer(
            company_id=order.company_id,
            customer=order.customer,
            event=event,
            context={"number": order.number, **context},
            dedupe_key=key,
        )

    if clock.replaying():
        # Under `clock.at(past)` (a backfill): written now, kept as suppressed, never sent; not
        # left to a commit that may come after the replayed moment is over.
        send()
    else:
        transaction.on_commit(send)


# --- jobs --------------------------------------------------------------------------------


def job_create(
    *,
    actor: User | None,
    order: ServiceOrder,
    station: Station | int,
    route: str,
    return_method: str = "pickup",
    received_at: dt.datetime | None = None,
    return_address: str = "",
    condition: str = "",
) -> WorkshopJob:
    """A job for an order (one per order), inside the caller's transaction. A mail-in job
    waits for its unit; a counter or visit job is received at `received_at` in `condition`."""
    if route not in Route.values:
        raise ApplicationError("invalid", _("Unknown route."), status=422)
    if return_method not in ReturnMethod.values:
        raise ApplicationError("invalid", _("Unknown return method."), status=422)
    if WorkshopJob.objects.filter(order=order).exists():
        raise Conflict("job_exists", _("This order already has a workshop job."))
    station_id = as_id(station)
    if not Station.objects.filter(pk=station_id, company_id=order.company_id).exists():
        raise ApplicationError("invalid", _("Unknown service station."), status=422)
    mail_in = route == Route.COURIER
    now = received_at or clock.now()
    job = WorkshopJob.objects.create(
        company_id=order.company_id,
        station_id=station_id,
        order=order,
        route=route,
        return_method=return_method,
        status=JobStatus.AWAITING_UNIT if mail_in else JobStatus.RECEIVED,
        received_at=None if mail_in else now,
        status_since=now,
        return_address=(return_address or "").strip()[:300],
        condition=(condition or "").strip()[:2000],
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    record(
        WorkshopEvent,
        subject_field="job",
        subject=job,
        actor=actor,
        action="created",
        to_status=job.status,
        payload={"route": route, "return_method": return_method},
        at=now,
    )
    if not mail_in:
        _bring_in(job, ServiceOrder.objects.select_for_update().get(pk=order.pk), now)
        job.save(update_fields=plan_turnaround(job, start=True))
        decide_warranty(job)
    return job


@transaction.atomic
def job_from_visit(
    *, actor: User, order: ServiceOrder | int, station: Station | int | None = None, note: str = ""
) -> WorkshopJob:
    """A unit the technician took back from a visit (004 第十八条) continues at the workshop."""
    require(actor, Perm.WORKSHOP_COUNTER)
    found = orders_visible_to(actor).filter(pk=as_id(order)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    target = station or found.station_id or actor.station_id
    if target is None:
        raise ApplicationError("invalid", _("Choose a service station."), status=422)
    if actor.station_id and as_id(target) != actor.station_id:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    return job_create(actor=actor, order=found, station=target, route="visit", condition=note)


@transaction.atomic
def job_step(
    *, actor: User, job: WorkshopJob | int, verb: str, reason: str = "", version: int | None = None
) -> WorkshopJob:
    """A step without more to record than a reason: diagnosis started, warranty confirmed,
    quote accepted or declined, waiting for parts, repair started or done, quality check."""
    if verb not in MACHINE.table:
        raise NotFound("unknown_action", _("Unknown action."))
    if verb in RECORDED_VERBS:
        raise Conflict("use_own_form", _("This step has its own form."), details={"verb": verb})
    locked = _locked(actor, job, VERB_PERMS[verb])
    if version is not None and version != locked.version:
        raise Conflict("stale", _("Someone else changed this job; reload it and try again."))
    now = clock.now()
    extra: list[str] = []
    if verb == "confirm_warranty" and effective_decision(locked) not in FREE_DECISIONS:
        raise Conflict(
            "not_under_warranty",
            _("The 三包 decision on the brought-in date is not free repair; send a quote."),
        )
    if verb == "diagnose" and actor.role == Role.TECHNICIAN:
        locked.technician = actor
        extra.append("technician")
    if verb in ("start_repair", "parts_arrived", "finish_repair") and actor.pk not in (
        locked.repairer_ids or []
    ):
        locked.repairer_ids = [*(locked.repairer_ids or []), actor.pk]
        extra.append("repairer_ids")
    if verb in ("qc_pass", "qc_fail"):
        required = station_workshop(locked.station_id).qc_by_other
        if not rules.qc_allowed(
            checker_id=actor.pk, repairer_ids=set(locked.repairer_ids or []), require_other=required
        ):
            raise PermissionDenied(
                "qc_by_other", _("At this station the quality check is done by someone else.")
            )
    if verb in ("qc_pass", "decline_quote"):
        locked.ready_at = now
        locked.outcome = Outcome.REPAIRED if verb == "qc_pass" else Outcome.UNREPAIRED
        extra += ["ready_at", "outcome"]
    _move(locked, verb, actor=actor, now=now, reason=reason, extra_fields=tuple(extra))
    if verb in ("qc_pass", "decline_quote") and locked.return_method == ReturnMethod.PICKUP:
        station = Station.objects.get(pk=locked.station_id)
        _tell_customer(
            locked, "workshop_ready", {"station": station.name}, f"ws-ready:{locked.pk}:{verb}"
        )
    return locked


def bench_available(actor: User, job: WorkshopJob) -> list[str]:
    """The verbs the actor may take on the job from its status (for buttons)."""
    return [
        v
        for v in MACHINE.available(job.status)
        if v not in RECORDED_VERBS
        and has_perm(actor, VERB_PERMS[v])
        and (v != "confirm_warranty" or effective_decision(job) in FREE_DECISIONS)
    ]


def pickup_secret() -> str:
    return settings.SECRET_KEY


# --- the counter: queue numbers ------------------------------------------------------------


def _station_for(actor: User, station: Any) -> Station:
    found = workshop_stations(actor).filter(pk=as_id(station)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def ticket_take(*, actor: User, station: Any, purpose: str, phone: str = "") -> QueueTicket:
    """Take a number (叫号机): the next one of the day for the purpose at the station."""
    require(actor, Perm.WORKSHOP_COUNTER)
    found = _station_for(actor, station)
    if purpose not in TicketPurpose.values:
        raise ValidationFailed({"purpose": _("Choose what the visit is for.")})
    day = clock.today()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                last = (
                    QueueTicket.objects.filter(station=found, day=day, purpose=purpose)
                    .order_by("-number")
                    .values_list("number", flat=True)
                    .first()
                )
                number = (last or 0) + 1
                return QueueTicket.objects.create(
                    station=found,
                    day=day,
                    purpose=purpose,
                    number=number,
                    label=rules.ticket_label(purpose, number),
                    phone=(phone or "").strip()[:30],
                )
        except IntegrityError:
            continue  # another number was taken at the same moment: take the next
    raise Conflict("busy", _("Please try again."))


@transaction.atomic
def ticket_call_next(
    *, actor: User, station: Any, desk: str, purpose: str | None = None
) -> QueueTicket | None:
    """Call the longest-waiting number (of a purpose, or any) to a desk; None if nobody waits."""
    require(actor, Perm.WORKSHOP_COUNTER)
    found = _station_for(actor, station)
    desk = (desk or "").strip()[:20]
    if not desk:
        raise ValidationFailed({"desk": _("Say which desk calls.")})
    waiting = QueueTicket.objects.select_for_update().filter(
        station=found, day=clock.today(), status=TicketStatus.WAITING
    )
    if purpose:
        waiting = waiting.filter(purpose=purpose)
    ticket = waiting.order_by("taken_at", "id").first()
    if ticket is None:
        return None
    ticket.status, ticket.desk = TicketStatus.CALLED, desk
    ticket.called_at, ticket.called_by = clock.now(), actor
    ticket.save(update_fields=["status", "desk", "called_at", "called_by"])
    return ticket


@transaction.atomic
def ticket_close(*, actor: User, ticket: Any, served: bool = True) -> QueueTicket:
    """The called number was served at the desk (or did not come: skipped)."""
    require(actor, Perm.WORKSHOP_COUNTER)
    if not tickets_visible_to(actor).filter(pk=as_id(ticket)).exists():
        raise NotFound("not_found", _("Not found."))
    locked = lock_ticket(as_id(ticket))
    assert locked is not None
    if locked.status != TicketStatus.CALLED:
        raise Conflict("not_called", _("This number has not been called."))
    locked.status = TicketStatus.SERVED if served else TicketStatus.SKIPPED
    locked.served_at = clock.now()
    locked.save(update_fields=["status", "served_at"])
    return locked


# --- the counter: intake ---------------------------------------------------------------------


def _signature_png(data_url: str, field: str, errors: Errors) -> str:
    try:
        png = signatures.decode(data_url, field=field)
    except ValidationFailed as exc:
        for name, message in exc.errors.items():
            errors.add(name, message)
        return ""
    return uploads.store(png, "png")


def receipt_token(job: WorkshopJob) -> str:
    return signing.dumps({"job": job.pk}, salt=RECEIPT_SALT)


def job_for_receipt_token(token: str) -> WorkshopJob:
    try:
        data = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_LINK_DAYS * 86400)
    except signing.BadSignature:
        raise NotFound("not_found", _("Not found.")) from None
    job = WorkshopJob.objects.filter(pk=data.get("job")).first()
    if job is None:
        raise NotFound("not_found", _("Not found."))
    return job


def customer_receipt_path(job: WorkshopJob) -> str:
    return reverse("workshop-receipt-public", args=[receipt_token(job)])


def _open_order_for_counter(actor: User, station: Station, order: Any, unit: Any) -> ServiceOrder:
    """An open order of the unit the customer brings in (registered by phone or the portal):
    one the actor sees, or one not yet given to any station (or given to this one)."""
    candidates = ServiceOrder.objects.filter(
        pk=as_id(order), unit_id=as_id(unit), status__in=OPEN
    ).filter(
        Q(pk__in=orders_visible_to(actor).values("pk"))
        | Q(
            unit__in=units_visible_to(actor).values("pk"),
            station__isnull=True,
        )
        | Q(unit__in=units_visible_to(actor).values("pk"), station_id=station.pk)
    )
    found = candidates.first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _new_code(job: WorkshopJob) -> str:
    code = rules.new_pickup_code()
    job.pickup_code_digest = rules.code_digest(str(job.pk), code, pickup_secret())
    job.save(update_fields=["pickup_code_digest"])
    return code


@transaction.atomic
def counter_intake(
    *,
    actor: User,
    station: Any,
    customer: Any,
    unit: Any,
    fault_description: str,
    condition: str,
    signature: str,
    signer_name: str = "",
    accessories: list[str] | None = None,
    has_data: bool = False,
    data_backup_acknowledged: bool = False,
    photos: list[Any] | None = None,
    fault_code: Any = None,
    order: Any = None,
    ticket: Any = None,
    return_method: str = "pickup",
    return_address: str = "",
    priority: str = "medium",
    allow_duplicate: bool = False,
) -> tuple[WorkshopJob, str]:
    """A walk-in customer hands over a unit at the counter: the order (or the one already
    registered for it), the job received now (the brought-in date), condition and accessories
    with photos, the customer's signature and, for a unit with data, the backup
    acknowledgement. Returns the job and its pickup code (shown once, sent by message)."""
    require(actor, Perm.WORKSHOP_COUNTER)
    found = _station_for(actor, station)
    errors = Errors()
    condition = (condition or "").strip()
    if not condition:
        errors.add("condition", _("Describe the unit's condition as handed over."))
    if len(condition) > 2000:
        errors.add("condition", _("At most %(n)d characters.") % {"n": 2000})
    items = [a.strip()[:60] for a in (accessories or []) if a and a.strip()][:30]
    if has_data and not data_backup_acknowledged:
        errors.add(
            "data_backup_acknowledged",
            _("The customer must acknowledge that their data is backed up (or may be lost)."),
        )
    if return_method not in ReturnMethod.values:
        errors.add("return_method", _("Unknown return method."))
    elif return_method == ReturnMethod.SHIP and not (return_address or "").strip():
        errors.add("return_address", _("Give the address to ship the unit back to."))
    cleaned = []
    for f in photos or []:
        try:
            cleaned.append((f, *uploads.clean_image(f, field="photos")))
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                errors.add(name, message)
    stored_signature = _signature_png(signature, "signature", errors)
    errors.raise_if_any()
    if order not in (None, ""):
        the_order = _open_order_for_counter(actor, found, order, unit)
    else:
        the_order, _created = order_create(
            actor=actor,
            customer=customer,
            unit=unit,
            channel="walk_in",
            priority=priority,
            fault_description=fault_description,
            fault_code=fault_code,
            allow_duplicate=allow_duplicate,
        )
    job = job_create(
        actor=actor,
        order=the_order,
        station=found,
        route="counter",
        return_method=return_method,
        return_address=return_address,
    )
    now = job.received_at or clock.now()
    job.condition, job.accessories, job.has_data = condition, items, bool(has_data)
    job.data_backup_acknowledged_at = now if has_data else None
    job.intake_signature = stored_signature
    job.intake_signed_by = (signer_name or "").strip()[:100] or the_order.customer.name
    job.save(
        update_fields=[
            "condition",
            "accessories",
            "has_data",
            "data_backup_acknowledged_at",
            "intake_signature",
            "intake_signed_by",
        ]
    )
    rows = [
        IntakePhoto(
            job=job,
            stored_name=uploads.store(data, ext),
            original_name=uploads.display_name(getattr(f, "name", "")),
            content_type=content_type,
            size=len(data),
            uploaded_by=actor,
        )
        for f, data, content_type, ext in cleaned
    ]
    IntakePhoto.objects.bulk_create(rows)
    if ticket not in (None, ""):
        QueueTicket.objects.filter(
            pk=as_id(ticket), station=found, status=TicketStatus.CALLED
        ).update(status=TicketStatus.SERVED, served_at=now, job=job)
    code = _new_code(job)
    job_event(
        job,
        actor=actor,
        action="intake",
        payload={
            "accessories": items,
            "photos": len(rows),
            "has_data": bool(has_data),
            "signed": bool(job.intake_signature),
        },
    )
    link = settings.AFTERSALES_BASE_URL + customer_receipt_path(job)
    _tell_customer(
        job,
        "workshop_received",
        {"station": found.name, "code": code, "link": link},
        f"ws-received:{job.pk}",
    )
    return job, code


# --- handover --------------------------------------------------------------------------------


def unpaid_quote(job: WorkshopJob) -> Any:
    """The accepted quote of repaired paid work that still waits for its payment, if any."""
    if job.outcome != Outcome.REPAIRED:
        return None
    return (
        Quote.objects.filter(order_id=job.order_id)
        .exclude(status__in=[QuoteStatus.VOID, QuoteStatus.PAID])
        .order_by("-id")
        .first()
    )


def _payment(
    job: WorkshopJob,
    actor: User,
    quote: Any,
    method: str,
    amount: Any,
    ref: str,
    storage_fee: Decimal = Decimal("0.00"),
) -> Any:
    """The customer pays at pickup: the accepted quote and the storage fee, if any, on one
    receipt (收费凭证) numbered as on site, once (the field-work receipt action)."""
    order = ServiceOrder.objects.select_for_update().get(pk=job.order_id)
    return receipt_issue(
        actor=actor,
        order=order,
        quote=quote,
        method=method,
        amount=amount,
        reference=ref,
        extra=storage_fee,
    )


@transaction.atomic
def job_hand_over(
    *,
    actor: User,
    job: Any,
    signature: str,
    code: str = "",
    id_document: str = "",
    picked_up_by: str = "",
    payment_method: str = "",
    amount: Any = None,
    reference: str = "",
    loaner_returned: bool = False,
) -> WorkshopJob:
    """The customer picks the unit up: with the pickup code (once, and only for this job) or an
    ID document recorded instead, a signature, the payment of paid work, the loaner back."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    MACHINE.target(locked.status, "hand_over")  # refuses before anything is checked
    if locked.return_method != ReturnMethod.PICKUP:
        raise Conflict("ships_back", _("This unit is to be shipped back, not picked up."))
    errors = Errors()
    code, id_document = (code or "").strip(), (id_document or "").strip()[:60]
    if code:
        if locked.picked_up_at is not None or not rules.code_matches(
            str(locked.pk), code, pickup_secret(), locked.pickup_code_digest
        ):
            errors.add("code", _("This pickup code is not valid for this unit."))
    elif not id_document:
        errors.add("code", _("Give the pickup code, or record the customer's ID document."))
    stored = _signature_png(signature, "signature", errors)
    open_loans = list(locked.loans.filter(returned_at__isnull=True))
    if open_loans and not loaner_returned:
        errors.add("loaner_returned", _("The loaner must be returned first."))
    errors.raise_if_any()
    now = clock.now()
    quote = unpaid_quote(locked)
    days, fee = storage_due(locked, now)
    receipt = (
        _payment(locked, actor, quote, payment_method, amount, reference, storage_fee=fee)
        if quote is not None or fee > 0
        else None
    )
    locked.storage_days, locked.storage_fee = days, fee
    for loan in open_loans:
        _loan_return(loan, actor, now)
    locked.picked_up_at, locked.returned_at = now, now
    locked.picked_up_by = (picked_up_by or "").strip()[:100] or locked.order.customer.name
    locked.pickup_id_document = id_document if not code else ""
    locked.pickup_signature = stored
    locked.pickup_code_digest = ""  # used: the code opens nothing any more
    _move(
        locked,
        "hand_over",
        actor=actor,
        now=now,
        payload={
            "by_code": bool(code),
            "id_document": bool(id_document and not code),
            "receipt": receipt.number if receipt else None,
            "storage_days": days,
            "storage_fee": str(fee),
        },
        extra_fields=(
            "storage_days",
            "storage_fee",
            "picked_up_at",
            "returned_at",
            "picked_up_by",
            "pickup_id_document",
            "pickup_signature",
            "pickup_code_digest",
        ),
    )
    return locked


@transaction.atomic
def job_hand_over_recorded(
    *, actor: User, job: Any, picked_up_by: str = "", note: str = ""
) -> WorkshopJob:
    """The customer's pickup as another system recorded it (a legacy system, a paper form):
    no pickup code and no signature; the event says it was recorded, by whom the unit was
    picked up (default the customer) and the source `note`. A loaner must be back first, as
    at the counter; a payment the source recorded comes before it (`job_payment`), none is
    taken here and no storage fee is charged after the fact."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    MACHINE.target(locked.status, "hand_over")
    if locked.return_method != ReturnMethod.PICKUP:
        raise Conflict("ships_back", _("This unit is to be shipped back, not picked up."))
    if locked.loans.filter(returned_at__isnull=True).exists():
        raise ValidationFailed({"loaner_returned": _("The loaner must be returned first.")})
    now = clock.now()
    locked.picked_up_at, locked.returned_at = now, now
    locked.picked_up_by = (picked_up_by or "").strip()[:100] or locked.order.customer.name
    locked.pickup_code_digest = ""
    _move(
        locked,
        "hand_over",
        actor=actor,
        now=now,
        payload={"recorded": True, "note": (note or "").strip()[:200]},
        extra_fields=("picked_up_at", "returned_at", "picked_up_by", "pickup_code_digest"),
    )
    return locked


def _loan_return(loan: Any, actor: User, now: dt.datetime, deposit_refunded: Any = None) -> None:
    """Close the loan and put the loaner back in the pool (the caller holds the job's lock)."""
    loaner = lock_loaner(loan.loaner_id)
    assert loaner is not None
    refund = loan.deposit if deposit_refunded in (None, "") else Decimal(str(deposit_refunded))
    loan.returned_at, loan.returned_to = now, actor
    loan.deposit_refunded = refund.quantize(Decimal("0.01"))
    loan.save(update_fields=["returned_at", "returned_to", "deposit_refunded"])
    if loaner.status == LoanerStatus.LENT:
        loaner.status = LoanerStatus.AVAILABLE
        loaner.version += 1
        loaner.save(update_fields=["status", "version"])
    job_event(
        loan.job,
        actor=actor,
        action="loaner_returned",
        payload={"loaner": loaner.serial, "deposit_refunded": str(loan.deposit_refunded)},
    )


def unclaimed_remind(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Remind customers of units ready for pickup and not collected (company setting)."""
    now = now or clock.now()
    sent = 0
    ids = list(
        WorkshopJob.objects.filter(
            status=JobStatus.READY, return_method=ReturnMethod.PICKUP, ready_at__isnull=False
        )
        .order_by("ready_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            job = lock_job(pk)
            if job is None or job.status != JobStatus.READY or job.ready_at is None:
                continue
            cfg = workshop_settings(job.company_id)
            if not rules.reminder_due(
                ready_at=job.ready_at,
                now=now,
                last_reminder_at=job.last_reminder_at,
                after_days=cfg.unclaimed_after_days,
                repeat_days=cfg.reminder_repeat_days,
            ):
                continue
            job.last_reminder_at, job.reminders_sent = now, job.reminders_sent + 1
            job.save(update_fields=["last_reminder_at", "reminders_sent"])
            days = (now - job.ready_at).days
            job_event(job, actor=None, action="reminder", payload={"days": days})
            station = Station.objects.get(pk=job.station_id)
            _tell_customer(
                job,
                "workshop_reminder",
                {"station": station.name, "days": days},
                f"ws-remind:{job.pk}:{job.reminders_sent}",
            )
            sent += 1
    return sent


# Statuses in which the unit is being worked on (the repair days run; not yet ready).
IN_WORKSHOP_REPAIR = AT_WORKSHOP - {J.READY}
LONG_REPAIR_DAYS = 30


def repair_days_check(*, limit: int = 500) -> int:
    """Units in the workshop long enough for the days to matter: the 三包 decision is taken
    again with the days in repair so far. A household car past the car rule's days (over 5:
    a loaner from day 6) has the loaner marked due on its job, once, with an event, and the
    customer is offered it; a unit past 30 days gets the new decision (exchange) recorded.
    Under `clock.at(past)` it sees the jobs as of that moment and sends nothing."""
    now = clock.now()
    ids = list(
        WorkshopJob.objects.filter(status__in=IN_WORKSHOP_REPAIR, received_at__lte=now)
        .filter(
            Q(
                warranty_detail__kind="car",
                loaner_due_at__isnull=True,
                received_at__lte=now - dt.timedelta(days=5),
            )
            | Q(received_at__lte=now - dt.timedelta(days=LONG_REPAIR_DAYS))
        )
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    marked = 0
    for pk in ids:
        with transaction.atomic():
            job = lock_job(pk)
            if job is None or job.status not in IN_WORKSHOP_REPAIR:
                continue
            before = job.warranty_decision
            decide_warranty(job)
            if job.warranty_decision != before:
                job_event(
                    job,
                    actor=None,
                    action="warranty_changed",
                    payload={"from": before, "to": job.warranty_decision},
                )
            warnings = (job.warranty_detail or {}).get("warnings") or []
            if job.loaner_due_at is None and "loaner_due_from_day_6" in warnings:
                job.loaner_due_at = now
                job.save(update_fields=["loaner_due_at"])
                from_day = (job.warranty_detail.get("evidence") or {}).get("loaner_from_day", 6)
                job_event(job, actor=None, action="loaner_due", payload={"from_day": from_day})
                station = Station.objects.get(pk=job.station_id)
                _tell_customer(
                    job, "car_loaner_due", {"station": station.name}, f"ws-car-loaner:{job.pk}"
                )
                marked += 1
    return marked


# --- the bench -------------------------------------------------------------------------------

BENCH_WORK = frozenset({J.DIAGNOSING, J.APPROVED, J.IN_REPAIR})


def _record_holder(locked: WorkshopJob) -> None:
    """The service record is the bench technician's (the order's technician): a technician
    must have taken the job (started its diagnosis) first."""
    if not ServiceOrder.objects.filter(pk=locked.order_id, technician__isnull=False).exists():
        raise Conflict(
            "no_bench_technician",
            _("A workshop technician must take the job (start the diagnosis) first."),
        )


def _on_bench(locked: WorkshopJob, allowed: frozenset[str]) -> None:
    if locked.status not in allowed:
        raise Conflict(
            "not_on_bench",
            _("This cannot be done while the status is “%(status)s”.")
            % {"status": JobStatus(locked.status).label},
        )


@transaction.atomic
def bench_diagnosis(
    *,
    actor: User,
    job: Any,
    diagnosis: str,
    cause: str,
    work_done: str = "",
    fault_codes: list[Any] | None = None,
) -> Any:
    """The bench diagnosis on the order's service record (the same record and report as a
    visit): what was found, the cause, the fault codes."""
    locked = _locked(actor, job, Perm.WORKSHOP_BENCH)
    _on_bench(locked, BENCH_WORK)
    _record_holder(locked)
    return record_diagnosis(
        actor=actor,
        order=locked.order_id,
        diagnosis=diagnosis,
        cause=cause,
        work_done=work_done,
        fault_codes=fault_codes,
    )


@transaction.atomic
def bench_photos(*, actor: User, job: Any, kind: str, files: list[Any]) -> list[Any]:
    """Photos on the bench (before / after), on the order's service record."""
    locked = _locked(actor, job, Perm.WORKSHOP_BENCH)
    _on_bench(locked, BENCH_WORK | {J.QUALITY_CHECK})
    _record_holder(locked)
    return record_photos(actor=actor, order=locked.order_id, kind=kind, files=files)


@transaction.atomic
def bench_quote(
    *, actor: User, job: Any, items: list[dict[str, Any]], reason: str = ""
) -> WorkshopJob:
    """The quote from the fee schedule and the price list (the field-work quote), sent to the
    customer for acceptance: the job waits for it."""
    locked = _locked(actor, job, Perm.WORKSHOP_BENCH)
    MACHINE.target(locked.status, "quote")
    _record_holder(locked)
    quote = quote_propose(actor=actor, order=locked.order_id, items=items, reason=reason)
    _move(
        locked,
        "quote",
        actor=actor,
        now=clock.now(),
        payload={"quote": quote.pk, "total": str(quote.total)},
    )
    return locked


def station_shelf(station_id: int) -> Any:
    """The station's own warehouse (not a van) the bench takes parts from."""
    return (
        Warehouse.objects.filter(station_id=station_id, technician__isnull=True, is_active=True)
        .order_by("id")
        .first()
    )


@transaction.atomic
def bench_part_used(
    *,
    actor: User,
    job: Any,
    part: Any,
    quantity: int = 1,
    serial: str = "",
    old_serial: str = "",
) -> Any:
    """A part fitted on the bench, out of the station's stock (not a van); the old part's
    return obligation follows the 三包 decision as on site."""
    locked = _locked(actor, job, Perm.WORKSHOP_BENCH)
    _on_bench(locked, frozenset({J.APPROVED, J.IN_REPAIR}))
    shelf = station_shelf(locked.station_id)
    if shelf is None:
        raise Conflict("no_station_stock", _("The station has no stock of its own."))
    move = stock_issue(
        actor=actor,
        warehouse=shelf,
        part=part,
        quantity=quantity,
        order=locked.order_id,
        serial=serial,
        old_serial=old_serial,
        bench=True,
    )
    job_event(
        locked,
        actor=actor,
        action="part_used",
        payload={
            "part": move.part.code,
            "name": move.part.name,
            "quantity": -move.quantity,
            "serial": move.serial,
            "old_serial": move.old_serial,
            "warehouse": shelf.pk,
        },
    )
    return move


@transaction.atomic
def bench_test(*, actor: User, job: Any, name: str, passed: bool, note: str = "") -> WorkshopJob:
    """A test result on the bench (power-on, function, burn-in...)."""
    locked = _locked(actor, job, Perm.WORKSHOP_BENCH)
    _on_bench(locked, frozenset({J.DIAGNOSING, J.IN_REPAIR, J.QUALITY_CHECK}))
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationFailed({"name": _("Name the test.")})
    job_event(
        locked,
        actor=actor,
        action="test",
        payload={"name": name, "passed": bool(passed), "note": (note or "").strip()[:500]},
    )
    return locked


# --- mail-in (寄修) ----------------------------------------------------------------------------


def mail_in_stations(company_id: int) -> Any:
    """Stations that take mail-in units (their workshop has a mail-in address)."""
    return Station.objects.filter(
        company_id=company_id, is_active=True, workshop__mail_in_address__gt=""
    ).order_by("name")


def _mail_in(
    *,
    actor: User,
    station: Any,
    customer: Any,
    unit: Any,
    fault_description: str,
    return_address: str,
    channel: str,
    allow_duplicate: bool = False,
) -> WorkshopJob:
    found = mail_in_stations(company_of(actor)).filter(pk=as_id(station)).first()
    errors = Errors()
    if found is None:
        errors.add("station", _("Choose a workshop that takes mail-in units."))
    if not (return_address or "").strip():
        errors.add("return_address", _("Give the address to ship the unit back to."))
    errors.raise_if_any()
    assert found is not None
    order, _created = order_create(
        actor=actor,
        customer=customer,
        unit=unit,
        channel=channel,
        fault_description=fault_description,
        allow_duplicate=allow_duplicate,
    )
    job = job_create(
        actor=actor,
        order=order,
        station=found,
        route="courier",
        return_method="ship",
        return_address=return_address,
    )
    shop = station_workshop(found.pk)
    _tell_customer(
        job,
        "mail_in_request",
        {
            "address": shop.mail_in_address,
            "recipient": shop.mail_in_recipient or found.name,
            "phone": shop.mail_in_phone,
        },
        f"ws-mailin:{job.pk}",
    )
    return job


@transaction.atomic
def mail_in_request(
    *,
    actor: User,
    station: Any,
    customer: Any,
    unit: Any,
    fault_description: str,
    return_address: str,
    channel: str = "phone",
    allow_duplicate: bool = False,
) -> WorkshopJob:
    """An agent registers a mail-in request: the customer gets the workshop's address and the
    request number (the order number) to put in the parcel."""
    require(actor, Perm.WORKSHOP_COUNTER)
    return _mail_in(
        actor=actor,
        station=station,
        customer=customer,
        unit=unit,
        fault_description=fault_description,
        return_address=return_address,
        channel=channel,
        allow_duplicate=allow_duplicate,
    )


@transaction.atomic
def portal_mail_in(
    *,
    customer_ids: list[int],
    station: Any,
    unit: Any,
    fault_description: str,
    return_address: str,
) -> WorkshopJob:
    """A customer asks for a mail-in repair of one of their units in the portal."""
    found = (
        InstalledUnit.objects.filter(pk=as_id(unit), customer_id__in=customer_ids)
        .select_related("customer")
        .first()
    )
    if found is None:
        raise ValidationFailed({"unit": _("Choose one of your units.")})
    if not (fault_description or "").strip():
        raise ValidationFailed({"fault_description": _("Describe the fault.")})
    try:
        return _mail_in(
            actor=portal_user(found.customer.company_id),
            station=station,
            customer=found.customer,
            unit=found,
            fault_description=fault_description.strip()[:2000],
            return_address=return_address,
            channel="portal",
        )
    except Conflict as exc:
        if exc.code != "possible_duplicate":
            raise
        raise Conflict(
            "open_request",
            _("This unit already has an open request; follow it under My requests."),
        ) from None


def _shipment_fields(
    carrier: str, tracking_no: str, weight_kg: Any, cost: Any, errors: Errors
) -> dict[str, Any]:
    carrier, tracking_no = (carrier or "").strip()[:40], (tracking_no or "").strip()[:60]
    if not carrier:
        errors.add("carrier", _("Give the carrier."))
    if not tracking_no:
        errors.add("tracking_no", _("Give the tracking number."))
    weight = None
    if weight_kg not in (None, ""):
        try:
            weight = Decimal(str(weight_kg)).quantize(Decimal("0.01"))
            if weight <= 0 or weight > 1000:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.add("weight_kg", _("Give the weight in kilograms (up to 1000)."))
    money = Decimal("0.00")
    if cost not in (None, ""):
        try:
            money = Decimal(str(cost)).quantize(Decimal("0.01"))
            if money < 0 or money > 100000:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.add("cost", _("Give the cost in yuan."))
    return {"carrier": carrier, "tracking_no": tracking_no, "weight_kg": weight, "cost": money}


def _inbound(
    job: WorkshopJob, actor: User | None, fields: dict[str, Any], now: dt.datetime
) -> Shipment:
    shipment = Shipment.objects.create(
        job=job,
        direction=Direction.INBOUND,
        shipped_at=now,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    job_event(
        job,
        actor=actor,
        action="shipment",
        payload={
            "direction": "inbound",
            "carrier": fields["carrier"],
            "tracking": fields["tracking_no"],
        },
    )
    return shipment


@transaction.atomic
def inbound_shipment_record(
    *,
    actor: User,
    job: Any,
    carrier: str,
    tracking_no: str,
    weight_kg: Any = None,
    cost: Any = None,
) -> Shipment:
    """The parcel the customer sent (carrier, tracking no., weight, cost), recorded by staff."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    if locked.status != JobStatus.AWAITING_UNIT:
        raise Conflict("not_awaiting", _("This unit is not expected by courier."))
    errors = Errors()
    fields = _shipment_fields(carrier, tracking_no, weight_kg, cost, errors)
    errors.raise_if_any()
    return _inbound(locked, actor, fields, clock.now())


@transaction.atomic
def portal_inbound_shipment(
    *, customer_ids: list[int], job: Any, carrier: str, tracking_no: str
) -> Shipment:
    """The customer tells the tracking number of the parcel they sent."""
    found = WorkshopJob.objects.filter(pk=as_id(job), order__customer_id__in=customer_ids).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    locked = lock_job(found.pk)
    assert locked is not None
    if locked.status != JobStatus.AWAITING_UNIT:
        raise Conflict("not_awaiting", _("This unit is not expected by courier."))
    errors = Errors()
    fields = _shipment_fields(carrier, tracking_no, None, None, errors)
    errors.raise_if_any()
    return _inbound(locked, None, fields, clock.now())


def mail_in_match(*, actor: User, reference: str) -> WorkshopJob:
    """The request a parcel at the workshop belongs to: by the request (order) number written
    in the parcel, or by the inbound tracking number. Only requests still expecting a unit."""
    require(actor, Perm.WORKSHOP_COUNTER)
    ref = (reference or "").strip()
    if not ref:
        raise ValidationFailed({"reference": _("Give the request number or the tracking number.")})
    expecting = jobs_visible_to(actor).filter(status=JobStatus.AWAITING_UNIT)
    found = list(expecting.filter(order__number=ref)[:2]) or list(
        expecting.filter(
            shipments__tracking_no=ref, shipments__direction=Direction.INBOUND
        ).distinct()[:2]
    )
    if len(found) != 1:
        raise NotFound("no_match", _("No mail-in request waits for this parcel."))
    return found[0]


@transaction.atomic
def mail_in_receive(
    *,
    actor: User,
    job: Any,
    condition: str,
    accessories: list[str] | None = None,
    photos: list[Any] | None = None,
    has_data: bool = False,
) -> tuple[WorkshopJob, str]:
    """The parcel arrived and is opened: the unit is received (the brought-in date for 三包),
    its condition and accessories with photos; the inbound shipment is marked received.
    Returns the job and a pickup code (in case the customer collects it instead)."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    MACHINE.target(locked.status, "receive")
    errors = Errors()
    condition = (condition or "").strip()[:2000]
    if not condition:
        errors.add("condition", _("Describe the unit's condition as handed over."))
    cleaned = []
    for f in photos or []:
        try:
            cleaned.append((f, *uploads.clean_image(f, field="photos")))
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                errors.add(name, message)
    errors.raise_if_any()
    now = clock.now()
    locked.received_at = now
    locked.condition = condition
    locked.accessories = [a.strip()[:60] for a in (accessories or []) if a and a.strip()][:30]
    locked.has_data = bool(has_data)
    _move(
        locked,
        "receive",
        actor=actor,
        now=now,
        extra_fields=("received_at", "condition", "accessories", "has_data"),
    )
    Shipment.objects.filter(
        job=locked, direction=Direction.INBOUND, received_at__isnull=True
    ).update(received_at=now)
    IntakePhoto.objects.bulk_create(
        [
            IntakePhoto(
                job=locked,
                stored_name=uploads.store(data, ext),
                original_name=uploads.display_name(getattr(f, "name", "")),
                content_type=content_type,
                size=len(data),
                uploaded_by=actor,
            )
            for f, data, content_type, ext in cleaned
        ]
    )
    decide_warranty(locked)
    code = _new_code(locked)
    return locked, code


@transaction.atomic
def job_ship_back(
    *,
    actor: User,
    job: Any,
    carrier: str,
    tracking_no: str,
    weight_kg: Any = None,
    cost: Any = None,
) -> WorkshopJob:
    """The unit goes back to the customer by courier; the customer gets the tracking number."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    MACHINE.target(locked.status, "ship_back")
    errors = Errors()
    fields = _shipment_fields(carrier, tracking_no, weight_kg, cost, errors)
    if not locked.return_address:
        errors.add("return_address", _("Give the address to ship the unit back to."))
    if unpaid_quote(locked) is not None:
        errors.add("payment", _("The charges must be paid before the unit is shipped back."))
    errors.raise_if_any()
    now = clock.now()
    shipment = Shipment.objects.create(
        job=locked, direction=Direction.OUTBOUND, shipped_at=now, recorded_by=actor, **fields
    )
    locked.returned_at = now
    _move(
        locked,
        "ship_back",
        actor=actor,
        now=now,
        payload={"carrier": shipment.carrier, "tracking": shipment.tracking_no},
        extra_fields=("returned_at",),
    )
    _tell_customer(
        locked,
        "workshop_shipped",
        {"carrier": shipment.carrier, "tracking": shipment.tracking_no},
        f"ws-shipped:{locked.pk}:{shipment.pk}",
    )
    return locked


@transaction.atomic
def job_deliver(*, actor: User, job: Any) -> WorkshopJob:
    """The courier delivered the unit back (as its tracking shows)."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    now = clock.now()
    _move(locked, "deliver", actor=actor, now=now)
    Shipment.objects.filter(
        job=locked, direction=Direction.OUTBOUND, received_at__isnull=True
    ).update(received_at=now)
    return locked


@transaction.atomic
def mail_in_cancel(*, actor: User, job: Any, reason: str) -> WorkshopJob:
    """A mail-in request whose unit will not come (the customer withdrew, never sent)."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    _move(locked, "cancel", actor=actor, now=clock.now(), reason=reason)
    return locked


def never_sent_follow_up(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Remind customers of mail-in requests whose unit has not arrived after the company's
    days (once per request); the list for a call is the same query."""
    now = now or clock.now()
    sent = 0
    for pk in list(
        WorkshopJob.objects.filter(status=JobStatus.AWAITING_UNIT, reminders_sent=0)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ):
        with transaction.atomic():
            job = lock_job(pk)
            if job is None or job.status != JobStatus.AWAITING_UNIT or job.reminders_sent:
                continue
            days = workshop_settings(job.company_id).never_sent_days
            if days <= 0 or now < job.created_at + dt.timedelta(days=days):
                continue
            job.last_reminder_at, job.reminders_sent = now, 1
            job.save(update_fields=["last_reminder_at", "reminders_sent"])
            job_event(job, actor=None, action="reminder", payload={"never_sent_days": days})
            shop = station_workshop(job.station_id)
            _tell_customer(
                job, "mail_in_reminder", {"address": shop.mail_in_address}, f"ws-unsent:{job.pk}"
            )
            sent += 1
    return sent


@transaction.atomic
def job_payment(*, actor: User, job: Any, method: str, amount: Any, reference: str = "") -> Any:
    """The customer paid a repaired mail-in unit's quote (transfer or QR) before it is shipped
    back: the same receipt as at the counter."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    quote = unpaid_quote(locked)
    if quote is None:
        raise Conflict("nothing_to_pay", _("Nothing is waiting to be paid."))
    receipt = _payment(locked, actor, quote, method, amount, reference)
    job_event(locked, actor=actor, action="payment", payload={"receipt": receipt.number})
    return receipt


# --- loaners (备用机) ---------------------------------------------------------------------------


@transaction.atomic
def loaner_save(
    *, actor: User, station: Any, name: str, serial: str, loaner: Any = None, retire: bool = False
) -> Loaner:
    """Add a loaner to a station's pool, rename it, or retire it (not while lent)."""
    require(actor, Perm.WORKSHOP_RULES)
    found = _station_for(actor, station)
    errors = Errors()
    name, serial = (name or "").strip()[:100], (serial or "").strip()[:60]
    if not name:
        errors.add("name", _("Name the loaner."))
    if not serial:
        errors.add("serial", _("Give the loaner's serial number."))
    errors.raise_if_any()
    if loaner not in (None, ""):
        row = lock_loaner(as_id(loaner))
        if row is None or row.station_id != found.pk:
            raise NotFound("not_found", _("Not found."))
    else:
        row = Loaner(station=found)
    if Loaner.objects.filter(station=found, serial=serial).exclude(pk=row.pk).exists():
        raise ValidationFailed({"serial": _("This station already has a loaner with this serial.")})
    row.name, row.serial = name, serial
    if retire:
        if row.status == LoanerStatus.LENT:
            raise Conflict("loaner_lent", _("The loaner is lent; it can be retired once returned."))
        row.status = LoanerStatus.RETIRED
    row.version = (row.version or 0) + 1
    row.save()
    return row


@transaction.atomic
def loaner_lend(
    *, actor: User, job: Any, loaner: Any, deposit: Any = "0", days: int | None = None
) -> LoanerLoan:
    """Lend a loaner from the job's station's pool while the unit is at the workshop, with the
    deposit taken; due back after the company's loaner days (or `days`)."""
    locked = _locked(actor, job, Perm.WORKSHOP_COUNTER)
    if locked.status not in AT_WORKSHOP - {JobStatus.READY}:
        raise Conflict("not_at_workshop", _("A loaner is lent while the unit is at the workshop."))
    row = lock_loaner(as_id(loaner))
    if row is None or row.station_id != locked.station_id:
        raise ValidationFailed({"loaner": _("Choose a loaner of this station.")})
    if row.status != LoanerStatus.AVAILABLE:
        raise Conflict("loaner_unavailable", _("This loaner is not available."))
    try:
        money = Decimal(str(deposit or "0")).quantize(Decimal("0.01"))
        if money < 0 or money > 1_000_000:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"deposit": _("Give the deposit in yuan.")}) from None
    now = clock.now()
    period = days if days is not None else workshop_settings(locked.company_id).loaner_days
    due_at = now + dt.timedelta(days=max(1, int(period)))
    loan = LoanerLoan.objects.create(
        loaner=row,
        job=locked,
        lent_at=now,
        due_at=due_at,
        deposit=money,
        lent_by=actor,
        statutory=locked.loaner_due_at is not None,
    )
    row.status = LoanerStatus.LENT
    row.version += 1
    row.save(update_fields=["status", "version"])
    job_event(
        locked,
        actor=actor,
        action="loaner",
        payload={
            "loaner": row.serial,
            "deposit": str(money),
            "due": due_at.isoformat(),
            "statutory": loan.statutory,
        },
    )
    return loan


@transaction.atomic
def loaner_return(*, actor: User, loan: Any, deposit_refunded: Any = None) -> LoanerLoan:
    """The loaner comes back (at pickup, or earlier): once; the deposit refunded is recorded."""
    found = LoanerLoan.objects.filter(pk=as_id(loan)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    _locked(actor, found.job_id, Perm.WORKSHOP_COUNTER)
    row = LoanerLoan.objects.select_for_update().get(pk=found.pk)
    if row.returned_at is not None:
        raise Conflict("already_returned", _("This loaner was already returned."))
    try:
        _loan_return(row, actor, clock.now(), deposit_refunded)
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"deposit_refunded": _("Give the deposit in yuan.")}) from None
    return row


# --- settings --------------------------------------------------------------------------------

SETTING_DAYS = (
    "unclaimed_after_days",
    "reminder_repeat_days",
    "never_sent_days",
    "loaner_days",
    "turnaround_days",
    "storage_free_days",
)
SETTING_FIELDS = (*SETTING_DAYS, "storage_fee_per_day")


@transaction.atomic
def workshop_settings_update(*, actor: User, **changes: Any) -> Any:
    """The company's workshop knobs: reminders, unsent follow-up, loans, turnaround and free
    storage days (whole days, 0-365), the storage fee per day (yuan, 0-10,000)."""
    require(actor, Perm.WORKSHOP_RULES)
    if actor.station_id or actor.region_id:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    row = workshop_settings(company_of(actor))
    errors = Errors()
    before = {f: getattr(row, f) for f in SETTING_FIELDS}
    for name, value in changes.items():
        if name not in SETTING_FIELDS:
            errors.add(name, _("Unknown field."))
            continue
        if name == "storage_fee_per_day":
            try:
                fee = Decimal(str(value).strip() or "0").quantize(Decimal("0.01"))
                if not Decimal(0) <= fee <= Decimal(10000):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.add(name, _("Give the fee in yuan (0 to 10,000)."))
                continue
            row.storage_fee_per_day = fee
            continue
        try:
            days = int(value)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 365:
            errors.add(name, _("Give a whole number of days from 0 to 365."))
            continue
        setattr(row, name, days)
    errors.raise_if_any()
    row.save()
    after = {f: getattr(row, f) for f in SETTING_FIELDS}
    audit_record(
        actor=actor,
        action="workshop.settings",
        obj=row,
        changes={k: [str(before[k]), str(after[k])] for k in after if before[k] != after[k]},
    )
    return row


def _rule_scope(actor: User, station: Any) -> Any:
    """The station a turnaround rule is for (None: every station, company-level only)."""
    if station in (None, "", 0, "0"):
        if actor.station_id or actor.region_id:
            raise PermissionDenied("forbidden", _("You do not have permission to do this."))
        return None
    return _station_for(actor, station)


@transaction.atomic
def turnaround_rule_set(
    *, actor: User, station: Any = None, service_type: str = "", days: Any
) -> TurnaroundRule:
    """Promise `days` working days for a station, a service type, or both (0: no promise);
    replaces the rule already there for the same pair. Every station: company-level managers
    only; a station: whoever may run its workshop settings."""
    require(actor, Perm.WORKSHOP_RULES)
    found = _rule_scope(actor, station)
    service_type = (service_type or "").strip()
    errors = Errors()
    if service_type and service_type not in ServiceType.values:
        errors.add("service_type", _("Choose a service type."))
    if found is None and not service_type:
        errors.add(
            "station", _("Choose a station or a service type (the company setting is the default).")
        )
    try:
        n = int(str(days).strip())
    except (TypeError, ValueError):
        n = -1
    if not 0 <= n <= 365:
        errors.add("days", _("Give a whole number of days from 0 to 365."))
    errors.raise_if_any()
    row, _created = TurnaroundRule.objects.select_for_update().get_or_create(
        company_id=actor.company_id,
        station=found,
        service_type=service_type,
        defaults={"days": n},
    )
    before = None if _created else row.days
    row.days = n
    row.save()
    audit_record(
        actor=actor,
        action="workshop.turnaround_rule",
        obj=row,
        changes={"days": [before, n]},
    )
    return row


@transaction.atomic
def turnaround_rule_delete(*, actor: User, rule: Any) -> None:
    """Remove a turnaround rule (the next less specific one, or the company's, applies)."""
    require(actor, Perm.WORKSHOP_RULES)
    row = TurnaroundRule.objects.filter(company_id=company_of(actor), pk=as_id(rule)).first()
    if row is None:
        raise NotFound("not_found", _("Not found."))
    _rule_scope(actor, row.station_id)
    audit_record(
        actor=actor, action="workshop.turnaround_rule", obj=row, changes={"days": [row.days, None]}
    )
    row.delete()


@transaction.atomic
def station_workshop_update(
    *,
    actor: User,
    station: Any,
    mail_in_address: str = "",
    mail_in_recipient: str = "",
    mail_in_phone: str = "",
    qc_by_other: bool = False,
) -> Any:
    """A station's workshop: where mail-in units go (empty: no mail-in) and whether the
    quality check needs another person."""
    require(actor, Perm.WORKSHOP_RULES)
    found = _station_for(actor, station)
    row = station_workshop(found.pk)
    row.mail_in_address = (mail_in_address or "").strip()[:300]
    row.mail_in_recipient = (mail_in_recipient or "").strip()[:100]
    row.mail_in_phone = (mail_in_phone or "").strip()[:30]
    before = {"address": row.mail_in_address, "qc_by_other": row.qc_by_other}
    row.qc_by_other = bool(qc_by_other)
    row.save()
    audit_record(
        actor=actor,
        action="workshop.station",
        obj=row,
        changes={
            "address": [before["address"], row.mail_in_address],
            "qc_by_other": [before["qc_by_other"], row.qc_by_other],
        },
    )
    return row
