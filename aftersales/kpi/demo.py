"""Demo data for the KPI pages: training records for every technician, then the figures."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, User
from aftersales.core import clock
from aftersales.kpi.actions import assessment_run_create, assessment_scheme_save, kpi_rebuild
from aftersales.kpi.assessment import DEFAULT_SCHEME
from aftersales.kpi.models import TrainingRecord

COURSES = ("变频空调维修", "安全规范与登高作业", "服务礼仪与沟通", "新品技术培训", "制冷剂回收")


def kpi_demo(company: Company, seed: int = 1) -> int:
    """A year of courses per technician (some short of the 40 hours), and the KPI tables."""
    rng = random.Random(seed)
    today = clock.today()
    rows = []
    for tech in User.objects.filter(company=company, role=Role.TECHNICIAN).order_by("pk"):
        for _n in range(rng.randint(2, 6)):
            rows.append(
                TrainingRecord(
                    company=company,
                    technician=tech,
                    course=rng.choice(COURSES),
                    hours=Decimal(rng.choice([4, 8, 8, 12, 16])),
                    date=today - dt.timedelta(days=rng.randint(1, 300)),
                )
            )
    TrainingRecord.objects.bulk_create(rows)
    made = kpi_rebuild(company_id=company.pk)
    _assessment(company, today)
    return made


def _assessment(company: Company, today: dt.date) -> None:
    """The stations' monthly assessment scheme (the default one) and last month's run."""
    manager = User.objects.filter(company=company, role=Role.SERVICE_MANAGER).order_by("pk").first()
    if manager is None:
        return
    scheme = assessment_scheme_save(
        actor=manager, name="网点月度考核", period_kind="month", definition=DEFAULT_SCHEME
    )
    last = today.replace(day=1) - dt.timedelta(days=1)
    assessment_run_create(
        actor=manager, scheme=scheme, period_from=last.replace(day=1), period_to=last
    )
