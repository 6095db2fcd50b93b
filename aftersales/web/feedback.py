"""Follow-up (回访) queue and script, the customer's survey page, complaints (投诉)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.phones import normalize_phone
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import customers_visible_to
from aftersales.feedback import actions, rules
from aftersales.feedback.choices import (
    COMPLAINT_MACHINE,
    AttemptOutcome,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    Severity,
)
from aftersales.feedback.selectors import (
    answers_from,
    complaints_visible_to,
    feedback_settings,
    follow_up_queue,
    follow_ups_visible_to,
    script,
)
from aftersales.notifications.actions import message_template_save, notification_settings_update
from aftersales.notifications.selectors import notification_settings, template_rows
from aftersales.orders.choices import ServiceType
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import (
    EXPORT_LIMIT,
    error_page,
    export_rows,
    flash_error,
    local_time,
    page,
    posted_version,
    xlsx_response,
)

ACTION_LABELS = COMPLAINT_MACHINE.labels

EVENT_LABELS = {
    "received": pgettext_lazy("complaint", "Received"),
    "invalidate": _("Judged invalid (not counted in the KPIs)"),
    "validate": _("Judged valid"),
    "deadline_escalation": _("Escalated: the deadline passed"),
}


def _script(company_id: int) -> list[dict[str, Any]]:
    """The script in the page's language."""
    return script(company_id, get_language() or "zh-hans")


FOLLOW_UP_EXPORT_COLUMNS = [
    Column("order", _("Order no.")),
    Column("customer", _("Customer")),
    Column("phone", _("Phone")),
    Column("service_type", _("Service type")),
    Column("technician", _("Technician")),
    Column("station", _("Station")),
    Column("due", _("Due")),
    Column("calls", _("Number of calls")),
]
COMPLAINT_EXPORT_COLUMNS = [
    Column("number", _("Complaint no.")),
    Column("customer", _("Customer")),
    Column("phone", _("Phone")),
    Column("order", _("Order")),
    Column("station", _("Station")),
    Column("source", _("Source")),
    Column("category", _("Category")),
    Column("severity", _("Severity")),
    Column("status", _("Status")),
    Column("escalation_level", _("Escalation level")),
    Column("repeat", _("Repeat complaint")),
    Column("received", _("Received at")),
    Column("due", _("Answer by")),
    Column("closed", _("Closed at")),
]


def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else ""


@page(Perm.ORDER_FOLLOW_UP)
def queue(request: AuthedRequest) -> HttpResponse:
    user = request.user
    rows = list(follow_up_queue(user)[:200])
    return render(
        request,
        "web/feedback/queue.html",
        {"rows": rows, "now": clock.now(), "outcomes": AttemptOutcome.choices},
    )


