"""Every write of follow-ups (回访) and complaints (投诉).

Follow-ups: one task per completed order (a unique row; the visit's finish opens it and a
periodic job opens any that are missing), call attempts, results that are never edited
(amended by a newer row), the survey link (signed, single use, expires) and what a result sets
off: "not fixed" reopens the order, a low score or an overcharge opens one complaint.

Complaints: received → investigating → solution proposed → customer feedback → closed, or
escalated; deadlines by severity on the working calendar; the escalation job raises the level
at the deadline and after; the customer is told when it is received and of the outcome.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.calendars.selectors import work_calendar
from aftersales.core import clock
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.errors import ApplicationError, Conflict, NotFound
from aftersales.core.queue import trigger
from aftersales.core.selectors import as_id
from aftersales.core.transitions import apply
from aftersales.core.validation import Errors, ValidationFailed, set_whole_numbers
from aftersales.core.workclock import add_working_time, working_time_between
from aftersales.customers.models import Customer
from aftersales.customers.selectors import customers_visible_to
from aftersales.feedback import rules, tasks
from aftersales.feedback.choices import (
    COMPLAINT_MACHINE,
    AttemptOutcome,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    FollowUpStatus,
    ResultSource,
    Severity,
)
from aftersales.feedback.events import complaint_event
from aftersales.feedback.models import (
    Complaint,
    ComplaintEvent,
    FeedbackSettings,
    FollowUp,
    FollowUpAttempt,
    FollowUpResult,
    SurveyInvite,
)
from aftersales.feedback.selectors import (
    complaints_visible_to,
    feedback_settings,
    follow_ups_visible_to,
    questions_of,
)
from aftersales.notifications.actions import may_contact, notify, notify_customer
from aftersales.orders.actions import order_event, order_reopen, order_transition
from aftersales.orders.choices import EventKind, ServiceType, Status
from aftersales.orders.models import ServiceOrder

SURVEY_SALT = "aftersales.feedback.survey"
ESCALATION_ROLES = {1: Role.STATION_MANAGER, 2: Role.SERVICE_MANAGER, 3: Role.DEPARTMENT_HEAD}


SETTINGS_FIELDS = (
    "due_hours",
    "max_attempts",
    "low_score",
    "survey_days",
    "questions",
    "complaint_minutes",
    "repeat_days",
)
_RANGES = {
    "max_attempts": (1, 10),
    "low_score": (1, 4),
    "survey_days": (1, 60),
    "repeat_days": (1, 365),
}


@transaction.atomic
def feedback_settings_update(*, actor: User, **changes: Any) -> FeedbackSettings:
    """Change the follow-up rules, the script and the complaint deadlines (audited)."""
    require(actor, Perm.FEEDBACK_RULES)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: _("Unknown field.")})
    FeedbackSettings.objects.get_or_create(company_id=actor.company_id)
    row = FeedbackSettings.objects.select_for_update().get(company_id=company_of(actor))
    before = snapshot(row, SETTINGS_FIELDS)
    errors = Errors()
    set_whole_numbers(row, changes, _RANGES, errors)
    for name, keys, (low, high) in (
        ("due_hours", {"default", *ServiceType.values}, (1, 24 * 30)),
        ("complaint_minutes", set(Severity.values), (30, 60 * 24 * 30)),
    ):
        if name in changes:
            table = changes[name] or {}
            if not isinstance(table, dict) or set(table) - keys:
                errors.add(name, _("Unknown key."))
                continue
            try:
                cleaned = {k: int(v) for k, v in table.items()}
            except (TypeError, ValueError):
                cleaned = {"": -1}
            if any(not low <= v <= high for v in cleaned.values()):
                errors.add(name, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
            else:
                setattr(row, name, cleaned)
    if "questions" in changes:
        problems = rules.check_script(changes["questions"])
        if problems:
            errors.add("questions", "; ".join(problems))
        else:
            row.questions = changes["questions"]
    errors.raise_if_any()
    row.save()
    audit_record(
        actor=actor,
        action="feedback_settings.update",
        obj=row,
        changes=changed(before, snapshot(row, SETTINGS_FIELDS)),
    )
    return row


# --- follow-up tasks -------------------------------------------------------------------------


def follow_up_open(*, order: ServiceOrder, now: dt.datetime | None = None) -> FollowUp:
    """The order's follow-up task, opened once (a second call returns the same row)."""
    found = FollowUp.objects.filter(order=order).first()
    if found is not None:
        return found
    conf = feedback_settings(order.company_id)
    completed = order.completed_at or now or clock.now()
    try:
        with transaction.atomic():
            task = FollowUp.objects.create(
                company_id=order.company_id,
                order=order,
                due_at=rules.follow_up_due(completed, order.service_type, conf.due_hours),
                created_at=now or clock.now(),
            )
    except IntegrityError:  # opened at the same moment by the job
        return FollowUp.objects.get(order=order)
    order_event(
        order,
        actor=None,
        kind=EventKind.FOLLOW_UP,
        action="follow_up_due",
        payload={"follow_up": task.pk, "due": task.due_at.isoformat()},
        at=now,
    )
    transaction.on_commit(lambda: _send_survey_later(task.pk))
    return task


