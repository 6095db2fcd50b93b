"""Workshop repair over the API: jobs and their steps, the counter (numbers, intake,
handover), the bench, mail-in shipments and loaners. The same actions the pages call; the
same role and station scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.api.customers import ERRORS
from aftersales.core.errors import PermissionDenied
from aftersales.core.selectors import get_visible
from aftersales.workshop import actions, selectors
from aftersales.workshop.choices import AT_WORKSHOP, MACHINE
from aftersales.workshop.models import WorkshopJob

router = Router(tags=["workshop"])


def _workshop_user(request: AuthedRequest) -> Any:
    if not selectors.may_use_workshop(request.user):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    return request.user


class WorkshopEventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    reason: str
    actor_id: int | None
    payload: dict[str, Any]


class ShipmentOut(Schema):
    id: int
    direction: str
    carrier: str
    tracking_no: str
    weight_kg: Decimal | None
    cost: Decimal
    shipped_at: dt.datetime
    received_at: dt.datetime | None
    tracking_url: str


class JobOut(Schema):
    id: int
    order_id: int
    number: str
    station_id: int
    status: str
    status_label: str
    route: str
    return_method: str
    received_at: dt.datetime | None
    status_since: dt.datetime
    technician_id: int | None
    warranty_decision: str
    outcome: str
    condition: str
    accessories: list[str]
    ready_at: dt.datetime | None
    returned_at: dt.datetime | None
    ready_due: dt.datetime | None = Field(None, description="The promised ready time.")
    turnaround_state: str = Field(
        "", description="met / late / paused / overdue / due, or empty without a promise."
    )
    storage_days: int = 0
    storage_fee: Decimal = Field(Decimal("0.00"), description="Storage fee charged at pickup.")
    loaner_due_at: dt.datetime | None = Field(
        None, description="Since when the car rule's loaner (from day 6) is due."
    )
    version: int
    next_steps: list[str]


class JobDetailOut(JobOut):
    events: list[WorkshopEventOut]
    shipments: list[ShipmentOut]
    storage_due_days: int = 0
    storage_due: Decimal = Field(
        Decimal("0.00"), description="The storage fee the unit owes if picked up now."
    )


def _job_out(request: AuthedRequest, job: WorkshopJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "order_id": job.order_id,
        "number": job.order.number,
        "station_id": job.station_id,
        "status": job.status,
        "status_label": str(MACHINE.status_label(job.status)),
        "route": job.route,
        "return_method": job.return_method,
        "received_at": job.received_at,
        "status_since": job.status_since,
        "technician_id": job.technician_id,
        "warranty_decision": actions.effective_decision(job),
        "outcome": job.outcome,
        "condition": job.condition,
        "accessories": list(job.accessories or []),
        "ready_at": job.ready_at,
        "returned_at": job.returned_at,
        "ready_due": job.ready_due,
        "turnaround_state": actions.turnaround_state(job),
        "storage_days": job.storage_days,
        "storage_fee": job.storage_fee,
        "loaner_due_at": job.loaner_due_at,
        "version": job.version,
        "next_steps": actions.bench_available(request.user, job),
    }


def _detail(request: AuthedRequest, pk: int) -> dict[str, Any]:
    job = get_visible(selectors.jobs_visible_to(request.user).select_related("order"), pk)
    out = _job_out(request, job)
    out["events"] = list(job.events.order_by("at", "id"))
    out["storage_due_days"], out["storage_due"] = actions.storage_due(job)
    out["shipments"] = [
        {
            **{f: getattr(s, f) for f in ShipmentOut.model_fields if f != "tracking_url"},
            "tracking_url": selectors.tracking_url(s.tracking_no),
        }
        for s in job.shipments.all()
    ]
    return out


@router.get("/workshop/jobs", response={200: list[JobOut], **ERRORS})
def job_list(
    request: AuthedRequest, status: str = "", station_id: int | None = None, open: bool = True
) -> Any:
    """Jobs in scope, newest first (at most 200): at the workshop by default."""
    _workshop_user(request)
    qs = selectors.jobs_visible_to(request.user).select_related("order")
    if status:
        qs = qs.filter(status=status)
    elif open:
        qs = qs.filter(status__in=AT_WORKSHOP | {"awaiting_unit", "shipped_back"})
    if station_id:
        qs = qs.filter(station_id=station_id)
    return [_job_out(request, j) for j in qs.order_by("-id")[:200]]


@router.get("/workshop/jobs/{job_id}", response={200: JobDetailOut, **ERRORS})
def job_detail(request: AuthedRequest, job_id: int) -> Any:
    _workshop_user(request)
    return _detail(request, job_id)


class WorkshopStepIn(Schema):
    reason: str = ""
    version: int | None = None


@router.post("/workshop/jobs/{job_id}/steps/{verb}", response={200: JobDetailOut, **ERRORS})
def job_step(request: AuthedRequest, job_id: int, verb: str, payload: WorkshopStepIn) -> Any:
    """A step of the job (diagnose, confirm_warranty, accept_quote, decline_quote, wait_parts,
    parts_arrived, start_repair, finish_repair, qc_pass, qc_fail)."""
    _workshop_user(request)
    actions.job_step(
        actor=request.user,
        job=job_id,
        verb=verb,
        reason=payload.reason,
        version=payload.version,
    )
    return _detail(request, job_id)


# --- the counter -------------------------------------------------------------------------


class TicketIn(Schema):
    station_id: int
    purpose: str
    phone: str = ""


class TicketOut(Schema):
    id: int
    label: str
    purpose: str
    status: str
    desk: str
    taken_at: dt.datetime
    called_at: dt.datetime | None


@router.post("/workshop/tickets", response={201: TicketOut, **ERRORS})
def ticket_take(request: AuthedRequest, payload: TicketIn) -> Any:
    ticket = actions.ticket_take(
        actor=request.user,
        station=payload.station_id,
        purpose=payload.purpose,
        phone=payload.phone,
    )
    return Status(201, ticket)


class WorkshopCallIn(Schema):
    station_id: int
    desk: str
    purpose: str | None = None


@router.post("/workshop/tickets/call", response={200: TicketOut, 204: None, **ERRORS})
def ticket_call(request: AuthedRequest, payload: WorkshopCallIn) -> Any:
    """Call the longest-waiting number to a desk (204: nobody waits)."""
    ticket = actions.ticket_call_next(
        actor=request.user,
        station=payload.station_id,
        desk=payload.desk,
        purpose=payload.purpose,
    )
    return ticket if ticket is not None else Status(204, None)


class HallOut(Schema):
    called: list[dict[str, str]]
    waiting: int


@router.get("/workshop/hall/{station_id}", response={200: HallOut, **ERRORS})
def hall(request: AuthedRequest, station_id: int) -> Any:
    require(request.user, Perm.WORKSHOP_COUNTER)
    station = get_visible(selectors.workshop_stations(request.user), station_id)
    return selectors.hall_display(station.pk)


class IntakeIn(Schema):
    station_id: int
    customer_id: int
    unit_id: int
    fault_description: str = ""
    condition: str
    accessories: list[str] = []
    has_data: bool = False
    data_backup_acknowledged: bool = False
    signature: str
    signer_name: str = ""
    ticket_id: int | None = None
    order_id: int | None = None
    return_method: str = "pickup"
    return_address: str = ""
    allow_duplicate: bool = False


class IntakeOut(Schema):
    job: JobDetailOut
    # Shown once (and sent to the customer): only a digest is kept.
    pickup_code: str


@router.post("/workshop/intake", response={201: IntakeOut, **ERRORS})
def intake(request: AuthedRequest, payload: IntakeIn) -> Any:
    """A walk-in customer hands a unit over at the counter (photos: the page, or attach them
    to the order afterwards)."""
    job, code = actions.counter_intake(
        actor=request.user,
        station=payload.station_id,
        customer=payload.customer_id,
        unit=payload.unit_id,
        fault_description=payload.fault_description,
        condition=payload.condition,
        accessories=payload.accessories,
        has_data=payload.has_data,
        data_backup_acknowledged=payload.data_backup_acknowledged,
        signature=payload.signature,
        signer_name=payload.signer_name,
        ticket=payload.ticket_id,
        order=payload.order_id,
        return_method=payload.return_method,
        return_address=payload.return_address,
        allow_duplicate=payload.allow_duplicate,
    )
    return Status(201, {"job": _detail(request, job.pk), "pickup_code": code})


class HandOverIn(Schema):
    signature: str
    code: str = ""
    id_document: str = ""
    picked_up_by: str = ""
    payment_method: str = ""
    amount: Decimal | None = None
    reference: str = ""
    loaner_returned: bool = False


@router.post("/workshop/jobs/{job_id}/hand-over", response={200: JobDetailOut, **ERRORS})
def hand_over(request: AuthedRequest, job_id: int, payload: HandOverIn) -> Any:
    actions.job_hand_over(actor=request.user, job=job_id, **payload.dict())
    return _detail(request, job_id)


# --- the bench ---------------------------------------------------------------------------


class DiagnosisIn(Schema):
    diagnosis: str
    cause: str
    work_done: str = ""
    fault_codes: list[int] = []


@router.post("/workshop/jobs/{job_id}/diagnosis", response={200: JobDetailOut, **ERRORS})
def diagnosis(request: AuthedRequest, job_id: int, payload: DiagnosisIn) -> Any:
    actions.bench_diagnosis(actor=request.user, job=job_id, **payload.dict())
    return _detail(request, job_id)


class QuoteItemIn(Schema):
    fee_item: int | None = None
    part: int | None = None
    quantity: Decimal = Decimal(1)


class QuoteIn(Schema):
    items: list[QuoteItemIn]
    reason: str = ""


@router.post("/workshop/jobs/{job_id}/quote", response={200: JobDetailOut, **ERRORS})
def quote(request: AuthedRequest, job_id: int, payload: QuoteIn) -> Any:
    actions.bench_quote(
        actor=request.user,
        job=job_id,
        items=[i.dict() for i in payload.items],
        reason=payload.reason,
    )
    return _detail(request, job_id)


class WorkshopPartIn(Schema):
    part_id: int
    quantity: int = 1
    serial: str = ""
    old_serial: str = ""


@router.post("/workshop/jobs/{job_id}/parts", response={200: JobDetailOut, **ERRORS})
def part_used(request: AuthedRequest, job_id: int, payload: WorkshopPartIn) -> Any:
    actions.bench_part_used(
        actor=request.user,
        job=job_id,
        part=payload.part_id,
        quantity=payload.quantity,
        serial=payload.serial,
        old_serial=payload.old_serial,
    )
    return _detail(request, job_id)


class TestIn(Schema):
    name: str
    passed: bool
    note: str = ""


@router.post("/workshop/jobs/{job_id}/tests", response={200: JobDetailOut, **ERRORS})
def test_result(request: AuthedRequest, job_id: int, payload: TestIn) -> Any:
    actions.bench_test(actor=request.user, job=job_id, **payload.dict())
    return _detail(request, job_id)


# --- mail-in -------------------------------------------------------------------------------


class MailInIn(Schema):
    station_id: int
    customer_id: int
    unit_id: int
    fault_description: str
    return_address: str
    allow_duplicate: bool = False


@router.post("/workshop/mail-in", response={201: JobDetailOut, **ERRORS})
def mail_in(request: AuthedRequest, payload: MailInIn) -> Any:
    job = actions.mail_in_request(
        actor=request.user,
        station=payload.station_id,
        customer=payload.customer_id,
        unit=payload.unit_id,
        fault_description=payload.fault_description,
        return_address=payload.return_address,
        allow_duplicate=payload.allow_duplicate,
    )
    return Status(201, _detail(request, job.pk))


class MatchOut(Schema):
    job_id: int
    number: str


@router.get("/workshop/mail-in/match", response={200: MatchOut, **ERRORS})
def mail_in_match(request: AuthedRequest, reference: str) -> Any:
    """The request a parcel belongs to (request number or inbound tracking number)."""
    job = actions.mail_in_match(actor=request.user, reference=reference)
    return {"job_id": job.pk, "number": job.order.number}


class ShipmentIn(Schema):
    direction: str
    carrier: str
    tracking_no: str
    weight_kg: Decimal | None = None
    cost: Decimal | None = None


@router.post("/workshop/jobs/{job_id}/shipments", response={201: JobDetailOut, **ERRORS})
def shipment(request: AuthedRequest, job_id: int, payload: ShipmentIn) -> Any:
    """inbound: the customer's parcel to the workshop; outbound: ship the unit back."""
    fields = payload.dict(exclude={"direction"})
    if payload.direction == "outbound":
        actions.job_ship_back(actor=request.user, job=job_id, **fields)
    else:
        actions.inbound_shipment_record(actor=request.user, job=job_id, **fields)
    return Status(201, _detail(request, job_id))


