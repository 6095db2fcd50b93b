"""Follow-ups and complaints through their actions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.models import AppendOnlyError
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions as customer_actions
from aftersales.feedback import actions
from aftersales.feedback.models import (
    Complaint,
    ComplaintEvent,
    FollowUp,
    FollowUpResult,
    SurveyInvite,
)
from aftersales.fieldwork.tests.fixtures import finish_simply
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
GOOD = {
    "fixed": "yes",
    "on_time": "yes",
    "polite": "yes",
    "charged_correctly": "yes",
    "satisfaction": 5,
}


@pytest.fixture
def completed(on_site, people, django_capture_on_commit_callbacks):
    """An order finished on site, with what happens after the commit (survey link) done."""

    def make():
        order = on_site()
        with django_capture_on_commit_callbacks(execute=True):
            return finish_simply(order, people["tech"])

    return make


def test_a_completed_order_gets_exactly_one_follow_up(completed):
    order = completed()
    task = FollowUp.objects.get(order=order)
    assert task.status == "open"
    assert task.due_at == order.completed_at + dt.timedelta(hours=48)
    assert actions.follow_up_open(order=order) == task
    assert actions.follow_ups_open_missing() == 0
    assert FollowUp.objects.filter(order=order).count() == 1


def test_the_sweep_opens_the_task_an_order_missed(completed):
    order = completed()
    FollowUp.objects.filter(order=order).delete()  # as if the worker died before opening it
    assert actions.follow_ups_open_missing() == 1
    assert actions.follow_ups_open_missing() == 0
    assert FollowUp.objects.filter(order=order).count() == 1


def test_completion_sends_a_survey_link_unless_consent_was_withdrawn(completed, data, agent):
    order = completed()
    assert SurveyInvite.objects.filter(follow_up__order=order).count() == 1
    assert OutboxMessage.objects.filter(customer=order.customer, event="survey").count() == 1
    customer_actions.consent_record(
        actor=agent, customer=data["c1"], purpose="survey", granted=False, channel="phone"
    )
    second = completed()
    assert not SurveyInvite.objects.filter(follow_up__order=second).exists()
    assert actions.survey_send(follow_up=second.follow_up) is None
    assert OutboxMessage.objects.filter(customer=order.customer, event="survey").count() == 1


def _token(order):
    invite = SurveyInvite.objects.get(follow_up__order=order)
    return actions._survey_token(invite)


def test_the_survey_token_works_once(completed):
    order = completed()
    token = _token(order)
    result = actions.survey_answer(token=token, answers=GOOD)
    assert (result.source, result.satisfaction, result.recorded_by) == ("survey", 5, None)
    assert ServiceOrder.objects.get(pk=order.pk).status == "followed_up"
    with pytest.raises(Conflict) as exc:
        actions.survey_answer(token=token, answers=GOOD)
    assert exc.value.code == "survey_used"
    assert FollowUpResult.objects.filter(follow_up__order=order).count() == 1


def test_the_survey_token_expires_and_cannot_be_forged(completed):
    order = completed()
    token = _token(order)
    later = timezone.now() + dt.timedelta(days=8)
    with pytest.raises(Conflict) as exc:
        actions.survey_answer(token=token, answers=GOOD, now=later)
    assert exc.value.code == "survey_expired"
    with pytest.raises(NotFound):
        actions.survey_invite(token[:-2] + "xx")


def test_a_low_score_opens_one_complaint(completed, people):
    order = completed()
    result = actions.follow_up_record(
        actor=people["agent"],
        follow_up=order.follow_up,
        answers={**GOOD, "satisfaction": 1, "comment": "态度差"},
    )
    complaint = Complaint.objects.get(follow_up__order=order)
    assert (complaint.source, complaint.category, complaint.order_id) == (
        "follow_up",
        "quality",
        order.pk,
    )
    assert complaint.technician_id == people["tech"].pk and complaint.station_id == order.station_id
    assert "态度差" in complaint.description
    actions.follow_up_amend(
        actor=people["agent"], result=result, answers={**GOOD, "satisfaction": 1}, reason="补充"
    )
    assert Complaint.objects.filter(order=order).count() == 1


def test_an_overcharge_opens_a_charges_complaint(completed):
    order = completed()
    actions.survey_answer(token=_token(order), answers={**GOOD, "charged_correctly": "no"})
    complaint = Complaint.objects.get(order=order)
    assert (complaint.source, complaint.category) == ("survey", "charges")


def test_not_fixed_reopens_the_order(completed, people):
    order = completed()
    actions.follow_up_record(
        actor=people["agent"],
        follow_up=order.follow_up,
        answers={**GOOD, "fixed": "no", "satisfaction": 3},
    )
    reopened = ServiceOrder.objects.get(reopened_from=order)
    assert reopened.status == "reopened"
    assert not Complaint.objects.filter(order=order).exists()


def test_results_are_never_edited_only_amended(completed, people):
    order = completed()
    agent = people["agent"]
    first = actions.follow_up_record(actor=agent, follow_up=order.follow_up, answers=GOOD)
    first.answers = {"fixed": False}
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(Conflict):
        actions.follow_up_record(actor=agent, follow_up=order.follow_up, answers=GOOD)
    with pytest.raises(ValidationFailed):
        actions.follow_up_amend(actor=agent, result=first, answers=GOOD, reason="")
    second = actions.follow_up_amend(
        actor=agent, result=first, answers={**GOOD, "satisfaction": 4}, reason="客户更正"
    )
    assert (
        second.amends_id == first.pk and FollowUpResult.objects.get(pk=first.pk).satisfaction == 5
    )
    with pytest.raises(Conflict) as exc:
        actions.follow_up_amend(actor=agent, result=first, answers=GOOD, reason="again")
    assert exc.value.code == "already_amended"


def test_answers_must_follow_the_script(completed, people):
    order = completed()
    with pytest.raises(ValidationFailed) as exc:
        actions.follow_up_record(
            actor=people["agent"], follow_up=order.follow_up, answers={"fixed": "yes"}
        )
    assert {"satisfaction", "on_time"} <= set(exc.value.errors)
    assert FollowUp.objects.get(order=order).status == "open"


def test_unreachable_after_the_configured_calls(completed, people):
    order = completed()
    agent = people["agent"]
    for outcome in ("no_answer", "busy"):
        assert (
            actions.follow_up_call(actor=agent, follow_up=order.follow_up, outcome=outcome).status
            == "open"
        )
    task = actions.follow_up_call(actor=agent, follow_up=order.follow_up, outcome="no_answer")
    assert (task.status, task.attempts) == ("unreachable", 3)
    with pytest.raises(Conflict):
        actions.follow_up_call(actor=agent, follow_up=order.follow_up, outcome="no_answer")


def test_technicians_do_not_follow_up(completed, people):
    order = completed()
    with pytest.raises(PermissionDenied):
        actions.follow_up_record(actor=people["tech"], follow_up=order.follow_up, answers=GOOD)


# --- complaints ------------------------------------------------------------------------------


MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SH)


def _complaint(people, data, severity="high", when=MONDAY_10, **kw):
    return actions.complaint_create(
        actor=people["agent"],
        customer=data["c1"],
        source="hotline",
        category="delay",
        severity=severity,
        description="等了三天没人来",
        now=when,
        **kw,
    )


def test_complaint_deadline_counts_working_hours(people, data):
    high = _complaint(people, data)
    assert high.due_at == dt.datetime(2026, 12, 7, 18, 0, tzinfo=SH)
    medium = _complaint(people, data, severity="medium")
    # 24 working hours of 9 a day from Monday 10:00: Wednesday 16:00.
    assert medium.due_at == dt.datetime(2026, 12, 9, 16, 0, tzinfo=SH)
    assert medium.is_repeat and not high.is_repeat
    assert high.number != medium.number


def test_escalation_follows_the_deadline_once_per_level(people, data, new_order, walk):
    order = walk(new_order(), "assign")
    complaint = _complaint(people, data, order=order)
    run = actions.complaints_escalate_due
    assert run(now=dt.datetime(2026, 12, 7, 17, 59, tzinfo=SH)) == 0
    assert run(now=dt.datetime(2026, 12, 7, 18, 0, tzinfo=SH)) == 1
    assert run(now=dt.datetime(2026, 12, 7, 19, 0, tzinfo=SH)) == 0
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
    assert complaint.next_escalation_at == dt.datetime(2026, 12, 8, 13, 0, tzinfo=SH)
    manager = people["station_manager"]
    assert OutboxMessage.objects.filter(recipient=manager, channel="in_app").count() == 1
    assert run(now=dt.datetime(2026, 12, 8, 13, 0, tzinfo=SH)) == 1
    assert run(now=dt.datetime(2026, 12, 8, 17, 0, tzinfo=SH)) == 1
    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.next_escalation_at) == (3, None)
    assert run(now=dt.datetime(2026, 12, 20, tzinfo=SH)) == 0
    levels = [
        e.payload["level"]
        for e in ComplaintEvent.objects.filter(complaint=complaint, action="deadline_escalation")
    ]
    assert levels == [1, 2, 3]
    assert OutboxMessage.objects.filter(recipient=people["service_manager"]).count() == 1
    assert OutboxMessage.objects.filter(recipient=people["department_head"]).count() == 1


def test_the_lifecycle_with_the_customer_told_the_outcome(people, data):
    complaint = _complaint(people, data)
    agent = people["agent"]
    with pytest.raises(Conflict):
        actions.complaint_transition(actor=agent, complaint=complaint, action="close", text="x")
    actions.complaint_transition(actor=agent, complaint=complaint, action="investigate")
    with pytest.raises(ValidationFailed):
        actions.complaint_transition(actor=agent, complaint=complaint, action="propose", text="")
    actions.complaint_transition(
        actor=agent, complaint=complaint, action="propose", text="明天上午优先上门并减免上门费"
    )
    actions.complaint_transition(
        actor=agent, complaint=complaint, action="feedback_rejected", text="要求今天"
    )
    actions.complaint_transition(
        actor=agent, complaint=complaint, action="escalate", text="客户不接受"
    )
    row = actions.complaint_transition(
        actor=people["service_manager"], complaint=complaint, action="investigate"
    )
    assert (row.status, row.escalation_level) == ("investigating", 1)
    actions.complaint_transition(
        actor=agent, complaint=complaint, action="propose", text="今天下午上门"
    )
    actions.complaint_transition(
        actor=agent, complaint=complaint, action="feedback_accepted", text="同意"
    )
    row = actions.complaint_transition(
        actor=agent, complaint=complaint, action="close", text="已于当天修复，减免上门费"
    )
    assert row.status == "closed" and row.closed_at is not None
    told = OutboxMessage.objects.filter(customer=data["c1"], event="complaint_outcome").get()
    assert "已于当天修复" in told.body
    assert (
        OutboxMessage.objects.filter(customer=data["c1"], event="complaint_received").count() == 1
    )
    steps = list(
        ComplaintEvent.objects.filter(complaint=complaint)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert steps == [
        "received",
        "investigate",
        "propose",
        "feedback_rejected",
        "escalate",
        "investigate",
        "propose",
        "feedback_accepted",
        "close",
    ]


def test_complaints_are_scoped(people, data):
    complaint = actions.complaint_create(
        actor=people["agent"],
        customer=data["c2"],
        source="hotline",
        category="other",
        severity="low",
        description="北京的投诉",
    )
    with pytest.raises(NotFound):
        actions.complaint_transition(
            actor=people["station_manager"], complaint=complaint, action="investigate"
        )
    with pytest.raises(PermissionDenied):
        actions.complaint_transition(
            actor=people["tech"], complaint=complaint, action="investigate"
        )


def test_a_complaint_needs_its_fields(people, data):
    with pytest.raises(ValidationFailed) as exc:
        actions.complaint_create(
            actor=people["agent"],
            customer=data["c1"],
            source="x",
            category="y",
            severity="z",
            description=" ",
        )
    assert set(exc.value.errors) == {"source", "category", "severity", "description"}
