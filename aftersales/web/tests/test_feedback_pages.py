"""Follow-up and complaint pages through Django's test client; the survey page by its link."""

from __future__ import annotations

import pytest

from aftersales.customers import actions as customer_actions
from aftersales.feedback import actions
from aftersales.feedback.models import Complaint, FollowUp, SurveyInvite
from aftersales.fieldwork.tests.fixtures import finish_simply
from aftersales.orders.models import ServiceOrder
from aftersales.web.tests.sheets import xlsx_rows

pytestmark = pytest.mark.django_db
GOOD = {
    "fixed": "yes",
    "on_time": "yes",
    "polite": "yes",
    "charged_correctly": "yes",
    "satisfaction": "5",
}


@pytest.fixture
def completed(on_site, people, django_capture_on_commit_callbacks):
    order = on_site()
    with django_capture_on_commit_callbacks(execute=True):
        return finish_simply(order, people["tech"])


def test_the_queue_lists_open_follow_ups_and_the_script_records_them(login, people, completed):
    client = login(people["agent"])
    html = client.get("/follow-ups/").content.decode()
    assert completed.number in html
    task = FollowUp.objects.get(order=completed)
    page = client.get(f"/follow-ups/{task.pk}/").content.decode()
    assert "故障是否已排除" in page  # the script, in Chinese
    client.post(f"/follow-ups/{task.pk}/", {"op": "result", **GOOD, "satisfaction": "1"})
    task.refresh_from_db()
    assert task.status == "done"
    assert Complaint.objects.filter(follow_up=task).count() == 1
    assert completed.number not in client.get("/follow-ups/").content.decode()


def test_a_call_without_answer_is_recorded(login, people, completed):
    task = FollowUp.objects.get(order=completed)
    login(people["agent"]).post(f"/follow-ups/{task.pk}/", {"op": "call", "outcome": "no_answer"})
    assert FollowUp.objects.get(pk=task.pk).attempts == 1


def test_follow_ups_are_not_for_technicians_or_other_regions(
    login, people, completed, make_user, data
):
    task = FollowUp.objects.get(order=completed)
    assert login(people["tech"]).get("/follow-ups/").status_code == 403
    north_agent = make_user("agent", region=data["north"])
    assert login(north_agent).get(f"/follow-ups/{task.pk}/").status_code == 404


def test_the_survey_page_works_once_without_login(client, completed):
    invite = SurveyInvite.objects.get(follow_up__order=completed)
    url = f"/s/{actions._survey_token(invite)}/"
    assert "满意度" in client.get(url).content.decode()
    done = client.post(url, GOOD)
    assert 'data-testid="survey-thanks"' in done.content.decode()
    again = client.get(url)
    assert again.status_code == 409
    assert ServiceOrder.objects.get(pk=completed.pk).status == "followed_up"
    assert client.get("/s/forged/").status_code == 404


def test_complaints_register_and_walk_through_the_pages(login, people, completed):
    client = login(people["agent"])
    client.post(
        "/complaints/new/",
        {
            "customer": completed.customer_id,
            "order": completed.pk,
            "source": "hotline",
            "category": "attitude",
            "severity": "high",
            "description": "工程师迟到且态度不好",
        },
    )
    complaint = Complaint.objects.get(order=completed)
    assert complaint.technician_id == people["tech"].pk
    for action, text in (
        ("investigate", ""),
        ("propose", "道歉并免上门费"),
        ("feedback_accepted", "接受"),
        ("close", "已道歉并退还上门费"),
    ):
        client.post(f"/complaints/{complaint.pk}/act/{action}/", {"text": text})
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "已道歉并退还上门费" in html and "已受理" in html


def test_a_complaint_by_phone_and_scope(login, people, data, make_user):
    client = login(people["agent"])
    client.post(
        "/complaints/new/",
        {
            "phone": "139-8765-4321",
            "source": "hotline",
            "category": "other",
            "severity": "low",
            "description": "咨询无人回复",
        },
    )
    complaint = Complaint.objects.get(customer=data["c2"])
    assert login(people["station_manager"]).get(f"/complaints/{complaint.pk}/").status_code == 404
    assert login(people["tech"]).get("/complaints/").status_code == 403