class ReceiveIn(Schema):
    condition: str
    accessories: list[str] = []
    has_data: bool = False


@router.post("/workshop/jobs/{job_id}/receive", response={200: IntakeOut, **ERRORS})
def receive(request: AuthedRequest, job_id: int, payload: ReceiveIn) -> Any:
    job, code = actions.mail_in_receive(actor=request.user, job=job_id, **payload.dict())
    return {"job": _detail(request, job.pk), "pickup_code": code}


@router.post("/workshop/jobs/{job_id}/deliver", response={200: JobDetailOut, **ERRORS})
def deliver(request: AuthedRequest, job_id: int) -> Any:
    actions.job_deliver(actor=request.user, job=job_id)
    return _detail(request, job_id)


# --- loaners ---------------------------------------------------------------------------------


class LendIn(Schema):
    loaner_id: int
    deposit: Decimal = Decimal(0)


@router.post("/workshop/jobs/{job_id}/loaner", response={201: JobDetailOut, **ERRORS})
def lend(request: AuthedRequest, job_id: int, payload: LendIn) -> Any:
    actions.loaner_lend(
        actor=request.user,
        job=job_id,
        loaner=payload.loaner_id,
        deposit=payload.deposit,
    )
    return Status(201, _detail(request, job_id))


class LoanOut(Schema):
    id: int
    loaner_id: int
    job_id: int
    lent_at: dt.datetime
    due_at: dt.datetime | None
    deposit: Decimal
    statutory: bool = False


