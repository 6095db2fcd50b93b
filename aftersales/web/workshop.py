"""Workshop pages: the counter (queue numbers, intake, handover), the hall display, the
workshop board, a job's page with its steps, the receipt PDF. Views parse, call one action,
redirect or render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound, PermissionDenied
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import as_id, get_visible
from aftersales.customers.models import Customer
from aftersales.customers.selectors import units_visible_to
from aftersales.fieldwork.choices import Cause, PaymentMethod, PhotoKind
from aftersales.fieldwork.models import FeeItem
from aftersales.orders.choices import ServiceType
from aftersales.portal import selectors as portal_selectors
from aftersales.web.orders import WARRANTY_LABELS
from aftersales.web.portal import portal_page
from aftersales.web.shortcuts import error_page, flash_error, page, stored_image, xlsx_response
from aftersales.workshop import actions, receipt, rules, selectors
from aftersales.workshop.choices import (
    AT_WORKSHOP,
    MACHINE,
    JobStatus,
    ReturnMethod,
    TicketPurpose,
    TicketStatus,
)
from aftersales.workshop.models import WorkshopJob

TURNAROUND_LABELS = {
    "met": _("Ready on time"),
    "late": _("Ready late"),
    "paused": _("Paused: waiting for parts"),
    "overdue": _("Overdue"),
    "due": _("On track"),
}

AGE_LABELS = {
    "lt1": _("under a day"),
    "1to3": _("1–3 days"),
    "3to7": _("3–7 days"),
    "over7": _("over 7 days"),
}


def _station(request: AuthedRequest) -> Any:
    stations = list(selectors.workshop_stations(request.user))
    wanted = as_id(request.GET.get("station") or request.POST.get("station") or 0)
    for s in stations:
        if s.pk == wanted:
            return s, stations
    own = [s for s in stations if s.pk == request.user.station_id]
    if own:
        return own[0], stations
    if not stations:
        raise NotFound("not_found", _("Not found."))
    return stations[0], stations


def _workshop_user(request: AuthedRequest) -> None:
    if not selectors.may_use_workshop(request.user):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


def _counter_url(station: Any) -> str:
    return reverse("workshop-counter") + f"?station={station.pk}"


@page(Perm.WORKSHOP_COUNTER)
def counter(request: AuthedRequest) -> HttpResponse:
    """The service desk on a tablet or phone: numbers, the called customer, lookup, pickups."""
    station, stations = _station(request)
    today = clock.today()
    tickets = selectors.tickets_visible_to(request.user).filter(station=station, day=today)
    query = (request.GET.get("q") or "").strip()
    units = (
        list(
            units_visible_to(request.user)
            .filter(serial__iexact=query)
            .select_related("customer", "product_model")[:5]
        )
        if query
        else []
    )
    ready = (
        selectors.jobs_visible_to(request.user)
        .filter(station=station, status=JobStatus.READY)
        .select_related("order", "order__customer")
        .order_by("status_since", "id")[:50]
    )
    return render(
        request,
        "web/workshop/counter.html",
        {
            "station": station,
            "stations": stations,
            "waiting": tickets.filter(status=TicketStatus.WAITING).order_by("taken_at", "id"),
            "called": tickets.filter(status=TicketStatus.CALLED).order_by("-called_at"),
            "purposes": TicketPurpose.choices,
            "query": query,
            "units": units,
            "ready": ready,
            "desk": request.session.get("workshop_desk", "1"),
        },
    )


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def ticket_take(request: AuthedRequest) -> HttpResponse:
    station, _stations = _station(request)
    try:
        ticket = actions.ticket_take(
            actor=request.user,
            station=station,
            purpose=request.POST.get("purpose", ""),
            phone=request.POST.get("phone", ""),
        )
        messages.success(request, _("Number %(label)s taken.") % {"label": ticket.label})
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(_counter_url(station))


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def ticket_call(request: AuthedRequest) -> HttpResponse:
    station, _stations = _station(request)
    desk = request.POST.get("desk", "")
    request.session["workshop_desk"] = desk
    try:
        ticket = actions.ticket_call_next(actor=request.user, station=station, desk=desk)
        if ticket is None:
            messages.info(request, _("Nobody is waiting."))
        else:
            messages.success(
                request,
                _("%(label)s called to desk %(desk)s.") % {"label": ticket.label, "desk": desk},
            )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(_counter_url(station))


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def ticket_close(request: AuthedRequest, pk: int) -> HttpResponse:
    station, _stations = _station(request)
    try:
        actions.ticket_close(
            actor=request.user, ticket=pk, served=request.POST.get("served") != "0"
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(_counter_url(station))


@page(Perm.WORKSHOP_COUNTER)
def intake(request: AuthedRequest) -> HttpResponse:
    """Hand a unit in: condition, accessories, photos, data backup, signature."""
    station, _stations = _station(request)
    source = request.POST if request.method == "POST" else request.GET
    unit = get_visible(
        units_visible_to(request.user).select_related("customer", "product_model"),
        source.get("unit"),
    )
    ticket = source.get("ticket") or ""
    errors: dict[str, Any] = {}
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST":
        p = request.POST
        try:
            job, code = actions.counter_intake(
                actor=request.user,
                station=station,
                customer=unit.customer_id,
                unit=unit.pk,
                fault_description=p.get("fault_description", ""),
                condition=p.get("condition", ""),
                accessories=p.get("accessories", "").replace("，", ",").split(","),
                has_data=p.get("has_data") == "1",
                data_backup_acknowledged=p.get("data_backup_acknowledged") == "1",
                photos=request.FILES.getlist("photos"),
                signature=p.get("signature", ""),
                signer_name=p.get("signer_name", ""),
                ticket=ticket or None,
                return_method=p.get("return_method", "pickup"),
                return_address=p.get("return_address", ""),
                order=p.get("order") if p.get("order") not in (None, "", "new") else None,
                allow_duplicate=p.get("order") == "new",
            )
        except ApplicationError as exc:
            errors = dict(getattr(exc, "errors", {}) or {})
            if exc.code == "possible_duplicate":
                duplicates = exc.details.get("orders", [])
                errors["order"] = exc.message
            messages.error(request, str(exc.message))
        else:
            request.session[f"workshop_code_{job.pk}"] = code
            return redirect("workshop-job", pk=job.pk)
    return render(
        request,
        "web/workshop/intake.html",
        {
            "station": station,
            "unit": unit,
            "order": {"customer": unit.customer},
            "ticket": ticket,
            "errors": errors,
            "form": request.POST,
            "return_methods": ReturnMethod.choices,
            "duplicates": duplicates,
        },
        status=422 if errors else 200,
    )


def _job(request: AuthedRequest, pk: int) -> WorkshopJob:
    return get_visible(
        selectors.jobs_visible_to(request.user).select_related(
            "order", "order__customer", "order__unit__product_model", "station", "technician"
        ),
        pk,
    )


def _warranty(job: WorkshopJob) -> str:
    return str(WARRANTY_LABELS.get(actions.effective_decision(job), "—"))


@page()
def job_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _workshop_user(request)
    job = _job(request, pk)
    code = request.session.pop(f"workshop_code_{job.pk}", None)
    verbs = [(v, MACHINE.verb_label(v)) for v in actions.bench_available(request.user, job)]
    counter_ok = has_perm(request.user, Perm.WORKSHOP_COUNTER)
    bench_ok = has_perm(request.user, Perm.WORKSHOP_BENCH) and job.status in actions.BENCH_WORK | {
        JobStatus.QUALITY_CHECK
    }
    shelf = actions.station_shelf(job.station_id) if bench_ok else None
    now = clock.now()
    turnaround = actions.turnaround_state(job, now)
    storage_days, storage_fee = actions.storage_due(job, now)
    unpaid = actions.unpaid_quote(job) if job.status == JobStatus.READY else None
    open_loans = list(job.loans.filter(returned_at__isnull=True).select_related("loaner"))
    return render(
        request,
        "web/workshop/job.html",
        {
            "job": job,
            "order": job.order,
            "code": code,
            "verbs": verbs,
            "needs_reason": MACHINE.needs_reason,
            "warranty": _warranty(job),
            "events": job.events.select_related("actor").order_by("at", "id"),
            "status_labels": dict(JobStatus.choices),
            "verb_labels": MACHINE.labels,
            "can_hand_over": counter_ok
            and job.status == JobStatus.READY
            and job.return_method == ReturnMethod.PICKUP,
            "unpaid": unpaid,
            "storage_days": storage_days,
            "storage_fee": storage_fee,
            "to_pay": (unpaid.total if unpaid else 0) + storage_fee,
            "turnaround": turnaround,
            "turnaround_label": TURNAROUND_LABELS.get(turnaround, ""),
            "loaner_owed": job.loaner_due_at is not None
            and not open_loans
            and job.status in AT_WORKSHOP,
            "payment_methods": PaymentMethod.choices,
            "open_loans": open_loans,
            "bench": bench_ok,
            "causes": Cause.choices,
            "photo_kinds": PhotoKind.choices,
            "fee_items": FeeItem.objects.filter(company_id=job.company_id, is_active=True)
            if bench_ok
            else [],
            "shelf_levels": shelf.levels.filter(on_hand__gt=0).select_related("part")
            if shelf is not None
            else [],
            "tests": job.events.filter(action__in=["test", "part_used"]).order_by("at", "id"),
            "counter": counter_ok,
            "shipments": [(s, selectors.tracking_url(s.tracking_no)) for s in job.shipments.all()],
            "available_loaners": selectors.loaners_visible_to(request.user).filter(
                station_id=job.station_id, status="available"
            )
            if counter_ok and job.status in AT_WORKSHOP and job.status != JobStatus.READY
            else [],
            "unpaid_any": actions.unpaid_quote(job)
            if job.status == JobStatus.READY and job.return_method == ReturnMethod.SHIP
            else None,
        },
    )


@require_POST
@page()
def job_step(request: AuthedRequest, pk: int, verb: str) -> HttpResponse:
    try:
        actions.job_step(
            actor=request.user, job=pk, verb=verb, reason=request.POST.get("reason", "")
        )
        messages.success(request, str(MACHINE.verb_label(verb)))
    except ApplicationError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def job_hand_over(request: AuthedRequest, pk: int) -> HttpResponse:
    p = request.POST
    try:
        actions.job_hand_over(
            actor=request.user,
            job=pk,
            code=p.get("code", ""),
            id_document=p.get("id_document", ""),
            picked_up_by=p.get("signer_name", ""),
            signature=p.get("signature", ""),
            payment_method=p.get("payment_method", ""),
            amount=p.get("amount") or None,
            reference=p.get("reference", ""),
            loaner_returned=p.get("loaner_returned") == "1",
        )
        messages.success(request, _("Handed over."))
    except ApplicationError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


def _pdf(job: WorkshopJob, customer_copy: bool) -> HttpResponse:
    data = receipt.render(job, warranty_label=_warranty(job), customer_copy=customer_copy)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{job.order.number}.pdf"'
    return response


@page()
def receipt_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    _workshop_user(request)
    return _pdf(_job(request, pk), customer_copy=False)


def receipt_public(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's copy by the signed link in the intake message: no login."""
    try:
        job = actions.job_for_receipt_token(token)
    except ApplicationError as exc:
        return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain")
    return _pdf(job, customer_copy=True)