def _send_survey_later(follow_up_id: int) -> None:

    trigger(tasks.survey_send_task, follow_up_id)


def follow_ups_open_missing(*, limit: int = 1000) -> int:
    """Open the task of every completed order that has none (the periodic job)."""
    orders = ServiceOrder.objects.filter(
        status__in=(Status.COMPLETED,), follow_up__isnull=True
    ).order_by("id")[:limit]
    made = 0
    for order in orders:
        follow_up_open(order=order)
        made += 1
    return made


def _locked_row(model: Any, actor: User | None, obj: Any, perm: str, visible: Any) -> Any:
    """The row, locked, if the actor (None: the system) may act on it: `perm` and in the
    scope of `visible(actor)`; otherwise 403 / 404."""
    pk = as_id(obj.pk if isinstance(obj, model) else obj)
    if actor is not None:
        require(actor, perm)
        if pk is None or not visible(actor).filter(pk=pk).exists():
            raise NotFound("not_found", _("Not found."))
    found = model.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _locked_task(actor: User | None, follow_up: Any) -> FollowUp:
    return _locked_row(FollowUp, actor, follow_up, Perm.ORDER_FOLLOW_UP, follow_ups_visible_to)


@transaction.atomic
def follow_up_call(
    *, actor: User, follow_up: Any, outcome: str, note: str = "", now: dt.datetime | None = None
) -> FollowUp:
    """A call tried. After the configured number of calls without reaching the customer the
    task is closed as unreachable (recorded, counted in the follow-up success rate)."""
    task = _locked_task(actor, follow_up)
    if task.status != FollowUpStatus.OPEN:
        raise Conflict("follow_up_closed", _("This follow-up is already closed."))
    if outcome not in AttemptOutcome.values:
        raise ValidationFailed({"outcome": _("Choose how the call went.")})
    now = now or clock.now()
    FollowUpAttempt.objects.create(
        follow_up=task, at=now, by=actor, outcome=outcome, note=(note or "").strip()[:500]
    )
    task.attempts += 1
    fields = {"attempts", "version"}
    conf = feedback_settings(task.company_id)
    if outcome != AttemptOutcome.REACHED and task.attempts >= conf.max_attempts:
        task.status, task.closed_at = FollowUpStatus.UNREACHABLE, now
        fields |= {"status", "closed_at"}
    task.version += 1
    task.save(update_fields=sorted(fields))
    order_event(
        task.order,
        actor=actor,
        kind=EventKind.FOLLOW_UP,
        action="follow_up_call",
        reason=note,
        payload={"outcome": outcome, "attempts": task.attempts, "status": task.status},
        at=now,
    )
    return task


def _record(
    task: FollowUp,
    *,
    actor: User | None,
    source: str,
    raw: dict[str, Any],
    now: dt.datetime,
    amends: FollowUpResult | None = None,
    reason: str = "",
) -> FollowUpResult:
    questions = amends.questions if amends is not None else questions_of(task.company_id)
    answers, problems = rules.clean_answers(questions, raw)
    if problems:
        raise ValidationFailed({code: _("Answer this question.") for code in problems})
    result = FollowUpResult.objects.create(
        follow_up=task,
        source=source,
        answers=answers,
        questions=questions,
        satisfaction=answers.get("satisfaction"),
        fixed=answers.get("fixed"),
        amends=amends,
        reason=reason,
        recorded_by=actor,
        at=now,
    )
    order = ServiceOrder.objects.select_for_update().get(pk=task.order_id)
    order_event(
        order,
        actor=actor,
        kind=EventKind.FOLLOW_UP,
        action="follow_up_amended" if amends else "follow_up_result",
        reason=reason,
        payload={"result": result.pk, "source": source, "answers": answers},
        at=now,
    )
    if amends is None:
        task.status, task.closed_at = FollowUpStatus.DONE, now
        task.version += 1
        task.save(update_fields=["status", "closed_at", "version"])
        if order.status == Status.COMPLETED:
            order = order_transition(
                actor=actor, order=order, action="follow_up", at=now, recorded=True
            )
    _act_on(task, order, answers, actor, now)
    return result


