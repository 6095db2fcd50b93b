"""Replaying one checked row through the live actions, at the row's own time.

Each function takes the importer's context and a checked row, calls the same action the live
system calls (under `clock.at(row time, source="import")`, set by the caller), and returns the
id of the record it made (kept as the row's external id). An action's refusal (an illegal
transition in the source, a rule) propagates as its `ApplicationError`: the caller refuses the
row with it. A step the live flow needs but the source lacks is a `Gap`: recorded, not invented.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, Station, User
from aftersales.catalog.models import FaultCode, Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, Conflict, NotFound
from aftersales.core.validation import ValidationFailed
from aftersales.customers.actions import (
    address_add,
    customer_create,
    unit_create,
    unit_meter_record,
)
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.customers.validation import normalize_phone
from aftersales.dispatch.models import Visit
from aftersales.feedback.actions import (
    complaint_create,
    complaint_transition,
    follow_up_open,
    follow_up_record,
)
from aftersales.fieldwork import actions as field_actions
from aftersales.fieldwork.actions import payment_record_at, quote_accept_recorded
from aftersales.fieldwork.models import FeeItem
from aftersales.imports.format import Check
from aftersales.imports.models import ExternalRef
from aftersales.knowledge.actions import article_create, article_transition
from aftersales.maintenance.actions import service_done_record
from aftersales.orders import actions as orders
from aftersales.orders.actions import order_create, order_event
from aftersales.orders.choices import EventKind, Status
from aftersales.orders.models import ServiceOrder
from aftersales.workshop import actions as workshop_actions
from aftersales.workshop.choices import BENCH_VERBS
from aftersales.workshop.models import WorkshopJob


class Gap(Exception):
    """The source lacks a step the live flow needs; `detail` says which."""

    def __init__(self, detail: str, object_id: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.object_id = object_id


@dataclass
class Context:
    company: Company
    actor: User  # the office steps' actor (a service manager of the company)
    # (kind, external id) -> object id, for the refs this import made or found
    ids: dict[tuple[str, str], int | None] = field(default_factory=dict)
    # the source's staff names -> usernames here
    staff: dict[str, str] = field(default_factory=dict)
    # people and stations found so far (the replay changes neither): read once an import
    people: dict[Any, User] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)

    def user(self, pk: int) -> User:
        """A user of the company by id (an order's technician), read once an import."""
        if pk not in self.people:
            self.people[pk] = User.objects.get(pk=pk, company=self.company)
        return self.people[pk]

    def ref(self, kind: str, external_id: Any) -> int | None:
        if external_id in (None, ""):
            return None
        key = (kind, str(external_id))
        if key not in self.ids:
            self.ids[key] = (
                ExternalRef.objects.filter(
                    company=self.company, kind=kind, external_id=str(external_id)
                )
                .values_list("object_id", flat=True)
                .first()
            )
        return self.ids[key]


def import_username(company: Company) -> str:
    return f"history-import-{company.code}"[:150]


def import_actor(company: Company) -> User:
    """The company's history-import user: a service manager nobody logs in as, in whose name
    the office steps of the source (intake, dispatch, follow-up, complaints) are replayed."""
    username = import_username(company)
    found = User.objects.filter(username=username, company=company).first()
    if found is not None:
        return found
    return org.user_create(
        actor=None,
        username=username,
        password=secrets.token_urlsafe(32),
        role=Role.SERVICE_MANAGER,
        company=company,
        first_name="历史导入",
    )


def _refused(field_name: str, text: str) -> ValidationFailed:
    return ValidationFailed({field_name: text})


def _staff(ctx: Context, username: Any, **only: Any) -> User | None:
    """A user of the company by the source's name for them (through the staff map)."""
    name = ctx.staff.get(str(username), str(username))
    key = (name, tuple(sorted(only.items())))
    if key not in ctx.people:
        found = User.objects.filter(company=ctx.company, username=name, **only).first()
        if found is None:
            return None
        ctx.people[key] = found
    return ctx.people[key]


def _technician(ctx: Context, username: Any) -> User:
    found = _staff(ctx, username, role=Role.TECHNICIAN)
    if found is None:
        raise _refused("technician", _("Unknown technician “%(u)s”.") % {"u": username})
    return found


def _station(ctx: Context, code: Any) -> Station:
    if str(code) not in ctx.stations:
        found = Station.objects.filter(region__company=ctx.company, code=str(code)).first()
        if found is None:
            raise _refused("station", _("Unknown service station “%(c)s”.") % {"c": code})
        ctx.stations[str(code)] = found
    return ctx.stations[str(code)]


def _fault_code(ctx: Context, code: Any, unit: int | None = None) -> int | None:
    """A fault code (unique per product category, not per company): the one of the unit's
    category when the order has a unit and its category has the code, else the company's only
    one with the code; a code more than one category has is refused when the unit does not say
    which."""
    if code in (None, ""):
        return None
    found = FaultCode.objects.filter(category__company=ctx.company, code=str(code))
    if unit is not None:
        category = InstalledUnit.objects.filter(pk=unit).values("product_model__category_id")
        own = found.filter(category_id__in=category).values_list("pk", flat=True).first()
        if own is not None:
            return int(own)
    hits = list(found.values_list("pk", "category__code")[:3])
    if not hits:
        raise _refused("fault_code", _("Unknown fault code “%(c)s”.") % {"c": code})
    if len(hits) > 1:
        raise _refused(
            "fault_code",
            _(
                "The fault code “%(c)s” is in more than one product category (%(categories)s) "
                "and the order's unit does not say which."
            )
            % {"c": code, "categories": ", ".join(sorted(str(h[1]) for h in hits))},
        )
    return int(hits[0][0])


# --- records ---------------------------------------------------------------------------------


def customer(ctx: Context, check: Check) -> int:
    """A customer the company already has with this phone is resolved to, not duplicated."""
    row = check.row
    known = (
        Customer.objects.filter(company=ctx.company, phone=normalize_phone(str(row["phone"])))
        .values_list("pk", flat=True)
        .first()
    )
    if known is not None:
        return int(known)
    made = customer_create(
        actor=ctx.actor,
        name=str(row["name"]),
        phone=str(row["phone"]),
        kind=str(row.get("type") or "person"),
        email=str(row.get("email") or ""),
        notes=str(row.get("notes") or ""),
        address_line=str(row.get("address") or ""),
        postcode=str(row.get("postcode") or ""),
    )
    return int(made.pk)


def address(ctx: Context, check: Check) -> int:
    row = check.row
    owner = Customer.objects.get(pk=ctx.ref("customer", row["customer"]) or 0)
    known = owner.addresses.filter(line=str(row["line"]).strip()).values_list("pk", flat=True)
    if known:  # the same customer's same address: resolved to, not duplicated
        return int(known[0])
    made = address_add(
        actor=ctx.actor,
        customer=owner,
        line=str(row["line"]),
        postcode=str(row.get("postcode") or ""),
        is_default=bool(row.get("default")),
    )
    return int(made.pk)


def _product_model(ctx: Context, code: Any, category: Any) -> ProductModel:
    """A unit's model: model codes are unique per product category, so the row's `category`
    (code) says which when two categories have the model code; without it such a code is
    refused."""
    found = ProductModel.objects.filter(category__company=ctx.company, code=str(code))
    if category not in (None, ""):
        found = found.filter(category__code=str(category))
    hits = list(found.select_related("category")[:3])
    if not hits:
        raise _refused("model", _("Unknown product model “%(c)s”.") % {"c": code})
    if len(hits) > 1:
        raise _refused(
            "model",
            _(
                "The product model “%(c)s” is in more than one product category "
                "(%(categories)s): give the unit's category."
            )
            % {"c": code, "categories": ", ".join(sorted(h.category.code for h in hits))},
        )
    return hits[0]


def unit(ctx: Context, check: Check) -> int:
    row = check.row
    model = _product_model(ctx, row["model"], row.get("category"))
    # A unit the company already has (same model and serial) is resolved to, if it is the
    # same customer's; the action refuses a serial registered to someone else.
    owner = ctx.ref("customer", row["customer"]) or 0
    known = (
        InstalledUnit.objects.filter(
            product_model=model, serial=str(row["serial"]).strip().upper(), customer_id=owner
        )
        .values_list("pk", flat=True)
        .first()
    )
    if known is not None:
        return int(known)
    made = unit_create(
        actor=ctx.actor,
        customer=ctx.ref("customer", row["customer"]) or 0,
        product_model=model,
        serial=str(row["serial"]),
        purchase_date=row.get("purchase_date") or None,
        invoice_date=row.get("invoice_date") or None,
        installation_date=row.get("installation_date") or None,
        voucher_no=str(row.get("voucher_no") or ""),
        address=ctx.ref("address", row.get("address")),
    )
    return int(made.pk)


def reading(ctx: Context, check: Check) -> int:
    row = check.row
    made = unit_meter_record(
        actor=ctx.actor,
        unit=ctx.ref("unit", row["unit"]) or 0,
        kind=str(row["meter"]),
        value=Decimal(str(row["value"])),
        read_on=clock.today(),
        source="import",
        reference=check.external_id[:64],
        note=str(row.get("note") or ""),
    )
    return int(made.pk)


def order(ctx: Context, check: Check) -> int:
    row = check.row
    made, _created = order_create(
        actor=ctx.actor,
        customer=ctx.ref("customer", row["customer"]) or 0,
        unit=ctx.ref("unit", row.get("unit")),
        channel=str(row.get("channel") or "phone"),
        service_type=str(row.get("service_type") or "repair"),
        priority=str(row.get("priority") or "medium"),
        fault_description=str(row.get("fault") or ""),
        fault_code=_fault_code(ctx, row.get("fault_code"), ctx.ref("unit", row.get("unit"))),
        address=ctx.ref("address", row.get("address")),
        allow_duplicate=True,  # the source's history is what it is
    )
    return int(made.pk)


# --- an order's steps ------------------------------------------------------------------------


def event(ctx: Context, check: Check) -> int | None:
    row = check.row
    action = str(row["action"])
    # What the replay reads of the order itself; each action reads it again under lock.
    the_order = ServiceOrder.objects.only("id", "company", "status", "technician", "unit").get(
        pk=ctx.ref("order", row["order"]) or 0
    )
    reason = str(row.get("reason") or "")

    def tech() -> User:
        if row.get("technician"):
            return _technician(ctx, row["technician"])
        if the_order.technician_id is None:
            raise Gap("technician", the_order.pk)
        return ctx.user(the_order.technician_id)

    if action in ("triage", "close", "resume"):
        done = orders.order_transition(actor=ctx.actor, order=the_order, action=action)
    elif action in ("dispatch", "redispatch"):
        done = orders.order_transition(
            actor=ctx.actor, order=the_order, action=action, station=_station(ctx, row["station"])
        )
    elif action == "assign":
        done = orders.order_transition(
            actor=ctx.actor,
            order=the_order,
            action="assign",
            technician=_technician(ctx, row["technician"]),
        )
    elif action in ("pause_parts", "pause_customer"):
        verb = "wait_parts" if action == "pause_parts" else "wait_customer"
        done = orders.order_transition(actor=ctx.actor, order=the_order, action=verb, reason=reason)
    elif action == "cancel":
        done = orders.order_transition(
            actor=ctx.actor, order=the_order, action="cancel", reason=reason
        )
    elif action == "accept":
        done = field_actions.visit_accept(actor=tech(), order=the_order)
    elif action == "depart":
        done = field_actions.visit_depart(actor=tech(), order=the_order)
    elif action == "check_in":
        done = field_actions.visit_arrive(actor=tech(), order=the_order)
    elif action == "call":
        field_actions.visit_call(actor=tech(), order=the_order, note=reason)
        done = the_order
    elif action == "no_show":
        # The live rules: checked in, the wait past the appointment, a call tried first; a
        # source without the call has a gap (the no-show is not recorded without it).
        if the_order.status != Status.ON_SITE:
            raise Gap("check_in", the_order.pk)
        try:
            done = field_actions.visit_no_show(actor=tech(), order=the_order, reason=reason)
        except Conflict as exc:
            if exc.code != "call_first":
                raise
            raise Gap("call", the_order.pk) from None
    elif action == "decline":
        done = field_actions.visit_decline(actor=tech(), order=the_order, reason=reason)
    elif action == "cannot_keep":
        # The source says the appointment was called off: a late notice is recorded as such.
        done = field_actions.visit_cannot_keep(
            actor=tech(), order=the_order, reason=reason, late_ok=True
        )
    elif action == "diagnosis":
        if the_order.status != Status.ON_SITE:
            raise Gap("check_in", the_order.pk)
        codes = [_fault_code(ctx, c, the_order.unit_id) for c in row.get("fault_codes") or []]
        field_actions.record_diagnosis(
            actor=tech(),
            order=the_order,
            diagnosis=str(row.get("diagnosis") or ""),
            cause=str(row.get("cause") or "product_fault"),
            work_done=str(row.get("work_done") or ""),
            fault_codes=codes,
        )
        done = the_order
    elif action == "part_used":
        # Out of the technician's van, through the stock ledger (never below zero).
        if the_order.status != Status.ON_SITE:
            raise Gap("check_in", the_order.pk)
        part = Part.objects.filter(company=ctx.company, code=str(row["part"])).first()
        if part is None:
            raise _refused("part", _("Unknown part “%(c)s”.") % {"c": row["part"]})
        move = field_actions.record_part_used(
            actor=tech(),
            order=the_order,
            part=part.pk,
            quantity=row.get("quantity", 1),
            serial=str(row.get("serial") or ""),
            old_serial=str(row.get("old_serial") or ""),
        )
        return int(move.pk)
    elif action == "charge":
        if the_order.status != Status.ON_SITE:
            raise Gap("check_in", the_order.pk)
        quote = field_actions.quote_propose(
            actor=tech(), order=the_order, items=_quote_items(ctx, row["items"]), reason=reason
        )
        _accept_charged(ctx, quote)
        return int(quote.pk)
    elif action == "payment":
        return _payment(ctx, the_order, row, check.external_id)
    elif action == "complete":
        done = _complete(ctx, the_order, tech, row)
    elif action == "reopen":
        new = orders.order_reopen(actor=ctx.actor, order=the_order, reason=reason)
        ctx.ids[("order", str(row["new_order"]))] = new.pk
        return int(new.pk)
    else:  # the format refuses any other action
        raise ApplicationError("unknown_action", "unknown action", status=404)
    return int(done.pk)


def _accept_charged(ctx: Context, quote: Any) -> None:
    """The source charged the customer: the quote counts as accepted at the charge's time (the
    customer's account shows it), without a signature (the source has none): fieldwork's
    recorded acceptance, as any acceptance recorded from another system."""
    quote_accept_recorded(actor=ctx.actor, order=quote.order, note=SOURCE_NOTE)


# What the recorded fieldwork steps say of where they came from.
SOURCE_NOTE = "history import"


def _payment(ctx: Context, the_order: Any, row: dict[str, Any], external_id: str) -> int:
    """A customer payment of the order's charges, at its original time: fieldwork's recorded
    payment (the same receipt — the amount must be the charge's total — and `payment` event as
    the live payment, in the customer's account). Without a charge before it, a gap."""
    method = str(row.get("method") or "cash")
    reference = str(row.get("reference") or "")
    if method != "cash" and not reference:  # the source's own id stands for its reference
        reference = f"import:{external_id}"[:100]
    try:
        receipt = payment_record_at(
            actor=ctx.user(the_order.technician_id) if the_order.technician_id else ctx.actor,
            order=the_order,
            method=method,
            amount=row["amount"],
            reference=reference,
            note=SOURCE_NOTE,
        )
    except Conflict as exc:
        if exc.code != "quote_not_accepted":
            raise
        raise Gap("charge", the_order.pk) from None
    return int(receipt.pk)


def _quote_items(ctx: Context, items: list[Any]) -> list[dict[str, Any]]:
    """The source's charge lines (fee item or part code, quantity) as the quote takes them."""

    out: list[dict[str, Any]] = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        quantity = item.get("quantity", 1)
        if item.get("fee_item"):
            fee = FeeItem.objects.filter(company=ctx.company, code=str(item["fee_item"])).first()
            if fee is None:
                raise _refused("items", _("Unknown fee item “%(c)s”.") % {"c": item["fee_item"]})
            out.append({"fee_item": fee.pk, "quantity": quantity})
        elif item.get("part"):
            part = Part.objects.filter(company=ctx.company, code=str(item["part"])).first()
            if part is None:
                raise _refused("items", _("Unknown part “%(c)s”.") % {"c": item["part"]})
            out.append({"part": part.pk, "quantity": quantity})
        else:
            out.append({})
    return out


def _complete(ctx: Context, the_order: Any, tech: Callable[[], User], row: dict[str, Any]) -> Any:
    """The visit's result at the source's completion time. The live technician finishes on
    site with the customer's signature (`visit_finish`); the source has no signature, so the
    import records the completion (the same transition and the same `finish` event) through
    the order's recorded-transition path and opens the follow-up as the live finish does. An
    order that never checked in is not completed: the gap is recorded."""
    if the_order.status != Status.ON_SITE:
        raise Gap("check_in", the_order.pk)
    technician = tech()
    now = clock.now()
    result = str(row.get("result") or "fixed")
    orders.order_event(
        the_order,
        actor=technician,
        kind=EventKind.FIELD,
        action="finish",
        payload={"result": result, "rating": None, "imported": True, "signed_by": None},
        reason=str(row.get("reason") or ""),
        at=now,
    )
    done = orders.order_transition(
        actor=technician, order=the_order, action="complete", at=now, recorded=True
    )
    # The visit's service record is closed with the result, as the live finish leaves it
    # (`record_close`, the record's closing action); what the source lacks is noted.
    field_actions.record_close(order=done, now=now, result=result)
    Visit.objects.filter(order=done, ended_at__isnull=True).update(ended_at=now)
    note_gap(ctx, done, "signature", row)
    follow_up_open(order=done, now=now)
    return done


def note_gap(ctx: Context, the_order: Any, missing: str, step: dict[str, Any]) -> None:
    """The order's history says what the source lacks: a note event holding the source's
    step (the caller's moment and source)."""
    order_event(
        the_order,
        actor=ctx.actor,
        kind=EventKind.NOTE,
        action="import_gap",
        reason=_("Imported history lacks a step: %(what)s") % {"what": gap_words(missing)},
        payload={"missing": missing, "step": dict(step)},
    )


def gap_words(detail: str) -> str:
    words = {
        "check_in": _("no check-in before this step"),
        "technician": _("no technician assigned"),
        "quote_acceptance": _("no signed acceptance of the quote before the payment"),
        "signature": _("no customer signature in the source"),
        "charge": _("no charge before this payment"),
        "payment": _("no payment of the charges before the hand-over"),
        "call": _("no call to the customer before the no-show"),
    }
    return words.get(detail, detail)


def follow_up(ctx: Context, check: Check) -> int:
    row = check.row
    the_order = ServiceOrder.objects.get(pk=ctx.ref("order", row["order"]) or 0)
    task = follow_up_open(order=the_order)
    result = follow_up_record(actor=ctx.actor, follow_up=task, answers=dict(row["answers"]))
    return int(result.pk)


def complaint(ctx: Context, check: Check) -> int:
    row = check.row
    made = complaint_create(
        actor=ctx.actor,
        customer=ctx.ref("customer", row["customer"]),
        source=str(row.get("source") or "hotline"),
        category=str(row["category"]),
        severity=str(row["severity"]),
        description=str(row["description"]),
        order=ctx.ref("order", row.get("order")),
    )
    return int(made.pk)


def complaint_step(ctx: Context, check: Check) -> int:
    row = check.row
    made = complaint_transition(
        actor=ctx.actor,
        complaint=ctx.ref("complaint", row["complaint"]),
        action=str(row["action"]),
        text=str(row.get("text") or ""),
    )
    return int(made.pk)


def maintenance(ctx: Context, check: Check) -> int:
    """A maintenance service done: the imported (completed) order counts as the unit's next
    service under its plan, so the plan's next due date counts from it."""
    row = check.row
    visit = service_done_record(
        actor=ctx.actor,
        unit=ctx.ref("unit", row["unit"]) or 0,
        order=ctx.ref("order", row["order"]) or 0,
    )
    return int(visit.pk)


# --- workshop jobs ---------------------------------------------------------------------------


def workshop(ctx: Context, check: Check) -> int:
    """A workshop job of an imported order, received at the row's time (a mail-in job waits
    for its unit: its `receive` step), through the same job creation as the counter's."""
    row = check.row
    the_order = ServiceOrder.objects.select_for_update().get(pk=ctx.ref("order", row["order"]) or 0)
    job = workshop_actions.job_create(
        actor=ctx.actor,
        order=the_order,
        station=_station(ctx, row["station"]),
        route=str(row["route"]),
        return_method=str(row.get("return_method") or "pickup"),
        received_at=clock.now(),
        return_address=str(row.get("return_address") or ""),
        condition=str(row.get("condition") or ""),
    )
    return int(job.pk)


# Workshop steps done at the bench (by the job's technician unless the row says who); the
# others are the counter's (by the import's user unless the row says who).
BENCH_STEPS = frozenset({*BENCH_VERBS, "diagnosis", "quote", "part_used"})


def _step_actor(ctx: Context, job: WorkshopJob, row: dict[str, Any]) -> User:
    action = str(row["action"])
    if row.get("by"):
        found = _staff(ctx, row["by"])
        if found is None:
            raise _refused("by", _("Unknown member of staff “%(u)s”.") % {"u": row["by"]})
        return found
    if action not in BENCH_STEPS:
        return ctx.actor
    if job.technician is not None:
        return job.technician
    raise _refused("by", _("Say which member of staff did this bench step (“by”)."))


def workshop_step(ctx: Context, check: Check) -> int:
    """A step of a workshop job at its time, through the bench's and the counter's actions (the
    same guards: the transition table, the quality check by someone else where the station
    asks it, the station's stock, payment before shipping back). The source has no pickup
    code or signature: a hand-over is recorded as such and the gap noted on the order."""
    row = check.row
    job = WorkshopJob.objects.select_related("technician").get(
        pk=ctx.ref("workshop", row["job"]) or 0
    )
    actor = _step_actor(ctx, job, row)
    try:
        _job_step(ctx, check, job, actor)
    except NotFound as exc:
        if exc.code != "not_found":
            raise
        # the job is there: the actions' "not found" means out of the member of staff's scope
        raise _refused(
            "by",
            _("%(u)s does not work at this job's station.") % {"u": actor.username},
        ) from None
    return int(job.pk)


def _job_step(ctx: Context, check: Check, job: WorkshopJob, actor: User) -> None:
    row = check.row
    action = str(row["action"])
    reason = str(row.get("reason") or "")
    ws = workshop_actions
    if action == "receive":
        ws.mail_in_receive(
            actor=actor,
            job=job.pk,
            condition=str(row.get("condition") or ""),
            accessories=[str(a) for a in row.get("accessories") or []],
        )
    elif action == "diagnosis":
        codes = [_fault_code(ctx, c, job.order.unit_id) for c in row.get("fault_codes") or []]
        ws.bench_diagnosis(
            actor=actor,
            job=job.pk,
            diagnosis=str(row.get("diagnosis") or ""),
            cause=str(row.get("cause") or "product_fault"),
            work_done=str(row.get("work_done") or ""),
            fault_codes=codes,
        )
    elif action == "quote":
        items = _quote_items(ctx, row["items"])
        ws.bench_quote(actor=actor, job=job.pk, items=items, reason=reason)
    elif action == "part_used":
        part = Part.objects.filter(company=ctx.company, code=str(row["part"])).first()
        if part is None:
            raise _refused("part", _("Unknown part “%(c)s”.") % {"c": row["part"]})
        ws.bench_part_used(
            actor=actor,
            job=job.pk,
            part=part.pk,
            quantity=row.get("quantity", 1),
            serial=str(row.get("serial") or ""),
            old_serial=str(row.get("old_serial") or ""),
        )
    elif action == "payment":
        method = str(row.get("method") or "cash")
        reference = str(row.get("reference") or "")
        if method != "cash" and not reference:
            reference = f"import:{check.external_id}"[:100]
        ws.job_payment(
            actor=actor, job=job.pk, method=method, amount=row["amount"], reference=reference
        )
    elif action == "hand_over":
        unpaid = ws.unpaid_quote(job)
        ws.job_hand_over_recorded(
            actor=actor,
            job=job.pk,
            picked_up_by=str(row.get("picked_up_by") or ""),
            note=SOURCE_NOTE,
        )
        note_gap(ctx, job.order, "signature", row)
        if unpaid is not None:
            note_gap(ctx, job.order, "payment", row)
    elif action == "ship_back":
        ws.job_ship_back(
            actor=actor,
            job=job.pk,
            carrier=str(row["carrier"]),
            tracking_no=str(row["tracking_no"]),
        )
    elif action == "deliver":
        ws.job_deliver(actor=actor, job=job.pk)
    elif action == "cancel":
        ws.mail_in_cancel(actor=actor, job=job.pk, reason=reason)
    else:  # the job's own verbs (the format refuses any other action)
        ws.job_step(actor=actor, job=job.pk, verb=action, reason=reason)


def _codes(ctx: Context, model: Any, field_name: str, codes: list[Any], **scope: Any) -> list[int]:
    """The ids of the company's records with these codes; an unknown code refuses the row."""
    out: list[int] = []
    for code in codes:
        found = model.objects.filter(code=str(code), **scope).values_list("pk", flat=True).first()
        if found is None:
            raise _refused(field_name, _("Unknown code “%(c)s”.") % {"c": code})
        out.append(int(found))
    return out


def _category_codes(
    ctx: Context, model: Any, field_name: str, codes: list[Any], category: int | None
) -> list[int]:
    """Product-model and fault codes are unique per product category, not per company. An entry
    `{"category": C, "code": X}` names its category; a bare code is looked up in the article's
    category when the row gives one, otherwise in the whole company, where a code that more than
    one category has is refused (the row must say which)."""
    out: list[int] = []
    for entry in codes:
        found = model.objects.filter(category__company=ctx.company)
        if isinstance(entry, dict):
            code, in_category = str(entry.get("code") or ""), str(entry.get("category") or "")
            found = found.filter(category__code=in_category, code=code)
        else:
            code, in_category = str(entry), ""
            found = found.filter(code=code)
            if category is not None:
                found = found.filter(category_id=category)
        hits = list(found.values_list("pk", "category__code")[:3])
        if not hits:
            if in_category or category is None:
                raise _refused(field_name, _("Unknown code “%(c)s”.") % {"c": code})
            raise _refused(
                field_name, _("Unknown code “%(c)s” in the article's category.") % {"c": code}
            )
        if len(hits) > 1:
            raise _refused(
                field_name,
                _(
                    "The code “%(c)s” is in more than one product category (%(categories)s): "
                    "give the article's category, or the code's own category with the code."
                )
                % {"c": code, "categories": ", ".join(sorted(str(h[1]) for h in hits))},
            )
        out.append(int(hits[0][0]))
    return out


def _author(ctx: Context, username: Any) -> User:
    """The member of staff who wrote an article: a user of the company by username (through
    the staff map, as technicians are), whatever their role; the draft is theirs."""
    found = _staff(ctx, username)
    if found is None:
        raise _refused("author", _("Unknown member of staff “%(u)s”.") % {"u": username})
    return found


def article(ctx: Context, check: Check) -> int:
    """A knowledge article, written as a draft at the row's time by its `author` (a member of
    staff here who may write drafts), else by the import's user."""
    row = check.row
    company = ctx.company
    category = None
    if row.get("category"):
        category = _codes(ctx, ProductCategory, "category", [row["category"]], company=company)[0]
    made = article_create(
        actor=_author(ctx, row["author"]) if row.get("author") else ctx.actor,
        kind=str(row["type"]),
        title=str(row["title"]),
        body=str(row.get("body") or ""),
        language=str(row.get("language") or "zh-hans"),
        category=category,
        product_models=_category_codes(
            ctx, ProductModel, "models", row.get("models") or [], category
        ),
        fault_codes=_category_codes(
            ctx, FaultCode, "fault_codes", row.get("fault_codes") or [], category
        ),
        parts=_codes(ctx, Part, "parts", row.get("parts") or [], company=company),
        tags=row.get("tags") or "",
    )
    return int(made.pk)


def article_step(ctx: Context, check: Check) -> int:
    row = check.row
    made = article_transition(
        actor=ctx.actor,
        article=ctx.ref("article", row["article"]) or 0,
        verb=str(row["action"]),
        reason=str(row.get("reason") or ""),
    )
    return int(made.pk)


REPLAY: dict[str, Callable[[Context, Check], int | None]] = {
    "customer": customer,
    "address": address,
    "unit": unit,
    "reading": reading,
    "order": order,
    "event": event,
    "follow_up": follow_up,
    "complaint": complaint,
    "complaint_step": complaint_step,
    "maintenance": maintenance,
    "workshop": workshop,
    "workshop_step": workshop_step,
    "article": article,
    "article_step": article_step,
}


def moment(check: Check) -> dt.datetime:
    assert check.at is not None
    return check.at
