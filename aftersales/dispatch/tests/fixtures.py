"""A station's day: a Shanghai station with technicians, skills, and customers around it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Skill
from aftersales.customers import actions as customers
from aftersales.orders import actions as orders
from aftersales.orders.models import ServiceOrder

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 1)  # a Tuesday, a working day
NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=TZ)
STATION = (31.23, 121.47)  # latitude, longitude


def at(hour: float, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


def spot(dx_km: float, dy_km: float = 0.0) -> tuple[float, float]:
    return STATION[0] + dy_km * 0.009, STATION[1] + dx_km * 0.0105


@pytest.fixture
def station_day(org_tree: dict[str, Any], make_user: Callable[..., Any], people: dict[str, Any]):
    s1 = org_tree["s1"]
    s1.latitude, s1.longitude = STATION
    s1.save(update_fields=["latitude", "longitude"])
    ac = Skill.objects.create(company=org_tree["company"], code="ac", name="空调")

    def technician(level: int | None, **kw: Any) -> Any:
        user = make_user(Role.TECHNICIAN, station=s1)
        org.technician_profile_set(actor=None, user=user, skills={ac: level} if level else {}, **kw)
        return user

    return {"station": s1, "skill": ac, "technician": technician, "people": people}


@pytest.fixture
def customer_order(
    org_tree: dict[str, Any], people: dict[str, Any], catalog: dict[str, Any]
) -> Callable[..., ServiceOrder]:
    counter = {"n": 0}

    def make(where: tuple[float, float], *, dispatch: bool = True, **kw: Any) -> ServiceOrder:
        counter["n"] += 1
        c = customers.customer_create(
            actor=people["agent"],
            name=f"客户{counter['n']}",
            phone=f"1390000{counter['n']:04d}",
            station=org_tree["s1"],
            address_line=f"上海市测试路{counter['n']}号",
            latitude=where[0],
            longitude=where[1],
        )
        unit = customers.unit_create(
            actor=people["agent"],
            customer=c,
            product_model=catalog["model"],
            serial=f"DS2509{counter['n']:06d}",
            purchase_date=dt.date(2025, 3, 1),
        )
        fields: dict[str, Any] = {
            "actor": people["agent"],
            "customer": c,
            "unit": unit,
            "address": c.addresses.first(),
            "fault_description": "不制冷",
            "allow_duplicate": True,
        }
        planning = {k: kw.pop(k) for k in ("required_skills", "duration_minutes") if k in kw}
        fields.update(kw)
        order, _ = orders.order_create(**fields)
        if planning:
            order = orders.order_update(
                actor=people["agent"], order=order, version=None, **planning
            )
        if dispatch:
            order = orders.order_transition(
                actor=people["dispatcher"], order=order, action="dispatch", station=org_tree["s1"]
            )
        return order

    return make


@pytest.fixture
def soon() -> dt.date:
    """A day a few days ahead of the real today (for tests through pages and the API, which
    run on the real clock)."""
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def crew(station_day: dict[str, Any], soon: dt.date) -> dict[str, Any]:
    """Two technicians of the station working 08:00-20:00 on `soon`, whatever the calendar
    says: one with the air-conditioning skill at level 2, one without skills."""
    from aftersales.dispatch.models import Shift

    skilled = station_day["technician"](2)
    plain = station_day["technician"](None)
    for t in (skilled, plain):
        Shift.objects.create(technician=t.technician, day=soon, start=dt.time(8), end=dt.time(20))
    return {"skilled": skilled, "plain": plain, **station_day}
