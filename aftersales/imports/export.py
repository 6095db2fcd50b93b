"""The same JSON Lines shape, exported for a company or one customer (PIPL: a person's data).

Records first (customers, addresses, units, meter readings), then each order's history in time
order (the order, its events, its charges and payments, its workshop job with its steps, its
follow-up), then complaints with their steps. Ids are the external ids the records were
imported with, else `<kind>-<id>`. Order steps the format does not carry (revisit, solved on
the phone...),
and a charge with a line from neither the fee schedule nor the price list, are counted in
`skipped` and left out. A charge's lines name their fee item or part and quantity: imported
again, they are priced from the catalogue of the day of the import (as the live quote is), so
the amounts are the same while the prices are.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aftersales.accounts.models import Company, Station, User
from aftersales.accounts.permissions import Perm, require
from aftersales.customers.models import Address, Customer, InstalledUnit, MeterReading
from aftersales.feedback.models import Complaint, ComplaintEvent, FollowUpResult
from aftersales.fieldwork.choices import QuoteStatus
from aftersales.fieldwork.models import Quote, Receipt, ServiceRecord
from aftersales.imports.format import ARTICLE_STEPS
from aftersales.imports.models import ExternalRef
from aftersales.imports.replay import import_username
from aftersales.knowledge.models import Article, ArticleEvent
from aftersales.maintenance.choices import VisitState
from aftersales.maintenance.models import MaintenanceVisit
from aftersales.orders.choices import EventKind
from aftersales.orders.models import OrderEvent, ServiceOrder
from aftersales.workshop.choices import BENCH_VERBS
from aftersales.workshop.models import WorkshopEvent, WorkshopJob

# The order transitions the format carries: live action -> file action.
TRANSITION_ACTIONS = {
    "triage": "triage",
    "dispatch": "dispatch",
    "redispatch": "redispatch",
    "assign": "assign",
    "accept": "accept",
    "depart": "depart",
    "arrive": "check_in",
    "no_show": "no_show",
    "decline": "decline",
    "cannot_keep": "cannot_keep",
    "wait_parts": "pause_parts",
    "wait_customer": "pause_customer",
    "resume": "resume",
    "complete": "complete",
    "close": "close",
    "cancel": "cancel",
}


@dataclass
class Exported:
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0

    def text(self) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows)


class _Ids:
    def __init__(self, company_id: int) -> None:
        self.company_id = company_id
        self.cache: dict[tuple[str, int], str] = {}

    def load(self, kind: str, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            for ref in ExternalRef.objects.filter(
                company_id=self.company_id, kind=kind, object_id__in=ids[start : start + 500]
            ):
                assert ref.object_id is not None
                self.cache.setdefault((kind, ref.object_id), ref.external_id)

    def of(self, kind: str, pk: int | None) -> str | None:
        if pk is None:
            return None
        return self.cache.get((kind, pk), f"{kind}-{pk}")


def _at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v not in (None, "", [], {})}


def history_export(*, actor: User, customer: Customer | int | None = None) -> Exported:
    """The company's history (or one customer's) as JSON Lines rows."""
    require(actor, Perm.HISTORY_IMPORT)
    company_id = actor.company_id
    assert company_id is not None
    customers = Customer.objects.filter(company_id=company_id).order_by("created_at", "pk")
    if customer is not None:
        customers = customers.filter(pk=getattr(customer, "pk", customer))
    ids = _Ids(company_id)
    out = Exported()
    people = list(customers)
    ids.load("customer", [c.pk for c in people])
    addresses = list(Address.objects.filter(customer__in=people).order_by("pk"))
    ids.load("address", [a.pk for a in addresses])
    units = list(
        InstalledUnit.objects.filter(customer__in=people)
        .select_related("product_model__category")
        .order_by("pk")
    )
    ids.load("unit", [u.pk for u in units])
    orders = list(
        ServiceOrder.objects.filter(customer__in=people)
        .select_related("fault_code")
        .order_by("created_at", "pk")
    )
    ids.load("order", [o.pk for o in orders])
    for c in people:
        out.rows.append(
            _clean(
                {
                    "kind": "customer",
                    "id": ids.of("customer", c.pk),
                    "at": _at(c.created_at),
                    "name": c.name,
                    "phone": c.phone,
                    "type": c.kind,
                    "email": c.email,
                    "notes": c.notes,
                }
            )
        )
    created = {c.pk: c.created_at for c in people}
    for a in addresses:
        out.rows.append(
            _clean(
                {
                    "kind": "address",
                    "id": ids.of("address", a.pk),
                    "at": _at(created[a.customer_id]),
                    "customer": ids.of("customer", a.customer_id),
                    "line": a.line,
                    "postcode": a.postcode,
                    "default": a.is_default or None,
                }
            )
        )
    for u in units:
        out.rows.append(
            _clean(
                {
                    "kind": "unit",
                    "id": ids.of("unit", u.pk),
                    "at": _at(created[u.customer_id]),
                    "customer": ids.of("customer", u.customer_id),
                    "model": u.product_model.code,
                    # model codes are unique per category: the import needs both
                    "category": u.product_model.category.code,
                    "serial": u.serial,
                    "purchase_date": u.purchase_date and u.purchase_date.isoformat(),
                    "invoice_date": u.invoice_date and u.invoice_date.isoformat(),
                    "installation_date": u.installation_date and u.installation_date.isoformat(),
                    "voucher_no": u.voucher_no,
                    "address": ids.of("address", u.address_id),
                }
            )
        )
    readings = MeterReading.objects.filter(unit__in=units).order_by("read_on", "pk")
    for r in readings:
        moment = dt.datetime.combine(r.read_on, dt.time(9)).isoformat() + "+08:00"
        out.rows.append(
            _clean(
                {
                    "kind": "reading",
                    "id": f"reading-{r.pk}",
                    "at": moment,
                    "unit": ids.of("unit", r.unit_id),
                    "meter": r.kind,
                    "value": str(r.value),
                    "note": r.note,
                }
            )
        )
    for rows in _orders(orders, ids, out):
        out.rows += rows
    out.rows += list(_complaints(people, ids))
    if customer is None:  # the company's knowledge articles (not a customer's data)
        out.rows += list(_articles(company_id, ids))
    return out


def _articles(company_id: int, ids: _Ids) -> Iterator[dict[str, Any]]:
    """Knowledge articles as drafts at their creation, then their review steps at theirs."""
    articles = list(
        Article.objects.filter(company_id=company_id)
        .select_related("category", "author")
        .prefetch_related("product_models__category", "fault_codes__category", "parts")
        .order_by("created_at", "pk")
    )
    ids.load("article", [a.pk for a in articles])
    import_user = import_username(Company.objects.get(pk=company_id))
    steps_of: dict[int, list[ArticleEvent]] = {}
    for found in ArticleEvent.objects.filter(article__in=articles).order_by("at", "pk"):
        steps_of.setdefault(found.article_id, []).append(found)
    for a in articles:
        yield _clean(
            {
                "kind": "article",
                "id": ids.of("article", a.pk),
                "at": _at(a.created_at),
                "type": a.kind,
                "title": a.title,
                "body": a.body,
                "language": a.language,
                "category": a.category.code if a.category else None,
                "models": _category_codes(a, a.product_models.all()) or None,
                "fault_codes": _category_codes(a, a.fault_codes.all()) or None,
                "parts": sorted(p.code for p in a.parts.all()) or None,
                "tags": a.tags,
                # the import's own user stands for "no author in the source": left out
                "author": None if a.author.username == import_user else a.author.username,
            }
        )
        for step in steps_of.get(a.pk, []):
            if step.action in ARTICLE_STEPS:
                yield _clean(
                    {
                        "kind": "article_step",
                        "id": f"article_step-{step.pk}",
                        "at": _at(step.at),
                        "article": ids.of("article", a.pk),
                        "action": step.action,
                        "reason": step.reason,
                    }
                )


def _category_codes(article: Any, linked: Any) -> list[Any]:
    """An article's product models or fault codes (unique per product category): a bare code
    when it is of the article's own category, else the code with its category, so the import
    finds the same record whatever other category shares the code."""
    own = sorted(x.code for x in linked if x.category_id == article.category_id)
    other = sorted(
        (
            {"category": x.category.code, "code": x.code}
            for x in linked
            if x.category_id != article.category_id
        ),
        key=lambda e: (e["category"], e["code"]),
    )
    return [*own, *other]


def _orders(orders: list[ServiceOrder], ids: _Ids, out: Exported) -> Iterator[list[dict[str, Any]]]:
    stations = dict(Station.objects.values_list("pk", "code"))
    company_id = ids.company_id
    # who took a workshop step (the import's own user stands for nobody in particular)
    staff = dict(
        User.objects.filter(company_id=company_id)
        .exclude(username=import_username(Company.objects.get(pk=company_id)))
        .values_list("pk", "username")
    )
    users = dict(User.objects.filter(role="technician").values_list("pk", "username"))
    reopened = {o.pk for o in orders if o.reopened_from_id}
    for start in range(0, len(orders), CHUNK):
        chunk = orders[start : start + CHUNK]
        jobs = _workshop(chunk, ids, out, stations, staff)
        yield from _order_chunk(chunk, ids, out, stations, users, reopened, jobs)


# Orders read together: their events, service records and follow-up answers in three queries per
# chunk, not three per order.
CHUNK = 1000


def _order_chunk(
    orders: list[ServiceOrder],
    ids: _Ids,
    out: Exported,
    stations: dict[int, str],
    users: dict[int, str],
    reopened: set[int],
    jobs: dict[int, tuple[dt.datetime, list[dict[str, Any]]]],
) -> Iterator[list[dict[str, Any]]]:
    pks = [o.pk for o in orders]
    events_of: dict[int, list[OrderEvent]] = {}
    for event in OrderEvent.objects.filter(order_id__in=pks).order_by("at", "pk"):
        events_of.setdefault(event.order_id, []).append(event)
    record_of: dict[int, ServiceRecord] = {}
    for found in ServiceRecord.objects.filter(order_id__in=pks).order_by("pk"):
        record_of[found.order_id] = found  # the last one wins, as `-pk` first did
    results_of: dict[int, list[FollowUpResult]] = {}
    for answer in (
        FollowUpResult.objects.filter(follow_up__order_id__in=pks, amends__isnull=True)
        .select_related("follow_up")
        .order_by("pk")
    ):
        results_of.setdefault(answer.follow_up.order_id, []).append(answer)
    charges_of = _charges(pks, out, {pk: since for pk, (since, _rows) in jobs.items()})
    services = {
        v.order_id: v
        for v in MaintenanceVisit.objects.filter(order_id__in=pks, state=VisitState.DONE)
    }
    ids.load("maintenance", [v.pk for v in services.values()])
    for o in orders:
        rows: list[dict[str, Any]] = []
        if o.pk not in reopened:
            rows.append(
                _clean(
                    {
                        "kind": "order",
                        "id": ids.of("order", o.pk),
                        "at": _at(o.created_at),
                        "customer": ids.of("customer", o.customer_id),
                        "unit": ids.of("unit", o.unit_id),
                        "service_type": o.service_type,
                        "priority": o.priority,
                        "channel": o.channel,
                        "fault": o.fault_description,
                        "fault_code": o.fault_code.code if o.fault_code else None,
                    }
                )
            )
        events = events_of.get(o.pk, [])
        results = {
            e.pk: e.payload.get("result")
            for e in events
            if e.kind == EventKind.FIELD and e.action == "finish"
        }
        last_result = None
        record = record_of.get(o.pk)
        job_since = jobs[o.pk][0] if o.pk in jobs else None
        for e in events:
            if job_since is not None and e.at >= job_since and _job_driven(e):
                continue  # the workshop job's steps below carry it
            row = _event_row(e, o, ids, stations, users, record)
            if e.pk in results:
                last_result = results[e.pk]
            if row is None:
                if e.kind == EventKind.TRANSITION and e.action not in ("follow_up",):
                    out.skipped += 1
                continue
            if row["action"] == "complete" and last_result:
                row["result"] = last_result
            rows.append(row)
        rows += [{**row, "order": ids.of("order", o.pk)} for row in charges_of.get(o.pk, [])]
        if o.pk in jobs:
            rows += jobs[o.pk][1]
        for result in results_of.get(o.pk, []):
            rows.append(
                {
                    "kind": "follow_up",
                    "id": f"follow_up-{result.pk}",
                    "at": _at(result.at),
                    "order": ids.of("order", o.pk),
                    "answers": result.answers,
                }
            )
        service = services.get(o.pk)
        if service is not None and o.completed_at is not None:
            rows.append(  # after the completion it follows (a stable sort on equal times)
                {
                    "kind": "maintenance",
                    "id": ids.of("maintenance", service.pk),
                    "at": _at(o.completed_at),
                    "unit": ids.of("unit", service.unit_id),
                    "order": ids.of("order", o.pk),
                }
            )
        rows.sort(key=lambda r: (r["kind"] != "order", r["at"]))
        yield rows


# Order events a workshop job makes as it moves (the job's `workshop_step` rows carry them):
# its transitions, made without an actor, and the bench's records on the order.
JOB_TRANSITIONS = frozenset({"bring_in", "complete", "wait_parts", "resume", "cancel"})


def _job_driven(e: OrderEvent) -> bool:
    if e.kind == EventKind.TRANSITION:
        return e.action in JOB_TRANSITIONS and (e.actor_id is None or e.action == "bring_in")
    return e.kind == EventKind.FIELD and e.action in ("diagnosis", "quote", "quote_accepted")


# Job steps the format carries as they are (with who took them and the reason).
PLAIN_STEPS = frozenset({*BENCH_VERBS, "accept_quote", "decline_quote", "deliver", "cancel"})


def _workshop(
    orders: list[ServiceOrder],
    ids: _Ids,
    out: Exported,
    stations: dict[int, str],
    staff: dict[int, str],
) -> dict[int, tuple[dt.datetime, list[dict[str, Any]]]]:
    """The orders' workshop jobs as rows, by order: the `workshop` row (at the job's creation,
    from when the job moves the order) and its `workshop_step` rows. The bench diagnosis is the
    order's service record's; a quote names its lines; a payment taken at the hand-over comes
    as a payment step just before it (without a storage fee: the recorded hand-over of an
    import charges none). Photos, notes, tests and loaners are not carried."""
    found = list(
        WorkshopJob.objects.filter(order__in=orders).select_related("order").order_by("pk")
    )
    if not found:
        return {}
    ids.load("workshop", [j.pk for j in found])
    events_of: dict[int, list[WorkshopEvent]] = {}
    for event in WorkshopEvent.objects.filter(job__in=found).order_by("at", "pk"):
        events_of.setdefault(event.job_id, []).append(event)
    order_ids = [j.order_id for j in found]
    diagnoses: dict[int, list[OrderEvent]] = {}
    for e in OrderEvent.objects.filter(
        order_id__in=order_ids, kind=EventKind.FIELD, action="diagnosis"
    ).order_by("at", "pk"):
        diagnoses.setdefault(e.order_id, []).append(e)
    # the bench's service record: the order's last (a visit's, if any, came before it)
    records = {
        r.order_id: r for r in ServiceRecord.objects.filter(order_id__in=order_ids).order_by("pk")
    }
    quotes = {
        q.pk: q
        for q in Quote.objects.filter(order_id__in=order_ids).prefetch_related(
            "lines__fee_item", "lines__part"
        )
    }
    receipts = {r.number: r for r in Receipt.objects.filter(order_id__in=order_ids)}
    by_order: dict[int, tuple[dt.datetime, list[dict[str, Any]]]] = {}
    for job in found:
        job_id = ids.of("workshop", job.pk)
        rows: list[dict[str, Any]] = []
        step = functools.partial(_step_row, job_id, staff)
        for e in events_of.get(job.pk, []):
            if e.action == "created":
                rows.append(
                    _clean(
                        {
                            "kind": "workshop",
                            "id": job_id,
                            "at": _at(e.at),
                            "order": ids.of("order", job.order_id),
                            "station": stations.get(job.station_id),
                            "route": job.route,
                            "return_method": job.return_method,
                            "return_address": job.return_address,
                            "condition": job.condition if job.route != "courier" else "",
                        }
                    )
                )
            elif e.action in PLAIN_STEPS:
                rows.append(step(e, e.action, reason=e.reason))
            elif e.action == "receive":
                rows.append(
                    step(e, "receive", condition=job.condition, accessories=job.accessories)
                )
            elif e.action == "quote":
                quote = quotes.get(e.payload.get("quote") or 0)
                items = _items(quote) if quote is not None else []
                if items:
                    rows.append(step(e, "quote", items=items, reason=quote and quote.reason))
                else:  # a line the format cannot name: left out, counted
                    out.skipped += 1
            elif e.action == "part_used":
                rows.append(step(e, "part_used", **_part_fields(e.payload)))
            elif e.action in ("payment", "hand_over") and e.payload.get("receipt"):
                receipt = receipts.get(e.payload["receipt"])
                if receipt is not None:
                    extra = job.storage_fee if e.action == "hand_over" else 0
                    rows.append(
                        step(
                            e,
                            "payment",
                            amount=str(receipt.amount - extra),
                            method=receipt.method,
                            reference=receipt.reference,
                        )
                    )
                if e.action == "hand_over":
                    rows.append(step(e, "hand_over", picked_up_by=job.picked_up_by))
            elif e.action == "hand_over":
                rows.append(step(e, "hand_over", picked_up_by=job.picked_up_by))
            elif e.action == "ship_back":
                rows.append(
                    step(
                        e,
                        "ship_back",
                        carrier=e.payload.get("carrier"),
                        tracking_no=e.payload.get("tracking"),
                    )
                )
        record = records.get(job.order_id)
        for e in diagnoses.get(job.order_id, []):
            if record is not None and e.at >= job.created_at:
                rows.append(
                    step(
                        e,
                        "diagnosis",
                        diagnosis=record.diagnosis,
                        cause=record.cause,
                        work_done=record.work_done,
                        fault_codes=e.payload.get("fault_codes") or None,
                    )
                )
        rows.sort(key=lambda r: (r["kind"] != "workshop", r["at"]))
        by_order[job.order_id] = (job.created_at, rows)
    return by_order


def _step_row(
    job_id: str | None, staff: dict[int, str], e: Any, action: str, **more: Any
) -> dict[str, Any]:
    # a job's event, or its order's (the bench diagnosis): ids apart
    prefix = "workshop_step" if isinstance(e, WorkshopEvent) else "workshop_order_event"
    return _clean(
        {
            "kind": "workshop_step",
            "id": f"{prefix}-{e.pk}-{action}",
            "at": _at(e.at),
            "job": job_id,
            "action": action,
            "by": staff.get(e.actor_id or 0),
            **more,
        }
    )


def _part_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """A part used (on site or on the bench), as its event's payload holds it."""
    return {name: payload.get(name) for name in ("part", "quantity", "serial", "old_serial")}