@page()
def job_photo(request: AuthedRequest, pk: int, photo_pk: int) -> HttpResponse:
    _workshop_user(request)
    job = _job(request, pk)
    return stored_image(job.photos.filter(pk=photo_pk).first())


@page()
def job_signature(request: AuthedRequest, pk: int, which: str) -> HttpResponse:
    _workshop_user(request)
    job = _job(request, pk)
    name = job.intake_signature if which == "intake" else job.pickup_signature
    return stored_image(type("Stored", (), {"stored_name": name})() if name else None)


@page()
def board(request: AuthedRequest) -> HttpResponse:
    """The workshop board: the jobs at the workshop by step, with how long each has waited."""
    _workshop_user(request)
    stations = list(selectors.workshop_stations(request.user))
    station_id = as_id(request.GET.get("station") or 0)
    if station_id not in {s.pk for s in stations}:
        station_id = 0
    now = clock.now()
    columns = selectors.board(request.user, station_id=station_id or None)
    for column in columns:
        column["label"] = JobStatus(column["status"]).label
        for j in column["jobs"]:
            j.age = rules.age_bucket(j.status_since, now)
            j.age_label = AGE_LABELS[j.age]
            j.overdue = actions.turnaround_state(j, now) == "overdue"
    return render(
        request,
        "web/workshop/board.html",
        {
            "columns": columns,
            "stations": stations,
            "station_id": station_id,
            "overdue": selectors.overdue_count(
                request.user, station_id=station_id or None, now=now
            ),
            "overdue_cap": selectors.OVERDUE_CAP,
        },
    )