def test_settings_change_the_script_deadlines_quiet_hours_and_wording(login, people, data):

    from aftersales.feedback.selectors import feedback_settings
    from aftersales.notifications.actions import notification_settings, notify_customer
    from aftersales.notifications.models import MessageTemplate

    client = login(people["service_manager"])
    assert "故障是否已排除" in client.get("/follow-ups/settings/").content.decode()
    client.post(
        "/follow-ups/settings/",
        {
            "op": "rules",
            "max_attempts": "2",
            "low_score": "3",
            "survey_days": "5",
            "repeat_days": "30",
            "due_default": "24",
            "complaint_high": "4",
        },
    )
    conf = feedback_settings(data["company"].pk)
    assert (
        conf.max_attempts,
        conf.low_score,
        conf.due_hours["default"],
        conf.complaint_minutes["high"],
    ) == (2, 3, 24, 240)
    # The script is edited as rows of questions (no JSON): a blank row adds one, a tick removes.
    client.post(
        "/follow-ups/settings/",
        {
            "op": "script",
            "code": ["fixed", "on_time", "satisfaction", ""],
            "kind": ["yes_no", "yes_no", "score", "text"],
            "text_zh": ["修好了吗？", "准时吗？", "满意度", "还有什么意见？"],
            "text_en": ["", "", "", ""],
            "remove": ["on_time"],
        },
    )
    assert [
        (q["code"], q["kind"], q["zh-hans"])
        for q in feedback_settings(data["company"].pk).questions
    ] == [
        ("fixed", "yes_no", "修好了吗？"),
        ("satisfaction", "score", "满意度"),
        ("q1", "text", "还有什么意见？"),
    ]
    broken = client.post(
        "/follow-ups/settings/",
        {"op": "script", "code": ["fixed"], "kind": ["yes_no"], "text_zh": [""], "text_en": ["?"]},
        follow=True,
    )
    assert "satisfaction" in broken.content.decode()
    assert len(feedback_settings(data["company"].pk).questions) == 3
    client.post(
        "/follow-ups/settings/", {"op": "quiet", "quiet_from": "21:30", "quiet_until": "08:00"}
    )
    assert str(notification_settings(data["company"].pk).quiet_from) == "21:30:00"
    client.post(
        "/follow-ups/settings/",
        {
            "op": "template",
            "event": "report",
            "language": "zh-hans",
            "subject": "维修单",
            "body": "您的工单{number}：{link}",
        },
    )
    message = notify_customer(
        company_id=data["company"].pk,
        customer=data["c1"],
        event="report",
        context={"number": "N1", "link": "L"},
    )
    assert message.body == "您的工单N1：L"
    client.post(
        "/follow-ups/settings/",
        {"op": "template", "event": "report", "language": "zh-hans", "subject": "", "body": ""},
    )
    assert not MessageTemplate.objects.exists()
    assert login(people["agent"]).get("/follow-ups/settings/").status_code == 403


# --- Excel exports of the complaints list and the follow-up queue ----------------------------


@pytest.fixture
def other_customer(make_user, org_tree):
    """A customer of another company."""
    return customer_actions.customer_create(
        actor=make_user("agent", company=org_tree["other"]),
        name="别家客户",
        phone="13700001111",
        address_line="广州市天河区",
    )


def _complaint(customer, **kw):
    fields = {"source": "hotline", "category": "delay", "severity": "high"}
    fields.update(kw)
    return actions.complaint_create(
        actor=None, customer=customer.pk, description="一直没人上门", **fields
    )


def test_the_complaints_export_has_the_lists_filter_and_labels(login, people, data, other_customer):
    received = _complaint(data["c1"])
    investigated = _complaint(data["c1"], category="other", severity="low")
    foreign = _complaint(other_customer)
    client = login(people["agent"])
    client.post(f"/complaints/{investigated.pk}/act/investigate/", {"text": ""})
    page = client.get("/complaints/", {"status": "received"}).content.decode()
    assert 'data-testid="complaint-export"' in page
    assert "/complaints/export.xlsx?status=received" in page
    response = client.get("/complaints/export.xlsx", {"status": "received"})
    assert response["Content-Disposition"].startswith('attachment; filename="complaints-')
    rows = xlsx_rows(response)
    assert rows[0][:3] == ("投诉编号", "客户", "电话")
    assert [r[0] for r in rows[1:]] == [received.number]
    assert rows[1][1:3] == ("张三", "138****5678")  # masked as on the other lists
    assert rows[1][5:9] == ("热线", "延误", "高", "已受理")  # labels, not codes
    every = xlsx_rows(client.get("/complaints/export.xlsx", {"status": "all"}))[1:]
    assert sorted(r[0] for r in every) == sorted([received.number, investigated.number])
    assert foreign.customer.name not in [r[1] for r in every]  # another company's complaint


def test_the_complaints_export_speaks_the_users_language(login, people, data):
    _complaint(data["c1"])
    client = login(people["agent"])
    client.cookies["aftersales_language"] = "en"
    rows = xlsx_rows(client.get("/complaints/export.xlsx"))
    assert rows[0][:3] == ("Complaint no.", "Customer", "Phone")
    assert rows[1][7:9] == ("High", "Received")


def test_the_complaints_export_refuses_who_may_not_handle_complaints(login, people, client):
    assert login(people["tech"]).get("/complaints/export.xlsx").status_code == 403
    assert client.get("/complaints/export.xlsx").status_code == 302  # to the login page


def test_the_follow_up_export_has_the_queue(login, people, completed):
    client = login(people["agent"])
    assert 'data-testid="follow-up-export"' in client.get("/follow-ups/").content.decode()
    response = client.get("/follow-ups/export.xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="follow-ups-')
    rows = xlsx_rows(response)
    assert rows[0][:4] == ("工单号", "客户", "电话", "服务类型")
    assert [r[0] for r in rows[1:]] == [completed.number]
    assert rows[1][2] == "138****5678" and rows[1][3] == completed.get_service_type_display()
    assert rows[1][7] == 0  # no call yet


def test_the_follow_up_export_keeps_to_the_users_scope(login, people, completed, make_user, data):
    assert login(people["tech"]).get("/follow-ups/export.xlsx").status_code == 403
    north_agent = make_user("agent", region=data["north"])
    rows = xlsx_rows(login(north_agent).get("/follow-ups/export.xlsx"))
    assert rows[1:] == []
    other_agent = make_user("agent", company=data["other"])
    rows = xlsx_rows(login(other_agent).get("/follow-ups/export.xlsx"))
    assert rows[1:] == []  # another company's follow-ups are not in it