def _items(quote: Quote) -> list[dict[str, Any]]:
    """A quote's lines by fee item or part code and quantity; none if a line has neither."""
    items: list[dict[str, Any]] = []
    for line in quote.lines.all():
        if line.fee_item is not None:
            items.append({"fee_item": line.fee_item.code, "quantity": _number(line.quantity)})
        elif line.part is not None:
            items.append({"part": line.part.code, "quantity": _number(line.quantity)})
        else:  # a free line the format cannot name
            return []
    return items


def _charges(
    pks: list[int], out: Exported, job_since: dict[int, dt.datetime]
) -> dict[int, list[dict[str, Any]]]:
    """The orders' accepted charges (`charge`, at the quote's time) and their payments
    (`payment`, at the receipt's), by order. Proposed, declined and void quotes are not
    history the customer's account holds; they are left out without counting. Of an order
    with a workshop job, only the charges of its visit before the job (the job's steps carry
    the bench's)."""
    found: dict[int, list[dict[str, Any]]] = {}
    quotes = (
        Quote.objects.filter(order_id__in=pks, status__in=(QuoteStatus.ACCEPTED, QuoteStatus.PAID))
        .prefetch_related("lines__fee_item", "lines__part")
        .order_by("created_at", "pk")
    )
    charged: set[int] = set()
    for q in quotes:
        if q.order_id in job_since and q.created_at >= job_since[q.order_id]:
            continue
        items = _items(q)
        if not items:
            out.skipped += 1
            continue
        charged.add(q.pk)
        found.setdefault(q.order_id, []).append(
            _clean(
                {
                    "kind": "event",
                    "id": f"charge-{q.pk}",
                    "at": _at(q.created_at),
                    "action": "charge",
                    "reason": q.reason,
                    "items": items,
                }
            )
        )
    for r in Receipt.objects.filter(order_id__in=pks, quote_id__in=charged).order_by("pk"):
        found.setdefault(r.order_id, []).append(
            _clean(
                {
                    "kind": "event",
                    "id": f"payment-{r.pk}",
                    "at": _at(r.paid_at),
                    "action": "payment",
                    "amount": str(r.amount),
                    "method": r.method,
                    "reference": r.reference,
                }
            )
        )
    return found


