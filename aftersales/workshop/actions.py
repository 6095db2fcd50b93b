"""Every write of the workshop: jobs and their steps, counter intake and queue numbers,
handover, mail-in shipments, loaners and settings. Pages, the API and the jobs call these.

A job step locks the job (then its order, through the order actions), guards the move with
the transition table (`choices.MACHINE` on the shared kernel), writes the job's event, and
moves the service order as `rules.ORDER_STEP` says (docs/workshop.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Station, User
from aftersales.accounts.permissions import Perm, require
from aftersales.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply, record
from aftersales.orders.actions import order_transition
from aftersales.orders.choices import Status
from aftersales.orders.models import ServiceOrder
from aftersales.workshop import rules
from aftersales.workshop.choices import (
    MACHINE,
    JobStatus,
    Outcome,
    ReturnMethod,
    Route,
)
from aftersales.workshop.lock_objects import lock_job
from aftersales.workshop.models import WorkshopEvent, WorkshopJob
from aftersales.workshop.selectors import jobs_visible_to, station_workshop

COUNTER_VERBS = frozenset(
    {"receive", "accept_quote", "decline_quote", "hand_over", "ship_back", "deliver", "cancel"}
)
VERB_PERMS = {
    verb: (Perm.WORKSHOP_COUNTER if verb in COUNTER_VERBS else Perm.WORKSHOP_BENCH)
    for verb in MACHINE.table
}
# Verbs that come with more than a status (their own action records it).
RECORDED_VERBS = frozenset({"receive", "hand_over", "ship_back", "deliver"})
FREE_DECISIONS = frozenset({"return", "exchange", "free_repair"})


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
    from aftersales.feedback.actions import follow_up_open
    from aftersales.fieldwork.models import ServiceRecord

    done = order_transition(actor=None, order=order, action="complete", at=now, recorded=True)
    ServiceRecord.objects.filter(order=done, finished_at__isnull=True).update(
        finished_at=now, result="fixed"
    )
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
    return event  # type: ignore[return-value]


def effective_decision(job: WorkshopJob) -> str:
    """The 三包 decision that applies: a manager's override on the order, else the decision
    taken on the brought-in date."""
    order = job.order
    if (order.warranty_detail or {}).get("override"):
        return order.warranty_decision
    return job.warranty_decision or order.warranty_decision


def decide_warranty(job: WorkshopJob) -> None:
    """The 三包 decision for the unit on the day it was brought in (送修日期)."""
    from aftersales.warranty.actions import decide_for_unit

    order = job.order
    if order.unit_id is None or job.received_at is None:
        return
    decision, detail = decide_for_unit(order.unit, fault_code=order.fault_code, at=job.received_at)
    detail["brought_in"] = timezone.localtime(job.received_at).date().isoformat()
    job.warranty_decision, job.warranty_detail = decision, detail
    job.save(update_fields=["warranty_decision", "warranty_detail"])


def _tell_customer(job: WorkshopJob, event: str, context: dict[str, Any], key: str) -> None:
    from aftersales.notifications.actions import notify_customer

    order = job.order
    transaction.on_commit(
        lambda: notify_customer(
            company_id=order.company_id,
            customer=order.customer,
            event=event,
            context={"number": order.number, **context},
            dedupe_key=key,
        )
    )


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
) -> WorkshopJob:
    """A job for an order (one per order), inside the caller's transaction. A mail-in job
    waits for its unit; a counter or visit job is received at `received_at`."""
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
    now = received_at or timezone.now()
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
        decide_warranty(job)
    return job


@transaction.atomic
def job_from_visit(
    *, actor: User, order: ServiceOrder | int, station: Station | int | None = None, note: str = ""
) -> WorkshopJob:
    """A unit the technician took back from a visit (004 第十八条) continues at the workshop."""
    require(actor, Perm.WORKSHOP_COUNTER)
    from aftersales.orders.selectors import orders_visible_to

    found = orders_visible_to(actor).filter(pk=as_id(order)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    target = station or found.station_id or actor.station_id
    if target is None:
        raise ApplicationError("invalid", _("Choose a service station."), status=422)
    if actor.station_id and as_id(target) != actor.station_id:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    job = job_create(actor=actor, order=found, station=target, route="visit")
    if note:
        job.condition = note.strip()[:2000]
        job.save(update_fields=["condition"])
    return job


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
    now = timezone.now()
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
    from aftersales.accounts.permissions import has_perm

    return [
        v
        for v in MACHINE.available(job.status)
        if v not in RECORDED_VERBS and has_perm(actor, VERB_PERMS[v])
    ]


def pickup_secret() -> str:
    return settings.SECRET_KEY