def _act_on(
    task: FollowUp,
    order: ServiceOrder,
    answers: dict[str, Any],
    actor: User | None,
    now: dt.datetime,
) -> None:
    """Not fixed → the order reopens (once); low score / overcharge → one complaint."""
    conf = feedback_settings(task.company_id)
    then = rules.consequences(answers, conf.low_score)
    reasons = list(then.reasons)
    category = then.complaint_category
    if then.reopen and not order.reopenings.exists() and order.can("reopen"):
        try:
            with transaction.atomic():
                order_reopen(
                    actor=actor,  # type: ignore[arg-type]
                    order=order,
                    reason=str(_("Follow-up: the fault is not fixed")),
                )
        except ApplicationError:  # past the reopen window: a complaint carries it instead
            reasons.append("not_fixed")
            category = category or "quality"
    if reasons and not Complaint.objects.filter(follow_up=task).exists():
        words = {
            "overcharge": str(_("the customer says the charges were not right")),
            "low_score": str(_("satisfaction %(n)s of 5") % {"n": answers.get("satisfaction")}),
            "not_fixed": str(_("the fault is not fixed and the order can no longer be reopened")),
        }
        text = "; ".join(words[r] for r in reasons)
        comment = answers.get("comment")
        complaint_create(
            actor=None,
            customer=order.customer_id,
            order=order,
            source=ComplaintSource.SURVEY if actor is None else ComplaintSource.FOLLOW_UP,
            category=category,
            severity=Severity.MEDIUM,
            description=f"{_('Follow-up')}: {text}" + (f"\n{comment}" if comment else ""),
            follow_up=task,
            now=now,
        )


@transaction.atomic
def follow_up_record(
    *, actor: User, follow_up: Any, answers: dict[str, Any], now: dt.datetime | None = None
) -> FollowUpResult:
    """The agent records the call's answers (once; a correction is an amendment)."""
    task = _locked_task(actor, follow_up)
    if task.status != FollowUpStatus.OPEN:
        raise Conflict("follow_up_closed", _("This follow-up is already closed."))
    return _record(
        task, actor=actor, source=str(ResultSource.CALL), raw=answers, now=now or clock.now()
    )


@transaction.atomic
def follow_up_amend(
    *,
    actor: User,
    result: Any,
    answers: dict[str, Any],
    reason: str,
    now: dt.datetime | None = None,
) -> FollowUpResult:
    """A correction of a recorded result: a new row pointing at the one it amends (the latest
    version only); the old row stays as it was."""
    found = FollowUpResult.objects.filter(pk=as_id(result)).select_related("follow_up").first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    task = _locked_task(actor, found.follow_up)
    if FollowUpResult.objects.filter(amends=found).exists():
        raise Conflict("already_amended", _("Amend the latest version of this result."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("Give a reason.")})
    return _record(
        task,
        actor=actor,
        source=found.source,
        raw=answers,
        now=now or clock.now(),
        amends=found,
        reason=reason[:500],
    )


# --- the survey link -------------------------------------------------------------------------


def _survey_token(invite: SurveyInvite) -> str:
    return signing.dumps({"i": invite.pk, "n": invite.nonce}, salt=SURVEY_SALT)


@transaction.atomic
def survey_send(*, follow_up: Any, now: dt.datetime | None = None) -> SurveyInvite | None:
    """Send the customer a survey link (signed, single use, expires after the configured
    days) — unless the customer withdrew consent to surveys: then nothing is sent (None)."""
    task = _locked_task(None, follow_up)
    if task.status != FollowUpStatus.OPEN:
        return None
    now = now or clock.now()
    conf = feedback_settings(task.company_id)
    customer = task.order.customer

    if not may_contact(customer, "survey"):
        return None
    invite = SurveyInvite.objects.create(
        follow_up=task,
        nonce=secrets.token_hex(16),
        expires_at=now + dt.timedelta(days=conf.survey_days),
        created_at=now,
    )
    link = settings.AFTERSALES_BASE_URL + reverse("survey", kwargs={"token": _survey_token(invite)})
    notify_customer(
        company_id=task.company_id,
        customer=customer,
        event="survey",
        context={"number": task.order.number, "link": link, "days": conf.survey_days},
        dedupe_key=f"survey:{invite.pk}",
    )
    order_event(
        task.order,
        actor=None,
        kind=EventKind.FOLLOW_UP,
        action="survey_sent",
        payload={"invite": invite.pk, "expires": invite.expires_at.isoformat()},
        at=now,
    )
    return invite