@page(Perm.WORKSHOP_COUNTER)
def hall(request: AuthedRequest, station_pk: int) -> HttpResponse:
    """The hall's screen (a logged-in display at the station): the numbers called, to which
    desk, and how many wait. Refreshes itself."""
    station = get_visible(selectors.workshop_stations(request.user), station_pk)
    data = selectors.hall_display(station.pk)
    template = (
        "web/workshop/_hall_numbers.html"
        if request.headers.get("HX-Request")
        else ("web/workshop/hall.html")
    )
    return render(request, template, {"station": station, **data})


@require_POST
@page(Perm.WORKSHOP_BENCH)
def bench_form(request: AuthedRequest, pk: int, what: str) -> HttpResponse:
    """The bench's forms on the job page: diagnosis, quote, part, test, photos."""
    p, user = request.POST, request.user
    try:
        if what == "diagnosis":
            actions.bench_diagnosis(
                actor=user,
                job=pk,
                diagnosis=p.get("diagnosis", ""),
                cause=p.get("cause", ""),
                work_done=p.get("work_done", ""),
            )
        elif what == "quote":
            items = [
                {"fee_item": fee, "quantity": p.get(f"qty_{fee}") or 1}
                for fee in p.getlist("fee_item")
                if fee
            ]
            actions.bench_quote(actor=user, job=pk, items=items, reason=p.get("reason", ""))
        elif what == "part":
            actions.bench_part_used(
                actor=user,
                job=pk,
                part=p.get("part"),
                quantity=int(p.get("quantity") or 1),
                serial=p.get("serial", ""),
                old_serial=p.get("old_serial", ""),
            )
        elif what == "test":
            actions.bench_test(
                actor=user,
                job=pk,
                name=p.get("name", ""),
                passed=p.get("passed") == "1",
                note=p.get("note", ""),
            )
        elif what == "photos":
            actions.bench_photos(
                actor=user,
                job=pk,
                kind=p.get("kind", "before"),
                files=request.FILES.getlist("photos"),
            )
        else:
            raise NotFound("not_found", _("Not found."))
        messages.success(request, _("Saved."))
    except ValueError:
        messages.error(request, str(_("Give a whole number.")))
    except ApplicationError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


