"""Loaners: a pool per station, lent at intake with a deposit, returned at pickup (once),
the overdue list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.fieldwork.tests.fixtures import drawn_signature
from aftersales.workshop import actions, selectors
from aftersales.workshop.models import LoanerLoan

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaner(people, data):
    return actions.loaner_save(
        actor=people["station_manager"], station=data["s1"], name="备用手机", serial="LN-001"
    )


def _ready(job, step):
    job = step(job, "diagnose")
    job.warranty_decision = "free_repair"
    job.save(update_fields=["warranty_decision"])
    for verb in ("confirm_warranty", "start_repair", "finish_repair", "qc_pass"):
        job = step(job, verb)
    return job


def test_lent_at_intake_and_returned_at_pickup_once(intake, step, people, loaner) -> None:
    sm = people["station_manager"]
    job, code = intake()
    loan = actions.loaner_lend(actor=sm, job=job, loaner=loaner, deposit="200")
    loaner.refresh_from_db()
    assert loaner.status == "lent" and loan.deposit == Decimal("200.00") and loan.due_at
    with pytest.raises(ApplicationError) as exc:  # one loan at a time
        actions.loaner_lend(actor=sm, job=job, loaner=loaner)
    assert exc.value.code == "loaner_unavailable"
    job = _ready(job, step)
    with pytest.raises(ApplicationError) as exc:
        actions.job_hand_over(actor=sm, job=job, code=code, signature=drawn_signature())
    assert "loaner_returned" in exc.value.details["fields"]
    actions.job_hand_over(
        actor=sm, job=job, code=code, signature=drawn_signature(), loaner_returned=True
    )
    loan.refresh_from_db()
    loaner.refresh_from_db()
    assert loan.returned_at is not None and loan.deposit_refunded == Decimal("200.00")
    assert loaner.status == "available"
    with pytest.raises(ApplicationError) as exc:
        actions.loaner_return(actor=sm, loan=loan)
    assert exc.value.code == "already_returned"


def test_returned_before_pickup(intake, people, loaner) -> None:
    sm = people["station_manager"]
    job, _code = intake()
    loan = actions.loaner_lend(actor=sm, job=job, loaner=loaner, deposit="100")
    actions.loaner_return(actor=sm, loan=loan, deposit_refunded="80")
    loan.refresh_from_db()
    assert loan.deposit_refunded == Decimal("80.00")
    assert actions.loaner_lend(actor=sm, job=job, loaner=loaner).pk != loan.pk


def test_one_open_loan_per_loaner_in_the_database(intake, people, loaner) -> None:
    job, _code = intake()
    LoanerLoan.objects.create(loaner=loaner, job=job)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - IntegrityError
        LoanerLoan.objects.create(loaner=loaner, job=job)


def test_only_the_jobs_station_pool(intake, people, data) -> None:
    other = actions.loaner_save(
        actor=people["service_manager"], station=data["s2"], name="备用机", serial="LN-9"
    )
    job, _code = intake()
    with pytest.raises(ApplicationError) as exc:
        actions.loaner_lend(actor=people["station_manager"], job=job, loaner=other)
    assert "loaner" in exc.value.details["fields"]


def test_overdue_list_and_scope(intake, people, loaner, data, make_user) -> None:
    from aftersales.accounts.choices import Role

    sm = people["station_manager"]
    job, _code = intake()
    loan = actions.loaner_lend(actor=sm, job=job, loaner=loaner, days=3)
    later = timezone.now() + dt.timedelta(days=4)
    assert list(selectors.overdue_loans(sm, now=later)) == [loan]
    assert list(selectors.overdue_loans(sm)) == []
    north = make_user(Role.STATION_MANAGER, station=data["s2"])
    assert list(selectors.overdue_loans(north, now=later)) == []
    c = Client()
    c.force_login(sm)
    page = c.get(reverse("workshop-loaners"))
    assert page.status_code == 200 and "LN-001" in page.content.decode()
    export = c.get(reverse("workshop-loaners") + "?export=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    tech = Client()
    tech.force_login(people["tech"])
    assert tech.get(reverse("workshop-loaners")).status_code == 403


def test_pool_is_kept_by_the_station_manager_only(people, data) -> None:
    with pytest.raises(ApplicationError) as exc:
        actions.loaner_save(actor=people["agent"], station=data["s1"], name="x", serial="y")
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        actions.loaner_save(
            actor=people["station_manager"], station=data["s2"], name="x", serial="y"
        )
    assert exc.value.status == 404