def _number(value: Any) -> int | str:
    """A quantity as the file writes it: 1, not "1.00"; "1.50" as it is."""
    return int(value) if value == int(value) else str(value)


def _event_row(
    e: OrderEvent,
    o: ServiceOrder,
    ids: _Ids,
    stations: dict[int, str],
    users: dict[int, str],
    record: ServiceRecord | None,
) -> dict[str, Any] | None:
    base = {"kind": "event", "id": f"event-{e.pk}", "at": _at(e.at), "order": ids.of("order", o.pk)}
    if e.kind == EventKind.REOPENED_AS:
        new = e.payload.get("order")
        return {**base, "action": "reopen", "reason": e.reason, "new_order": ids.of("order", new)}
    if e.kind == EventKind.FIELD and e.action == "diagnosis" and record is not None:
        return _clean(
            {
                **base,
                "action": "diagnosis",
                "diagnosis": record.diagnosis,
                "cause": record.cause,
                "work_done": record.work_done,
                "fault_codes": e.payload.get("fault_codes") or None,
            }
        )
    if e.kind == EventKind.FIELD and e.action == "call_attempt":
        return _clean({**base, "action": "call", "reason": e.reason})
    if e.kind == EventKind.FIELD and e.action == "part_used":
        return _clean({**base, "action": "part_used", **_part_fields(e.payload)})
    if e.kind != EventKind.TRANSITION or e.action not in TRANSITION_ACTIONS:
        return None
    row: dict[str, Any] = {**base, "action": TRANSITION_ACTIONS[e.action]}
    if e.action in ("dispatch", "redispatch"):
        row["station"] = stations.get(e.payload.get("station") or 0)
    if e.action == "assign":
        row["technician"] = users.get(e.payload.get("technician") or 0)
    if e.reason:
        row["reason"] = e.reason
    return _clean(row)