# --- mail-in -----------------------------------------------------------------------------------


@page(Perm.WORKSHOP_COUNTER)
def mail_in(request: AuthedRequest) -> HttpResponse:
    """Mail-in requests: register one for a unit, match an arrived parcel, the list waiting."""
    query = (request.GET.get("q") or "").strip()
    units = (
        list(
            units_visible_to(request.user)
            .filter(serial__iexact=query)
            .select_related("customer", "product_model")[:5]
        )
        if query
        else []
    )
    now = clock.now()
    waiting = list(selectors.awaiting_units(request.user)[:200])
    for j in waiting:
        j.age_label = AGE_LABELS[rules.age_bucket(j.created_at, now)]  # type: ignore[attr-defined]
    return render(
        request,
        "web/workshop/mail_in.html",
        {
            "query": query,
            "units": units,
            "waiting": waiting,
            "stations": actions.mail_in_stations(company_of(request.user)),
        },
    )


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def mail_in_new(request: AuthedRequest) -> HttpResponse:
    p = request.POST
    unit = get_visible(units_visible_to(request.user), p.get("unit"))
    try:
        job = actions.mail_in_request(
            actor=request.user,
            station=p.get("station"),
            customer=unit.customer_id,
            unit=unit.pk,
            fault_description=p.get("fault_description", ""),
            return_address=p.get("return_address", ""),
            allow_duplicate=p.get("allow_duplicate") == "1",
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect(reverse("workshop-mail-in") + f"?q={unit.serial}")
    messages.success(request, _("Mail-in request registered; the customer has the address."))
    return redirect("workshop-job", pk=job.pk)


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def mail_in_match(request: AuthedRequest) -> HttpResponse:
    try:
        job = actions.mail_in_match(actor=request.user, reference=request.POST.get("reference", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("workshop-mail-in")
    return redirect(reverse("workshop-job", args=[job.pk]) + "#receive")


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def job_counter_form(request: AuthedRequest, pk: int, what: str) -> HttpResponse:
    """The counter's forms on a job: inbound parcel, receive, ship back, delivered, payment,
    cancel."""
    p, user = request.POST, request.user
    try:
        if what == "inbound":
            actions.inbound_shipment_record(
                actor=user,
                job=pk,
                carrier=p.get("carrier", ""),
                tracking_no=p.get("tracking_no", ""),
                weight_kg=p.get("weight_kg"),
                cost=p.get("cost"),
            )
        elif what == "receive":
            job, code = actions.mail_in_receive(
                actor=user,
                job=pk,
                condition=p.get("condition", ""),
                accessories=p.get("accessories", "").replace("，", ",").split(","),
                photos=request.FILES.getlist("photos"),
                has_data=p.get("has_data") == "1",
            )
            request.session[f"workshop_code_{job.pk}"] = code
        elif what == "ship":
            actions.job_ship_back(
                actor=user,
                job=pk,
                carrier=p.get("carrier", ""),
                tracking_no=p.get("tracking_no", ""),
                weight_kg=p.get("weight_kg"),
                cost=p.get("cost"),
            )
        elif what == "deliver":
            actions.job_deliver(actor=user, job=pk)
        elif what == "payment":
            actions.job_payment(
                actor=user,
                job=pk,
                method=p.get("payment_method", ""),
                amount=p.get("amount"),
                reference=p.get("reference", ""),
            )
        elif what == "cancel":
            actions.mail_in_cancel(actor=user, job=pk, reason=p.get("reason", ""))
        else:
            raise NotFound("not_found", _("Not found."))
        messages.success(request, _("Saved."))
    except ApplicationError as exc:
        if exc.status == 404 and exc.code == "not_found":
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


# --- the portal's mail-in --------------------------------------------------------------------


@portal_page
def portal_mail_in(request: HttpRequest, ids: list[int]) -> HttpResponse:
    """The customer's mail-in requests and a new one."""
    if request.method == "POST":
        p = request.POST
        try:
            job = actions.portal_mail_in(
                customer_ids=ids,
                station=p.get("station"),
                unit=p.get("unit"),
                fault_description=p.get("fault_description", ""),
                return_address=p.get("return_address", ""),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("portal-mail-in")
        messages.success(
            request, _("Your mail-in request is registered; send the unit to the address below.")
        )
        return redirect("portal-mail-in-job", pk=job.pk)
    units = portal_selectors.units_of(ids)
    company_ids = set(Customer.objects.filter(pk__in=ids).values_list("company_id", flat=True))
    stations = [s for c in company_ids for s in actions.mail_in_stations(c)]
    return render(
        request,
        "web/workshop/portal_mail_in.html",
        {"jobs": selectors.portal_jobs(ids), "units": units, "stations": stations},
    )


@portal_page
def portal_mail_in_job(request: HttpRequest, ids: list[int], pk: int) -> HttpResponse:
    """One mail-in request's progress: where to send it, the parcels both ways, each step."""
    job = get_visible(selectors.portal_jobs(ids), pk)
    if request.method == "POST":
        try:
            actions.portal_inbound_shipment(
                customer_ids=ids,
                job=job.pk,
                carrier=request.POST.get("carrier", ""),
                tracking_no=request.POST.get("tracking_no", ""),
            )
            messages.success(request, _("Thank you; we will tell you when it arrives."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("portal-mail-in-job", pk=job.pk)
    return render(
        request,
        "web/workshop/portal_mail_in_job.html",
        {
            "job": job,
            "shop": selectors.station_workshop(job.station_id),
            "shipments": [(s, selectors.tracking_url(s.tracking_no)) for s in job.shipments.all()],
            "steps": _progress(job),
        },
    )


PORTAL_STEPS = (
    ("awaiting_unit", _("Send the unit")),
    ("received", _("Received at the workshop")),
    ("repair", _("In repair")),
    ("ready", _("Repaired and checked")),
    ("shipped_back", _("Shipped back")),
    ("delivered", _("Delivered")),
)
STEP_OF = {
    "awaiting_unit": 0,
    "received": 1,
    "diagnosing": 2,
    "awaiting_approval": 2,
    "approved": 2,
    "waiting_parts": 2,
    "in_repair": 2,
    "quality_check": 2,
    "ready": 3,
    "shipped_back": 4,
    "delivered": 5,
    "handed_over": 5,
}


def _progress(job: WorkshopJob) -> list[dict[str, Any]]:
    at = STEP_OF.get(job.status, -1)
    return [
        {"label": label, "done": i < at, "current": i == at}
        for i, (_key, label) in enumerate(PORTAL_STEPS)
    ]


# --- loaners ---------------------------------------------------------------------------------


@page(Perm.WORKSHOP_COUNTER)
def loaners(request: AuthedRequest) -> HttpResponse:
    """The loaner pools of the stations in scope and the loans overdue (xlsx export)."""
    overdue = list(selectors.overdue_loans(request.user))
    if request.GET.get("export") == "xlsx":
        columns = [
            Column("order", _("Order no.")),
            Column("customer", _("Customer")),
            Column("loaner", _("Loaner")),
            Column("serial", _("serial no.")),
            Column("lent", _("Lent")),
            Column("due", _("due back")),
            Column("deposit", _("deposit")),
        ]
        rows = [
            [
                loan.job.order.number,
                loan.job.order.customer.name,
                loan.loaner.name,
                loan.loaner.serial,
                timezone.localtime(loan.lent_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M") if loan.due_at else "",
                loan.deposit,
            ]
            for loan in overdue
        ]
        return xlsx_response(
            write_xlsx(columns, rows, sheet_title="overdue"), "loaners-overdue.xlsx"
        )
    pool = selectors.loaners_visible_to(request.user).select_related("station")
    return render(
        request,
        "web/workshop/loaners.html",
        {
            "pool": pool,
            "overdue": overdue,
            "owed": selectors.loaners_owed(request.user)[:200],
            "stations": selectors.workshop_stations(request.user),
            "can_edit": has_perm(request.user, Perm.WORKSHOP_RULES),
        },
    )


@require_POST
@page(Perm.WORKSHOP_RULES)
def loaner_add(request: AuthedRequest) -> HttpResponse:
    p = request.POST
    try:
        actions.loaner_save(
            actor=request.user,
            station=p.get("station"),
            name=p.get("name", ""),
            serial=p.get("serial", ""),
            loaner=p.get("loaner") or None,
            retire=p.get("retire") == "1",
        )
        messages.success(request, _("Saved."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("workshop-loaners")


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def loaner_lend(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        actions.loaner_lend(
            actor=request.user,
            job=pk,
            loaner=request.POST.get("loaner"),
            deposit=request.POST.get("deposit") or "0",
        )
        messages.success(request, _("Loaner lent."))
    except ApplicationError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


@require_POST
@page(Perm.WORKSHOP_COUNTER)
def loaner_return(request: AuthedRequest, pk: int, loan_pk: int) -> HttpResponse:
    try:
        actions.loaner_return(
            actor=request.user,
            loan=loan_pk,
            deposit_refunded=request.POST.get("deposit_refunded") or None,
        )
        messages.success(request, _("Loaner returned"))
    except ApplicationError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        flash_error(request, exc)
    return redirect("workshop-job", pk=pk)


# --- settings ----------------------------------------------------------------------------------


@page(Perm.WORKSHOP_RULES)
def settings_page(request: AuthedRequest) -> HttpResponse:
    """The company's workshop settings (company-level managers) and each station's workshop."""
    user = request.user
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("form") == "company":
                actions.workshop_settings_update(
                    actor=user, **{f: p[f] for f in actions.SETTING_FIELDS if f in p}
                )
            elif p.get("form") == "turnaround":
                actions.turnaround_rule_set(
                    actor=user,
                    station=p.get("station") or None,
                    service_type=p.get("service_type", ""),
                    days=p.get("days", ""),
                )
            elif p.get("form") == "turnaround_delete":
                actions.turnaround_rule_delete(actor=user, rule=p.get("rule"))
            else:
                actions.station_workshop_update(
                    actor=user,
                    station=p.get("station"),
                    mail_in_address=p.get("mail_in_address", ""),
                    mail_in_recipient=p.get("mail_in_recipient", ""),
                    mail_in_phone=p.get("mail_in_phone", ""),
                    qc_by_other=p.get("qc_by_other") == "1",
                )
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("workshop-settings")
    stations = [
        (s, selectors.station_workshop(s.pk)) for s in selectors.workshop_stations(user)[:200]
    ]
    return render(
        request,
        "web/workshop/settings.html",
        {
            "company_settings": selectors.workshop_settings(company_of(user))
            if not (user.station_id or user.region_id)
            else None,
            "stations": stations,
            "turnaround_rules": [
                (r, dict(ServiceType.choices).get(r.service_type, ""))
                for r in selectors.turnaround_rules(user)[:500]
            ],
            "service_types": ServiceType.choices,
            "company_wide": not (user.station_id or user.region_id),
            "default_turnaround": selectors.workshop_settings(company_of(user)).turnaround_days,
        },
    )