@router.get("/workshop/loans/overdue", response={200: list[LoanOut], **ERRORS})
def overdue(request: AuthedRequest) -> Any:
    require(request.user, Perm.WORKSHOP_COUNTER)
    return list(selectors.overdue_loans(request.user)[:500])


@router.get("/workshop/loaners/owed", response={200: list[JobOut], **ERRORS})
def loaners_owed(request: AuthedRequest) -> Any:
    """Jobs whose car has been in repair over 5 days with no loaner lent (the car rule)."""
    require(request.user, Perm.WORKSHOP_COUNTER)
    return [_job_out(request, j) for j in selectors.loaners_owed(request.user)[:500]]


# --- turnaround by station and service type ----------------------------------------------------


class TurnaroundRuleOut(Schema):
    id: int
    station_id: int | None = Field(description="None: every station")
    service_type: str = Field(description='"": every service type')
    days: int = Field(description="Working days from the brought-in moment (0: no promise)")


class TurnaroundRuleIn(Schema):
    station_id: int | None = None
    service_type: str = ""
    days: int


class TurnaroundOut(Schema):
    default_days: int = Field(description="The company's setting: where no rule applies")
    rules: list[TurnaroundRuleOut]


@router.get("/workshop/turnaround", response={200: TurnaroundOut, **ERRORS})
def turnaround_list(request: AuthedRequest) -> Any:
    """The turnaround promise: the company's default and the rules by station and service
    type (the most specific applies: station and type, then station, then type)."""
    require(request.user, Perm.WORKSHOP_RULES)
    return {
        "default_days": selectors.workshop_settings(company_of(request.user)).turnaround_days,
        "rules": list(selectors.turnaround_rules(request.user)[:500]),
    }


@router.put("/workshop/turnaround", response={200: TurnaroundRuleOut, **ERRORS})
def turnaround_set(request: AuthedRequest, body: TurnaroundRuleIn) -> Any:
    """Set the promise for a station, a service type, or both (replaces the rule there)."""
    return actions.turnaround_rule_set(
        actor=request.user, station=body.station_id, service_type=body.service_type, days=body.days
    )


@router.delete("/workshop/turnaround/{rule_id}", response={204: None, **ERRORS})
def turnaround_delete(request: AuthedRequest, rule_id: int) -> Any:
    actions.turnaround_rule_delete(actor=request.user, rule=rule_id)
    return Status(204, None)