def _complaints(people: list[Customer], ids: _Ids) -> Iterator[dict[str, Any]]:
    complaints = list(Complaint.objects.filter(customer__in=people).order_by("created_at", "pk"))
    ids.load("complaint", [c.pk for c in complaints])
    steps_of: dict[int, list[ComplaintEvent]] = {}
    for found in ComplaintEvent.objects.filter(complaint__in=complaints).order_by("at", "pk"):
        steps_of.setdefault(found.complaint_id, []).append(found)
    for c in complaints:
        yield _clean(
            {
                "kind": "complaint",
                "id": ids.of("complaint", c.pk),
                "at": _at(c.created_at),
                "customer": ids.of("customer", c.customer_id),
                "order": ids.of("order", c.order_id),
                "source": c.source,
                "category": c.category,
                "severity": c.severity,
                "description": c.description,
            }
        )
        for step in steps_of.get(c.pk, []):
            if step.action not in (
                "investigate",
                "propose",
                "feedback_accepted",
                "feedback_rejected",
                "escalate",
                "close",
            ):
                continue
            yield _clean(
                {
                    "kind": "complaint_step",
                    "id": f"complaint_step-{step.pk}",
                    "at": _at(step.at),
                    "complaint": ids.of("complaint", c.pk),
                    "action": step.action,
                    "text": step.reason,
                }
            )