def survey_invite(token: str, now: dt.datetime | None = None) -> SurveyInvite:
    """The invite a survey link names, while it can still be answered."""
    try:
        data = signing.loads(token, salt=SURVEY_SALT)
    except signing.BadSignature:
        raise NotFound("not_found", _("This link is not valid.")) from None
    invite = (
        SurveyInvite.objects.filter(pk=data.get("i"), nonce=data.get("n"))
        .select_related("follow_up__order")
        .first()
    )
    if invite is None:
        raise NotFound("not_found", _("This link is not valid."))
    if invite.used_at is not None:
        raise Conflict("survey_used", _("This survey was already answered. Thank you!"))
    if (now or clock.now()) >= invite.expires_at:
        raise Conflict("survey_expired", _("This survey link has expired."))
    if invite.follow_up.status != FollowUpStatus.OPEN:
        raise Conflict("survey_used", _("This survey was already answered. Thank you!"))
    return invite


@transaction.atomic
def survey_answer(
    *, token: str, answers: dict[str, Any], now: dt.datetime | None = None
) -> FollowUpResult:
    """The customer's answers by the survey link: once, before it expires."""
    now = now or clock.now()
    invite = survey_invite(token, now)
    locked = SurveyInvite.objects.select_for_update().get(pk=invite.pk)
    if locked.used_at is not None:
        raise Conflict("survey_used", _("This survey was already answered. Thank you!"))
    task = _locked_task(None, locked.follow_up_id)
    if task.status != FollowUpStatus.OPEN:
        raise Conflict("survey_used", _("This survey was already answered. Thank you!"))
    result = _record(task, actor=None, source=str(ResultSource.SURVEY), raw=answers, now=now)
    locked.used_at = now
    locked.save(update_fields=["used_at"])
    return result


@transaction.atomic
def follow_up_answer_by_customer(
    *, follow_up: Any, answers: dict[str, Any], now: dt.datetime | None = None
) -> FollowUpResult:
    """The customer's own answers from the portal (signed in there): once, like the survey."""
    task = _locked_task(None, follow_up)
    if task.status != FollowUpStatus.OPEN:
        raise Conflict("survey_used", _("This survey was already answered. Thank you!"))
    result = _record(
        task, actor=None, source=str(ResultSource.SURVEY), raw=answers, now=now or clock.now()
    )
    task.invites.filter(used_at__isnull=True).update(used_at=result.at)
    return result


# --- complaints ------------------------------------------------------------------------------


