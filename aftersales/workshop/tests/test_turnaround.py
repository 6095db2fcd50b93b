"""Turnaround service levels, storage fees, the car rule's loaner from day 6, the 三包
decision with the repair days, and the periodic jobs run as of a past moment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.fieldwork.models import Receipt
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.notifications.models import OutboxMessage, OutboxStatus
from aftersales.workshop import actions, rules, selectors
from aftersales.workshop.models import LoanerLoan, WorkshopSettings

SH = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # an ordinary working week


def at(moment: dt.datetime) -> Any:
    return clock.at(moment, source="backfill")


# --- pure rules ------------------------------------------------------------------------------


def test_working_day_minutes() -> None:
    nine = ((dt.time(9), dt.time(18)),)
    split = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    assert rules.working_day_minutes(nine) == 540
    assert rules.working_day_minutes(split) == 480
    assert rules.working_day_minutes(((dt.time(0), dt.time(0)),)) == 1440


def test_parts_pauses_pair_the_moves() -> None:
    t = [MONDAY + dt.timedelta(hours=h) for h in range(6)]
    moves = [
        (t[0], "", "received"),
        (t[1], "approved", "waiting_parts"),
        (t[2], "waiting_parts", "in_repair"),
        (t[3], "in_repair", "waiting_parts"),
    ]
    assert rules.parts_pauses(moves) == [(t[1], t[2]), (t[3], None)]
    assert rules.parts_pauses([(t[0], "", "received")]) == []


@pytest.mark.parametrize(
    ("ready", "now_h", "paused", "state"),
    [
        (None, 1, False, "due"),
        (None, 5, False, "overdue"),
        (None, 5, True, "paused"),
        (2, 5, False, "met"),
        (4, 5, False, "late"),
    ],
)
def test_turnaround_state(ready, now_h, paused, state) -> None:
    due = MONDAY + dt.timedelta(hours=3)
    ready_at = MONDAY + dt.timedelta(hours=ready) if ready is not None else None
    assert (
        rules.turnaround_state(
            due=due, ready_at=ready_at, now=MONDAY + dt.timedelta(hours=now_h), paused=paused
        )
        == state
    )
    assert rules.turnaround_state(due=None, ready_at=None, now=MONDAY, paused=False) == ""


@pytest.mark.parametrize(
    ("days", "free", "per_day", "charged", "fee"),
    [
        (0, 7, "2.50", 0, "0.00"),
        (7, 7, "2.50", 0, "0.00"),
        (8, 7, "2.50", 1, "2.50"),
        (30, 7, "1.333", 23, "30.66"),  # 23 × 1.333 = 30.659, rounded half up to the fen
        (30, 0, "0.00", 0, "0.00"),  # no fee set: nothing charged
        (3, 0, "5", 3, "15.00"),
    ],
)
def test_storage_charge(days, free, per_day, charged, fee) -> None:
    day = dt.date(2026, 3, 2)
    got = rules.storage_charge(
        notified_on=day,
        today=day + dt.timedelta(days=days),
        free_days=free,
        per_day=Decimal(per_day),
    )
    assert got == (charged, Decimal(fee))


# --- turnaround -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_is_promised_ready_three_working_days_after_it_came_in(new_job) -> None:
    with at(MONDAY):
        job = new_job()
    # 27 working hours (3 × 09:00–18:00) from Monday 10:00: Thursday 10:00.
    assert job.turnaround_minutes == 3 * 540
    assert job.ready_due == dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH)
    assert actions.turnaround_state(job, MONDAY) == "due"


@pytest.mark.django_db
def test_waiting_for_parts_moves_the_promise_and_late_is_shown(new_job, step, quoted) -> None:
    with at(MONDAY):
        job = new_job()
    with at(MONDAY + dt.timedelta(hours=1)):
        job = quoted(step(job, "diagnose"))
        job = step(job, "accept_quote", who="agent")
    with at(MONDAY + dt.timedelta(hours=2)):  # Monday 12:00
        job = step(job, "wait_parts", reason="主板缺货")
    assert actions.turnaround_state(job, MONDAY + dt.timedelta(days=9)) == "paused"
    with at(MONDAY + dt.timedelta(days=1, hours=2)):  # Tuesday 12:00: 9 working hours later
        job = step(job, "parts_arrived")
    assert job.ready_due == dt.datetime(2026, 3, 6, 10, 0, tzinfo=SH)  # Friday, not Thursday
    with at(dt.datetime(2026, 3, 6, 11, 0, tzinfo=SH)):
        job = step(step(job, "finish_repair"), "qc_pass")
    assert actions.turnaround_state(job) == "late"


@pytest.mark.django_db
def test_overdue_jobs_are_counted_on_the_board_in_scope(new_job, people) -> None:
    with at(MONDAY):
        late = new_job()
        new_job()
    WorkshopSettings.objects.create(company_id=late.company_id, turnaround_days=0)
    new_job()  # promised nothing: not counted
    assert selectors.overdue_count(people["station_manager"]) == 2
    c = Client()
    c.force_login(people["station_manager"])
    page = c.get(reverse("workshop-board")).content.decode()
    assert 'data-testid="overdue-count">2<' in page and 'data-testid="overdue"' in page
    job_page = c.get(reverse("workshop-job", args=[late.pk])).content.decode()
    assert 'data-testid="turnaround-state"' in job_page
    assert selectors.overdue_count(people["tech_north"]) == 0


# --- storage fees -----------------------------------------------------------------------------


def _ready_free(job: Any, step: Any) -> Any:
    job = step(job, "diagnose")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    return job


@pytest.mark.django_db
def test_storage_fee_after_the_free_days_is_paid_at_pickup(intake, step, people, data) -> None:
    WorkshopSettings.objects.create(
        company=data["company"], storage_free_days=3, storage_fee_per_day=Decimal("2.50")
    )
    with at(MONDAY):
        job, code = intake()
        job = _ready_free(job, step)
    sm = people["station_manager"]
    with at(MONDAY + dt.timedelta(days=10)):
        assert actions.storage_due(job) == (7, Decimal("17.50"))
        with pytest.raises(ApplicationError) as exc:
            actions.job_hand_over(
                actor=sm,
                job=job,
                code=code,
                signature=drawn_signature(),
                payment_method="cash",
                amount="10",
            )
        assert "amount" in exc.value.details["fields"]
        done = actions.job_hand_over(
            actor=sm,
            job=job,
            code=code,
            signature=drawn_signature(),
            payment_method="cash",
            amount="17.50",
        )
    receipt = Receipt.objects.get(order=job.order)
    assert receipt.quote is None and receipt.amount == Decimal("17.50")
    assert (done.storage_days, done.storage_fee) == (7, Decimal("17.50"))
    assert done.events.get(action="hand_over").payload["storage_fee"] == "17.50"


@pytest.mark.django_db
def test_storage_fee_and_the_quote_on_one_receipt(intake, step, quoted, people, data) -> None:
    WorkshopSettings.objects.create(
        company=data["company"], storage_free_days=0, storage_fee_per_day=Decimal("1.00")
    )
    with at(MONDAY):
        job, code = intake()
        job = step(quoted(step(job, "diagnose")), "accept_quote", who="agent")
        for verb in ("start_repair", "finish_repair", "qc_pass"):
            job = step(job, verb)
    with at(MONDAY + dt.timedelta(days=2)):
        actions.job_hand_over(
            actor=people["station_manager"],
            job=job,
            code=code,
            signature=drawn_signature(),
            payment_method="qr",
            reference="QR-1",
            amount="82.00",
        )
    receipt = Receipt.objects.get(order=job.order)
    assert receipt.amount == Decimal("82.00") and receipt.quote.status == "paid"
    assert receipt.number == f"SF-{job.order.number}-1"


# --- the car rule's loaner, the 三包 decision with the repair days ------------------------------


def _car(people: Any, data: Any, start: dt.date) -> None:
    from aftersales.warranty.actions import warranty_policy_save

    warranty_policy_save(
        actor=people["service_manager"],
        name="家用汽车",
        kind="car",
        car_months=36,
        car_km=100_000,
        product_model=data["model"],
    )
    type(data["u1"]).objects.filter(pk=data["u1"].pk).update(
        delivery_date=start, invoice_date=start, purchase_date=start, voucher_no="C-1"
    )


@pytest.mark.django_db
def test_car_loaner_due_from_day_6_is_marked_once_and_lent_as_required(
    intake, people, data, api
) -> None:
    _car(people, data, MONDAY.date() - dt.timedelta(days=60))
    with at(MONDAY):
        job, _code = intake()
    assert job.warranty_detail["kind"] == "car"
    with at(MONDAY + dt.timedelta(days=4, hours=23)):
        assert actions.repair_days_check() == 0
    with at(MONDAY + dt.timedelta(days=5, hours=2)):
        assert actions.repair_days_check() == 1
        assert actions.repair_days_check() == 0  # once
    job.refresh_from_db()
    assert job.loaner_due_at == MONDAY + dt.timedelta(days=5, hours=2)
    assert job.events.get(action="loaner_due").source == "backfill"
    # Offered to the customer, but as of a past moment: kept, never sent.
    message = OutboxMessage.objects.get(event="car_loaner_due")
    assert message.status == OutboxStatus.SUPPRESSED
    c = Client()
    c.force_login(people["station_manager"])
    assert (
        'data-testid="loaner-owed"'
        in c.get(reverse("workshop-job", args=[job.pk])).content.decode()
    )
    assert job.order.number in c.get(reverse("workshop-loaners")).content.decode()
    owed = api(people["station_manager"]).get("/workshop/loaners/owed").json()
    assert [(j["id"], j["loaner_due_at"] is not None) for j in owed] == [(job.pk, True)]
    other = api(people["tech_north"]).get("/workshop/loaners/owed")  # another station
    assert other.status_code == 403 or other.json() == []
    loaner = actions.loaner_save(
        actor=people["station_manager"], station=data["s1"], name="备用车", serial="沪A-001"
    )
    loan = actions.loaner_lend(actor=people["station_manager"], job=job, loaner=loaner)
    assert LoanerLoan.objects.get(pk=loan.pk).statutory is True
    assert api(people["station_manager"]).get("/workshop/loaners/owed").json() == []
    assert (
        'data-testid="loaner-owed"'
        not in c.get(reverse("workshop-job", args=[job.pk])).content.decode()
    )


@pytest.mark.django_db
def test_live_check_offers_the_car_loaner_to_the_customer(
    intake, people, data, django_capture_on_commit_callbacks
) -> None:
    _car(people, data, clock.today() - dt.timedelta(days=60))
    with at(clock.now() - dt.timedelta(days=6)):
        intake()
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.repair_days_check() == 1
    assert OutboxMessage.objects.get(event="car_loaner_due").status != OutboxStatus.SUPPRESSED


@pytest.mark.django_db
def test_a_repair_over_30_days_turns_the_decision_into_an_exchange(new_job, agent, data) -> None:
    from aftersales.customers import actions as customer_actions

    unit = data["u1"]
    customer_actions.unit_update(
        actor=agent,
        unit=unit,
        version=unit.version,
        invoice_date=MONDAY.date() - dt.timedelta(days=100),
        voucher_no="SB-1",
    )
    with at(MONDAY):
        job = new_job()
    assert job.warranty_decision == "free_repair"
    assert job.warranty_detail["brought_in"] == "2026-03-02"
    with at(MONDAY + dt.timedelta(days=31)):
        actions.repair_days_check()
    job.refresh_from_db()
    assert job.warranty_decision == "exchange"
    assert job.warranty_detail["days_in_repair"] == 31
    assert job.events.get(action="warranty_changed").payload == {
        "from": "free_repair",
        "to": "exchange",
    }
    # The order keeps the job's decision (stock charges and the quote read the order's).
    job.order.refresh_from_db()
    assert job.order.warranty_decision == "exchange"
    assert job.order.events.get(action="warranty_brought_in").payload == {
        "warranty": ["free_repair", "exchange"]
    }


# --- periodic jobs as of a past moment ---------------------------------------------------------


@pytest.mark.django_db
def test_unclaimed_reminder_as_of_a_past_moment_sends_nothing(intake, step, data) -> None:
    WorkshopSettings.objects.create(
        company=data["company"], unclaimed_after_days=3, reminder_repeat_days=0
    )
    with at(MONDAY):
        job, _code = intake()
        job = _ready_free(job, step)
    with at(MONDAY + dt.timedelta(days=2)):
        assert actions.unclaimed_remind() == 0
    with at(MONDAY + dt.timedelta(days=4)):
        assert actions.unclaimed_remind() == 1
    event = job.events.get(action="reminder")
    assert event.at == MONDAY + dt.timedelta(days=4) and event.source == "backfill"
    sent = OutboxMessage.objects.filter(event="workshop_reminder")
    assert [m.status for m in sent] == [OutboxStatus.SUPPRESSED]
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SUPPRESSED).exists()


# --- links ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_order_page_links_its_job_and_portal_home_links_mail_in(new_job, people, data) -> None:
    job = new_job()
    c = Client()
    c.force_login(people["agent"])
    page = c.get(reverse("order-detail", args=[job.order_id])).content.decode()
    assert reverse("workshop-job", args=[job.pk]) in page
    portal = Client()
    session = portal.session
    session["portal"] = {"customers": [data["c1"].pk]}
    session.save()
    home = portal.get(reverse("portal-home")).content.decode()
    assert reverse("portal-mail-in") in home


# --- turnaround by station and service type (issue 22) -----------------------------------------

RULES = [(None, "repair", 2), (7, "", 4), (7, "repair", 5), (8, "installation", 1)]


@pytest.mark.parametrize(
    ("station", "service_type", "days"),
    [
        (7, "repair", 5),  # station and type
        (7, "maintenance", 4),  # station
        (9, "repair", 2),  # type
        (9, "maintenance", 3),  # the company's
        (8, "repair", 2),  # another station's type rule does not apply here
        (8, "installation", 1),
        (None, "inspection", 3),
    ],
)
def test_the_most_specific_turnaround_rule_wins(station, service_type, days) -> None:
    got = rules.turnaround_days(RULES, station_id=station, service_type=service_type, default=3)
    assert got == days
    assert rules.turnaround_days([], station_id=station, service_type="repair", default=0) == 0


@pytest.mark.django_db
def test_a_job_is_promised_its_station_and_service_types_turnaround(new_job, people, data) -> None:
    manager, station_manager = people["service_manager"], people["station_manager"]
    actions.turnaround_rule_set(actor=manager, service_type="repair", days="2")
    with at(MONDAY):
        assert new_job().turnaround_minutes == 2 * 540  # the repair rule, every station
    rule = actions.turnaround_rule_set(actor=station_manager, station=data["s1"].pk, days=5)
    with at(MONDAY):
        assert new_job().turnaround_minutes == 5 * 540  # the station's rule beats the type's
    actions.turnaround_rule_set(
        actor=station_manager, station=data["s1"].pk, service_type="repair", days=4
    )
    with at(MONDAY):
        job = new_job()
    assert job.turnaround_minutes == 4 * 540  # the station's rule for the type beats both
    assert job.ready_due == dt.datetime(2026, 3, 6, 10, 0, tzinfo=SH)  # Friday 10:00
    # setting the same pair again replaces the rule; 0 promises nothing
    actions.turnaround_rule_set(actor=manager, station=data["s1"].pk, service_type="repair", days=0)
    with at(MONDAY):
        job = new_job()
    assert (job.turnaround_minutes, job.ready_due) == (None, None)
    assert selectors.turnaround_days_for(data["company"].pk, data["s2"].pk, "repair") == 2
    assert selectors.turnaround_days_for(data["company"].pk, data["s1"].pk, "maintenance") == 5
    actions.turnaround_rule_delete(actor=manager, rule=rule)
    assert selectors.turnaround_days_for(data["company"].pk, data["s1"].pk, "maintenance") == 3


@pytest.mark.django_db
def test_turnaround_rules_are_checked_and_scoped(people, data) -> None:
    manager, station_manager = people["service_manager"], people["station_manager"]
    for kw, field in (
        ({"service_type": "", "days": 3}, "station"),  # that is the company setting
        ({"service_type": "warp", "days": 3}, "service_type"),
        ({"service_type": "repair", "days": 400}, "days"),
        ({"service_type": "repair", "days": "x"}, "days"),
    ):
        with pytest.raises(ApplicationError) as exc:
            actions.turnaround_rule_set(actor=manager, **kw)
        assert field in exc.value.details["fields"], kw
    # a station manager: their own station only, never every station
    with pytest.raises(ApplicationError) as exc:
        actions.turnaround_rule_set(actor=station_manager, service_type="repair", days=1)
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        actions.turnaround_rule_set(actor=station_manager, station=data["s2"].pk, days=1)
    assert exc.value.status == 404
    company_rule = actions.turnaround_rule_set(actor=manager, service_type="repair", days=1)
    other = actions.turnaround_rule_set(actor=manager, station=data["s2"].pk, days=1)
    for rule, status in ((company_rule, 403), (other, 404)):
        with pytest.raises(ApplicationError) as exc:
            actions.turnaround_rule_delete(actor=station_manager, rule=rule)
        assert exc.value.status == status
    assert list(selectors.turnaround_rules(station_manager)) == [company_rule]
    assert set(selectors.turnaround_rules(manager)) == {company_rule, other}
    with pytest.raises(ApplicationError):
        actions.turnaround_rule_set(actor=people["agent"], service_type="repair", days=1)


@pytest.mark.django_db
def test_turnaround_rules_through_the_api_and_the_settings_page(api, people, data) -> None:
    head = api(people["service_manager"])
    r = head.put("/workshop/turnaround", {"station_id": data["s1"].pk, "days": 5})
    assert r.status_code == 200, r.content
    rule_id = r.json()["id"]
    r = head.put("/workshop/turnaround", {"service_type": "warp", "days": 5})
    assert r.status_code == 422
    got = head.get("/workshop/turnaround").json()
    assert got["default_days"] == 3
    assert got["rules"] == [
        {"id": rule_id, "station_id": data["s1"].pk, "service_type": "", "days": 5}
    ]
    assert api(people["agent"]).get("/workshop/turnaround").status_code == 403
    desk = api(people["station_manager"])
    assert desk.delete(f"/workshop/turnaround/{rule_id}").status_code == 204
    assert head.get("/workshop/turnaround").json()["rules"] == []

    c = Client()
    c.force_login(people["service_manager"])
    url = reverse("workshop-settings")
    c.post(url, {"form": "turnaround", "station": "", "service_type": "repair", "days": "2"})
    c.post(url, {"form": "turnaround", "station": data["s2"].pk, "service_type": "", "days": "6"})
    page = c.get(url).content.decode()
    assert page.count('data-testid="turnaround-rule"') == 2
    assert "Every station" in page or "所有网点" in page
    assert ">repair<" not in page  # the service type's label, not its code
    rule = selectors.turnaround_rules(people["service_manager"]).get(station__isnull=True)
    c.post(url, {"form": "turnaround_delete", "rule": rule.pk})
    assert selectors.turnaround_days_for(data["company"].pk, data["s1"].pk, "repair") == 3
