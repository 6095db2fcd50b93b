"""Demo data for the KPI pages: training records for every technician, then the figures."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, User
from aftersales.core import clock
from aftersales.kpi.actions import kpi_rebuild
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
    return kpi_rebuild(company_id=company.pk)