def _number(company_id: int, now: dt.datetime) -> str:
    prefix = f"TS{timezone.localtime(now):%Y%m%d}"
    count = Complaint.objects.filter(company_id=company_id, number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def _goal_moment(complaint: Complaint, ratio: float) -> dt.datetime:
    cal = work_calendar(complaint.company_id)
    minutes = complaint.goal_minutes * ratio
    return add_working_time(cal, complaint.created_at, dt.timedelta(minutes=minutes)).value


@transaction.atomic
def complaint_create(
    *,
    actor: User | None,
    customer: Any,
    source: str,
    category: str,
    severity: str,
    description: str,
    order: Any = None,
    follow_up: FollowUp | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Register a complaint (hotline, portal, survey, follow-up call, agent), linked to the
    order and through it to the technician and station; deadline by severity on the working
    calendar; flagged as a repeat when the customer complained within the window."""
    now = now or clock.now()
    errors = Errors()
    found_order = None
    if actor is not None:
        require(actor, Perm.COMPLAINT_HANDLE)

        found_customer = customers_visible_to(actor).filter(pk=as_id(customer)).first()
    else:
        found_customer = Customer.objects.filter(pk=as_id(customer)).first()
    if found_customer is None:
        raise ValidationFailed({"customer": _("Unknown customer.")})
    if order not in (None, ""):
        found_order = ServiceOrder.objects.filter(
            pk=as_id(order.pk if isinstance(order, ServiceOrder) else order),
            customer=found_customer,
        ).first()
        if found_order is None:
            errors.add("order", _("Not an order of this customer."))
    if source not in ComplaintSource.values:
        errors.add("source", _("Unknown source."))
    if category not in ComplaintCategory.values:
        errors.add("category", _("Choose a category."))
    if severity not in Severity.values:
        errors.add("severity", _("Choose a severity."))
    description = (description or "").strip()
    if not description:
        errors.add("description", _("Describe the complaint."))
    elif len(description) > 4000:
        errors.add("description", _("At most %(n)d characters.") % {"n": 4000})
    errors.raise_if_any()
    conf = feedback_settings(found_customer.company_id)
    goal = rules.complaint_minutes(severity, conf.complaint_minutes)
    earlier = list(
        Complaint.objects.filter(customer=found_customer).values_list("created_at", flat=True)
    )
    complaint = Complaint(
        company_id=found_customer.company_id,
        customer=found_customer,
        order=found_order,
        technician_id=found_order.technician_id if found_order else None,
        station_id=(found_order.station_id if found_order else None) or found_customer.station_id,
        source=source,
        category=category,
        severity=severity,
        description=description,
        goal_minutes=goal,
        is_repeat=rules.is_repeat(earlier, now, conf.repeat_days),
        follow_up=follow_up,
        created_by=actor,
        created_at=now,
        due_at=now,
    )
    complaint.due_at = _goal_moment(complaint, 1.0)
    complaint.next_escalation_at = complaint.due_at
    for _attempt in range(5):  # numbers are per day; a racing insert takes the next one
        complaint.number = _number(complaint.company_id, now)
        try:
            with transaction.atomic():
                complaint.save()
            break
        except IntegrityError:
            if Complaint.objects.filter(follow_up=follow_up).exists() and follow_up is not None:
                return Complaint.objects.get(follow_up=follow_up)
            complaint.pk = None
    else:
        raise Conflict("busy", _("Please try again."))
    complaint_event(
        complaint,
        actor=actor,
        action="received",
        payload={
            "source": source,
            "repeat": complaint.is_repeat,
            "due": complaint.due_at.isoformat(),
        },
        at=now,
    )
    if found_order is not None:
        order_event(
            found_order,
            actor=actor,
            kind=EventKind.NOTE,
            action="complaint",
            payload={"complaint": complaint.pk, "number": complaint.number},
            at=now,
        )
    notify_customer(
        company_id=complaint.company_id,
        customer=found_customer,
        event="complaint_received",
        context={
            "number": complaint.number,
            "due": timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"),
        },
        dedupe_key=f"complaint:{complaint.pk}:received",
    )
    return complaint


def _locked_complaint(actor: User | None, complaint: Any) -> Complaint:
    return _locked_row(Complaint, actor, complaint, Perm.COMPLAINT_HANDLE, complaints_visible_to)


TEXT_FIELD = {
    "propose": "solution",
    "feedback_accepted": "customer_feedback",
    "feedback_rejected": "customer_feedback",
    "close": "outcome",
}


@transaction.atomic
def complaint_transition(
    *,
    actor: User,
    complaint: Any,
    action: str,
    text: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """One step of the lifecycle. The solution, the customer's feedback and the outcome are
    required with their steps; closing tells the customer the outcome; escalating raises the
    level and tells the next level's people."""
    if action not in COMPLAINT_MACHINE.table:
        raise NotFound("unknown_action", _("Unknown action."))
    row = _locked_complaint(actor, complaint)
    if version is not None and int(version) != row.version:
        raise Conflict("stale_version", _("Someone else changed this complaint; reload it."))
    if not row.can(action):
        raise Conflict(
            "illegal_transition",
            _("A complaint in status “%(status)s” cannot be changed this way.")
            % {"status": ComplaintStatus(row.status).label},
        )
    text = (text or "").strip()
    field = TEXT_FIELD.get(action)
    if (field or action == "escalate") and not text:
        raise ValidationFailed(
            {"text": _("This step needs a text (solution, feedback, outcome or reason).")}
        )
    now = now or clock.now()
    fields: set[str] = set()
    if field:
        setattr(row, field, text[:4000])
        fields.add(field)
    if action == "close":
        row.closed_at, row.next_escalation_at = now, None
        fields |= {"closed_at", "next_escalation_at"}
    if action == "escalate":
        row.escalation_level = min(3, row.escalation_level + 1)
        fields.add("escalation_level")
    apply(
        COMPLAINT_MACHINE,
        row,
        action,
        event_model=ComplaintEvent,
        subject_field="complaint",
        actor=actor,
        reason=text,
        at=now,
        extra_fields=sorted(fields),
    )
    if action == "escalate":
        _tell_level(row, row.escalation_level, text)
    if action == "close":
        notify_customer(
            company_id=row.company_id,
            customer=row.customer,
            event="complaint_outcome",
            context={"number": row.number, "outcome": row.outcome},
            dedupe_key=f"complaint:{row.pk}:outcome",
        )
    return row


VALIDITY_ACTIONS = {"invalidate": False, "validate": True}


@transaction.atomic
def complaint_validity_set(
    *, actor: User, complaint: Any, valid: bool, reason: str, version: int | None = None
) -> Complaint:
    """Judge a complaint valid or invalid (the people who run the assessment). An invalid
    complaint stays on record but does not count in the KPIs (complaint rate) nor in an
    assessment's deductions. Each judgement is an event (`invalidate` / `validate`) with its
    reason; the KPI job reads those events."""
    row = _locked_row(Complaint, actor, complaint, Perm.ASSESSMENT_EDIT, complaints_visible_to)
    if version is not None and int(version) != row.version:
        raise Conflict("stale_version", _("Someone else changed this complaint; reload it."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"text": _("Give a reason for the judgement.")})
    if row.valid == valid:
        raise Conflict(
            "no_change",
            _("The complaint is already judged valid.")
            if valid
            else _("The complaint is already judged invalid."),
        )
    row.valid = valid
    row.version += 1
    row.save(update_fields=["valid", "version"])
    complaint_event(
        row,
        actor=actor,
        action="validate" if valid else "invalidate",
        before=row.status,
        reason=reason[:4000],
    )
    audit_record(
        actor=actor,
        action="complaint.validity",
        obj=row,
        changes={"valid": [not valid, valid]},
        reason=reason[:500],
    )
    return row


def _tell_level(row: Complaint, level: int, why: Any) -> None:
    """Tell the level's people, each in their language (`why`: the person's reason, or a
    lazy text of the system's)."""
    role = ESCALATION_ROLES.get(level)
    people = User.objects.filter(company_id=row.company_id, role=role, is_active=True)
    if role == Role.STATION_MANAGER:
        # The complaint's station's managers; of a complaint of no station, those of none.
        if row.station_id is None:
            people = people.filter(station__isnull=True)
        else:
            people = people.filter(station_id=row.station_id)
    for person in people:
        with translation.override(person.reads()):  # in the language they read
            subject = str(
                _("Complaint %(n)s escalated to level %(l)d") % {"n": row.number, "l": level}
            )
            head = f"{row.get_category_display()} · {row.get_severity_display()}"
            body = f"{head}: {row.description[:200]}\n{why}"
        notify(
            company_id=row.company_id,
            recipient=person,
            subject=subject,
            body=body,
            dedupe_key=f"complaint:{row.pk}:level:{level}:{person.pk}",
            channel="in_app",
        )


def complaints_escalate_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The escalation job: each open complaint past a step of its deadline goes up a level
    (once per level, however often or concurrently the job runs)."""
    now = now or clock.now()
    ids = list(
        Complaint.objects.filter(
            status__in=rules.OPEN_COMPLAINT, next_escalation_at__lte=now
        ).values_list("id", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            row = (
                Complaint.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status__in=rules.OPEN_COMPLAINT, next_escalation_at__lte=now)
                .first()
            )
            if row is None:
                continue
            cal = work_calendar(row.company_id)
            elapsed = working_time_between(cal, row.created_at, now).duration
            level = rules.escalation_level(elapsed.total_seconds() / 60, row.goal_minutes)
            step = min(len(rules.ESCALATION_STEPS), max(level, row.escalation_level) + 1)
            row.next_escalation_at = (
                _goal_moment(row, rules.ESCALATION_STEPS[step - 1])
                if max(level, row.escalation_level) < len(rules.ESCALATION_STEPS)
                else None
            )
            fields = ["next_escalation_at"]
            if level > row.escalation_level:
                row.escalation_level = level
                fields.append("escalation_level")
                done += 1
            row.save(update_fields=fields)
            if "escalation_level" in fields:
                complaint_event(
                    row,
                    actor=None,
                    action="deadline_escalation",
                    before=row.status,
                    payload={"level": level},
                    at=now,
                )
                _tell_level(row, level, _("The deadline has passed."))
    return done
