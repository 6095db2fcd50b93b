"""Workshop pages through the client: counter, intake, job, handover, board, hall, receipt;
role and station scope on each."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from aftersales.accounts.choices import Role
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.workshop import actions
from aftersales.workshop.choices import JobStatus
from aftersales.workshop.models import WorkshopJob
from aftersales.workshop.tests.conftest import photo

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_counter_take_call_and_intake_through_the_pages(people, data) -> None:
    c = _client(people["station_manager"])
    s1 = data["s1"].pk
    page = c.get(reverse("workshop-counter"))
    assert page.status_code == 200 and "上海一站" in page.content.decode()
    c.post(reverse("workshop-ticket-take"), {"station": s1, "purpose": "drop_off"})
    c.post(reverse("workshop-ticket-call"), {"station": s1, "desk": "2"})
    hall = c.get(reverse("workshop-hall", args=[s1]))
    assert "A001" in hall.content.decode()
    found = c.get(reverse("workshop-counter"), {"station": s1, "q": "KF2401000001"})
    assert "KF2401000001" in found.content.decode()
    ticket = found.context["called"][0]
    form = c.get(reverse("workshop-intake"), {"station": s1, "unit": data["u1"].pk})
    assert form.status_code == 200
    done = c.post(
        reverse("workshop-intake"),
        {
            "station": s1,
            "unit": data["u1"].pk,
            "ticket": ticket.pk,
            "fault_description": "不开机",
            "condition": "外壳完好",
            "accessories": "电源线，说明书",
            "signature": drawn_signature(),
            "photos": [photo()],
        },
        follow=True,
    )
    job = WorkshopJob.objects.get()
    assert done.status_code == 200 and job.accessories == ["电源线", "说明书"]
    assert done.context["code"] and len(done.context["code"]) == 6
    again = c.get(reverse("workshop-job", args=[job.pk]))
    assert again.context["code"] is None  # shown once
    pdf = c.get(reverse("workshop-receipt", args=[job.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert job.order.number in text and "外壳完好" in text
    public = Client().get(actions.customer_receipt_path(job))
    assert public.status_code == 200 and public["Content-Type"] == "application/pdf"
    assert Client().get("/w/forged-token/receipt.pdf").status_code == 404


def test_intake_page_shows_missing_fields(people, data) -> None:
    c = _client(people["station_manager"])
    page = c.post(
        reverse("workshop-intake"),
        {"station": data["s1"].pk, "unit": data["u1"].pk, "condition": "", "signature": ""},
    )
    assert page.status_code == 422
    assert not WorkshopJob.objects.exists()


def test_bench_steps_and_handover_through_the_pages(intake, people) -> None:
    job, code = intake()
    tech = _client(people["tech"])
    tech.post(reverse("workshop-step", args=[job.pk, "diagnose"]))
    job.refresh_from_db()
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        tech.post(reverse("workshop-step", args=[job.pk, verb]))
    job.refresh_from_db()
    assert job.status == JobStatus.READY
    board = tech.get(reverse("workshop-board"))
    assert job.order.number in board.content.decode()
    counter = _client(people["station_manager"])
    page = counter.get(reverse("workshop-job", args=[job.pk]))
    assert page.context["can_hand_over"]
    counter.post(
        reverse("workshop-hand-over", args=[job.pk]),
        {"code": code, "signature": drawn_signature(), "signer_name": "张三"},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.HANDED_OVER and job.picked_up_by == "张三"


def test_wrong_code_is_refused_on_the_page(intake, people, step, quoted) -> None:
    job, code = intake()
    job = step(quoted(step(job, "diagnose")), "decline_quote", who="agent", reason="贵")
    c = _client(people["station_manager"])
    c.post(
        reverse("workshop-hand-over", args=[job.pk]),
        {"code": "000000" if code != "000000" else "111111", "signature": drawn_signature()},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.READY


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("workshop-counter", []),
        ("workshop-board", []),
        ("workshop-hall", ["s1"]),
        ("workshop-intake", []),
    ],
)
def test_roles_without_the_workshop_are_refused(people, data, name, args) -> None:
    url = reverse(name, args=[data[a].pk for a in args])
    for role in ("finance", "dispatcher"):
        assert _client(people[role]).get(url).status_code in (403, 404)


def test_another_station_sees_no_job(intake, people, data, make_user) -> None:
    job, _code = intake()
    north = make_user(Role.STATION_MANAGER, station=data["s2"])
    c = _client(north)
    for url in (
        reverse("workshop-job", args=[job.pk]),
        reverse("workshop-receipt", args=[job.pk]),
        reverse("workshop-photo", args=[job.pk, job.photos.get().pk]),
        reverse("workshop-signature", args=[job.pk, "intake"]),
        reverse("workshop-hall", args=[data["s1"].pk]),
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("workshop-step", args=[job.pk, "diagnose"])).status_code == 404
    assert c.post(reverse("workshop-hand-over", args=[job.pk])).status_code == 404
    board = c.get(reverse("workshop-board"))
    assert job.order.number not in board.content.decode()


def test_technician_cannot_use_the_counter(people) -> None:
    assert _client(people["tech"]).get(reverse("workshop-counter")).status_code == 403


def _portal(customer: Any) -> Client:
    c = Client()
    session = c.session
    session["portal"] = {"customers": [customer.pk]}
    session.save()
    return c


def test_mail_in_pages_staff_and_portal(people, data, step) -> None:
    from aftersales.workshop.models import WorkshopStation

    WorkshopStation.objects.create(station=data["s1"], mail_in_address="上海维修中心")
    portal = _portal(data["c1"])
    page = portal.get(reverse("portal-mail-in"))
    assert page.status_code == 200 and "KF2401000001" in page.content.decode()
    done = portal.post(
        reverse("portal-mail-in"),
        {
            "unit": data["u1"].pk,
            "station": data["s1"].pk,
            "fault_description": "无法充电",
            "return_address": "上海市世纪大道100号",
        },
        follow=True,
    )
    job = WorkshopJob.objects.get()
    assert "上海维修中心" in done.content.decode() and job.order.number in done.content.decode()
    portal.post(
        reverse("portal-mail-in-job", args=[job.pk]), {"carrier": "顺丰", "tracking_no": "SF9"}
    )
    staff = _client(people["station_manager"])
    assert job.order.number in staff.get(reverse("workshop-mail-in")).content.decode()
    matched = staff.post(reverse("workshop-mail-in-match"), {"reference": "SF9"})
    assert matched["Location"].startswith(reverse("workshop-job", args=[job.pk]))
    staff.post(
        reverse("workshop-counter-form", args=[job.pk, "receive"]),
        {"condition": "完好", "accessories": "充电器"},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.RECEIVED
    job = step(job, "diagnose")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    staff.post(
        reverse("workshop-counter-form", args=[job.pk, "ship"]),
        {"carrier": "顺丰", "tracking_no": "SF10", "weight_kg": "0.8", "cost": "15"},
    )
    progress = portal.get(reverse("portal-mail-in-job", args=[job.pk])).content.decode()
    assert "SF9" in progress and "SF10" in progress and "kuaidi100.com" in progress
    # Another customer sees none of it.
    other = _portal(data["c2"])
    assert other.get(reverse("portal-mail-in-job", args=[job.pk])).status_code == 404
    north = _client(make_north(people, data))
    assert north.post(reverse("workshop-counter-form", args=[job.pk, "deliver"])).status_code == 404


def make_north(people: dict[str, Any], data: dict[str, Any]) -> Any:
    from aftersales.accounts import actions as org

    return org.user_create(
        actor=None,
        username="north-manager",
        password="pw-for-tests-1",
        role=Role.STATION_MANAGER,
        company=data["company"],
        station=data["s2"],
    )


def test_portal_pages_need_the_sign_in(data) -> None:
    assert Client().get(reverse("portal-mail-in")).status_code == 302


@pytest.mark.parametrize(
    ("language", "labels"),
    [("zh-hans", ("寄修地址", "收件人", "收件人电话")), ("en", ("Mail-in address", "Recipient"))],
)
def test_the_station_forms_have_labels(people, data, settings, language, labels) -> None:
    """Each station's mail-in fields are labelled (a label tied to the input), not only a
    placeholder that disappears once typed in."""
    c = _client(people["service_manager"])
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = c.get(reverse("workshop-settings")).content.decode()
    s1 = data["s1"].pk
    for field, label in zip(("ma", "mr", "mp"), labels, strict=False):
        assert f'<label class="form-label small" for="{field}{s1}">{label}</label>' in page
        assert f'id="{field}{s1}"' in page
    assert "placeholder=" not in page.split(f'data-testid="station-{s1}"')[1].split("</form>")[0]


def test_settings_company_and_station(people, data) -> None:
    from aftersales.workshop.models import WorkshopSettings, WorkshopStation

    m = _client(people["service_manager"])
    assert m.get(reverse("workshop-settings")).status_code == 200
    m.post(
        reverse("workshop-settings"),
        {
            "form": "company",
            "unclaimed_after_days": "5",
            "reminder_repeat_days": "0",
            "never_sent_days": "3",
            "loaner_days": "10",
        },
    )
    row = WorkshopSettings.objects.get(company=data["company"])
    assert (row.unclaimed_after_days, row.loaner_days) == (5, 10)
    sm = _client(people["station_manager"])
    sm.post(
        reverse("workshop-settings"),
        {"form": "company", "unclaimed_after_days": "1"},
    )
    assert WorkshopSettings.objects.get(company=data["company"]).unclaimed_after_days == 5
    sm.post(
        reverse("workshop-settings"),
        {
            "form": "station",
            "station": data["s1"].pk,
            "mail_in_address": "地址",
            "qc_by_other": "1",
        },
    )
    assert WorkshopStation.objects.get(station=data["s1"]).qc_by_other
    sm.post(reverse("workshop-settings"), {"form": "station", "station": data["s2"].pk})
    assert not WorkshopStation.objects.filter(station=data["s2"]).exists()
    assert _client(people["agent"]).get(reverse("workshop-settings")).status_code == 403