@page(Perm.ORDER_FOLLOW_UP)
def follow_up_export(request: AuthedRequest) -> HttpResponse:
    """The follow-up queue as an Excel file, most urgent first as on the page (at most 10,000
    rows; a last row says when rows were left out; phones masked as on the order list)."""
    rows = (
        (
            t.order.number,
            t.order.customer.name,
            t.order.customer.masked_phone,
            t.order.get_service_type_display(),
            _person(t.order.technician),
            t.order.station.name if t.order.station else "",
            local_time(t.due_at),
            t.attempts,
        )
        for t in follow_up_queue(request.user)[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        FOLLOW_UP_EXPORT_COLUMNS,
        export_rows(rows, limit=EXPORT_LIMIT),
        sheet_title="follow-ups",
    )
    return xlsx_response(content, f"follow-ups-{clock.today():%Y%m%d}.xlsx")


@page(Perm.ORDER_FOLLOW_UP)
def follow_up(request: AuthedRequest, pk: int) -> HttpResponse:
    """One follow-up: the order, the calls so far, the script to fill in."""
    user = request.user
    task = get_visible(
        follow_ups_visible_to(user).select_related(
            "order__customer", "order__technician", "order__unit__product_model"
        ),
        pk,
    )
    if request.method == "POST":
        questions = (
            task.results.last().questions if task.results.exists() else _script(task.company_id)
        )
        try:
            if request.POST.get("op") == "call":
                actions.follow_up_call(
                    actor=user,
                    follow_up=task,
                    outcome=request.POST.get("outcome", ""),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Call recorded."))
            elif request.POST.get("op") == "amend":
                actions.follow_up_amend(
                    actor=user,
                    result=request.POST.get("result"),
                    answers=answers_from(request.POST, questions),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Amendment saved."))
            else:
                actions.follow_up_record(
                    actor=user, follow_up=task, answers=answers_from(request.POST, questions)
                )
                messages.success(request, _("Follow-up saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("follow-up", pk=pk)
    results = list(task.results.select_related("recorded_by", "amends"))
    return render(
        request,
        "web/feedback/follow_up.html",
        {
            "task": task,
            "order": task.order,
            "calls": task.calls.select_related("by"),
            "results": results,
            "latest": next((r for r in reversed(results) if not hasattr(r, "amended_by")), None),
            "script": _script(task.company_id),
            "outcomes": AttemptOutcome.choices,
            "complaint": getattr(task, "complaint", None),
        },
    )


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's survey by the link sent to them: no login, answered once."""
    try:
        invite = actions.survey_invite(token)
    except ApplicationError as exc:
        return error_page(request, exc)
    order = invite.follow_up.order
    questions = _script(order.company_id)
    if request.method == "POST":
        try:
            actions.survey_answer(token=token, answers=answers_from(request.POST, questions))
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("survey", token=token)
        return render(request, "web/feedback/survey_done.html", {"order": order})
    return render(request, "web/feedback/survey.html", {"order": order, "script": questions})


# --- complaints ------------------------------------------------------------------------------


def _complaints(request: AuthedRequest) -> tuple[Any, str]:
    """The complaints the list shows (the status filter, open by default), soonest due first,
    and the status asked for."""
    status = request.GET.get("status", "open")
    qs = complaints_visible_to(request.user).select_related("customer", "order", "station")
    if status == "open":
        qs = qs.filter(status__in=rules.OPEN_COMPLAINT)
    elif status in ComplaintStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "id"), status


@page(Perm.COMPLAINT_HANDLE)
def complaint_list(request: AuthedRequest) -> HttpResponse:
    qs, status = _complaints(request)
    return render(
        request,
        "web/feedback/complaints.html",
        {
            "rows": qs[:200],
            "status": status,
            "statuses": ComplaintStatus.choices,
            "now": clock.now(),
        },
    )


@page(Perm.COMPLAINT_HANDLE)
def complaint_export(request: AuthedRequest) -> HttpResponse:
    """The complaints list as an Excel file: the same status filter and order as on the page
    (at most 10,000 rows; a last row says when rows were left out; phones masked)."""
    qs, _status = _complaints(request)
    rows = (
        (
            c.number,
            c.customer.name,
            c.customer.masked_phone,
            c.order.number if c.order else "",
            c.station.name if c.station else "",
            c.get_source_display(),
            c.get_category_display(),
            c.get_severity_display(),
            c.get_status_display(),
            c.escalation_level,
            gettext("Yes") if c.is_repeat else gettext("No"),
            local_time(c.created_at),
            local_time(c.due_at),
            local_time(c.closed_at),
        )
        for c in qs[: EXPORT_LIMIT + 1]
    )
    content = write_xlsx(
        COMPLAINT_EXPORT_COLUMNS,
        export_rows(rows, limit=EXPORT_LIMIT),
        sheet_title="complaints",
    )
    return xlsx_response(content, f"complaints-{clock.today():%Y%m%d}.xlsx")


@page(Perm.COMPLAINT_HANDLE)
def complaint_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    order = None
    if request.GET.get("order"):
        order = orders_visible_to(user).filter(pk=request.GET["order"]).first()
    if request.method == "POST":
        customer: str | int | None = request.POST.get("customer")
        if not customer and request.POST.get("phone"):
            found = (
                customers_visible_to(user)
                .filter(phone=normalize_phone(request.POST["phone"]))
                .first()
            )
            customer = found.pk if found else None
        try:
            row = actions.complaint_create(
                actor=user,
                customer=customer,
                order=request.POST.get("order") or None,
                source=request.POST.get("source", ""),
                category=request.POST.get("category", ""),
                severity=request.POST.get("severity", ""),
                description=request.POST.get("description", ""),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect(request.get_full_path())
        messages.success(request, _("Complaint registered; the customer is told the deadline."))
        return redirect("complaint-detail", pk=row.pk)
    return render(
        request,
        "web/feedback/complaint_new.html",
        {
            "order": order,
            "sources": [c for c in ComplaintSource.choices if c[0] in ("hotline", "agent")],
            "categories": ComplaintCategory.choices,
            "severities": Severity.choices,
        },
    )


@page(Perm.COMPLAINT_HANDLE)
def complaint_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    row = get_visible(
        complaints_visible_to(user).select_related("customer", "order", "technician", "station"),
        pk,
    )
    allowed = [(a, ACTION_LABELS[a]) for a in COMPLAINT_MACHINE.available(row.status)]
    events = list(row.events.select_related("actor").order_by("at", "id"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action) or ACTION_LABELS.get(
            event.action, event.action
        )
    return render(
        request,
        "web/feedback/complaint.html",
        {
            "row": row,
            "events": events,
            "allowed": allowed,
            "now": clock.now(),
            "may_judge": has_perm(user, Perm.ASSESSMENT_EDIT),
        },
    )


@page(Perm.COMPLAINT_HANDLE)
@require_POST
def complaint_act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    row = get_visible(complaints_visible_to(request.user), pk)
    try:
        if action in actions.VALIDITY_ACTIONS:
            actions.complaint_validity_set(
                actor=request.user,
                complaint=row,
                valid=actions.VALIDITY_ACTIONS[action],
                reason=request.POST.get("text", ""),
                version=posted_version(request),
            )
            return redirect("complaint-detail", pk=pk)
        actions.complaint_transition(
            actor=request.user,
            complaint=row,
            action=action,
            text=request.POST.get("text", ""),
            version=posted_version(request),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("complaint-detail", pk=pk)


def _hhmm(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value) if value else None
    except ValueError:
        return None


QUESTION_KIND_LABELS = {
    "yes_no": _("Yes or no"),
    "score": _("Score 1–5"),
    "text": _("Free text"),
}


def _script_from(post: Any) -> list[dict[str, Any]]:
    """The follow-up script from the settings form's rows (one per question, new ones at the
    end, ticked ones removed); a new question gets the next free code."""
    rows = zip(
        post.getlist("code"),
        post.getlist("kind"),
        post.getlist("text_zh"),
        post.getlist("text_en"),
        strict=False,
    )
    removed = set(post.getlist("remove"))
    questions: list[dict[str, Any]] = []
    for code, kind, zh, en in rows:
        zh, en = zh.strip(), en.strip()
        if code in removed or not (code or zh or en):
            continue
        questions.append({"code": code, "kind": kind, "zh-hans": zh, "en": en})
    used = {q["code"] for q in questions if q["code"]}
    n = 1
    for q in questions:
        if not q["code"]:
            while f"q{n}" in used:
                n += 1
            q["code"] = f"q{n}"
            used.add(q["code"])
    return questions


@page(Perm.FEEDBACK_RULES)
def settings_page(request: AuthedRequest) -> HttpResponse:
    """The follow-up rules and script, the complaint deadlines, quiet hours and the wording of
    the messages to customers."""

    user = request.user
    if request.method == "POST":
        post = request.POST
        op = post.get("op")
        try:
            if op == "rules":
                actions.feedback_settings_update(
                    actor=user,
                    max_attempts=post.get("max_attempts"),
                    low_score=post.get("low_score"),
                    survey_days=post.get("survey_days"),
                    repeat_days=post.get("repeat_days"),
                    due_hours={
                        k: post[f"due_{k}"]
                        for k in ("default", *ServiceType.values)
                        if post.get(f"due_{k}")
                    },
                    complaint_minutes={
                        k: int(float(post[f"complaint_{k}"]) * 60)
                        for k in Severity.values
                        if post.get(f"complaint_{k}")
                    },
                )
            elif op == "script":
                actions.feedback_settings_update(actor=user, questions=_script_from(post))
            elif op == "quiet":
                notification_settings_update(
                    actor=user,
                    quiet_from=_hhmm(post.get("quiet_from", "")),
                    quiet_until=_hhmm(post.get("quiet_until", "")),
                )
            else:
                message_template_save(
                    actor=user,
                    event=post.get("event", ""),
                    language=post.get("language", ""),
                    subject=post.get("subject", ""),
                    body=post.get("body", ""),
                )
        except (ApplicationError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                flash_error(request, exc)
            else:
                messages.error(request, _("Give numbers."))
        else:
            messages.success(request, _("Saved."))
        return redirect("feedback-settings")
    conf = feedback_settings(company_of(user))
    service_types = dict(ServiceType.choices)
    severities = dict(Severity.choices)
    due = {**rules.DEFAULT_DUE_HOURS, **(conf.due_hours or {})}
    minutes = {**rules.DEFAULT_COMPLAINT_MINUTES, **(conf.complaint_minutes or {})}
    quiet = notification_settings(company_of(user))
    return render(
        request,
        "web/feedback/settings.html",
        {
            "conf": conf,
            "due": [
                (k, service_types.get(k, _("Other service types")), due.get(k, due["default"]))
                for k in ("default", *ServiceType.values)
            ],
            "complaint_hours": [(k, severities[k], minutes[k] / 60) for k in Severity.values],
            "questions": [
                {
                    **q,
                    "zh": q.get("zh-hans", ""),
                    "required": q.get("code") in rules.REQUIRED_CODES,
                }
                for q in conf.questions or []
            ],
            "blank_questions": range(3),
            "question_kinds": QUESTION_KIND_LABELS.items(),
            "quiet": quiet,
            "templates": template_rows(company_of(user)),
        },
    )
