"""Every list of the API is paged the same way: newest first by id, `limit` rows, `after` = the
previous page's `next_after` (null on the last page); a bad cursor is a 422, never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from aftersales.catalog.models import FaultCode, MainComponent, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.dispatch.models import Leave, Shift, Territory
from aftersales.feedback.models import Complaint, FollowUp
from aftersales.orders.models import ServiceOrder
from aftersales.parts.models import StockLevel

pytestmark = pytest.mark.django_db


def _catalogue(env: dict[str, Any]) -> None:
    company, cat = env["org_tree"]["company"], env["catalog"]["category"]
    for n in range(3):
        other = ProductCategory.objects.create(company=company, code=f"c{n}", name=f"类{n}")
        ProductModel.objects.create(category=cat, code=f"M-{n}", name=f"型号{n}")
        MainComponent.objects.create(category=cat, code=f"k{n}", name=f"部件{n}")
        FaultCode.objects.create(category=cat, code=f"E{n}", symptom=f"现象{n}")
        assert other.pk


def _stock(env: dict[str, Any]) -> None:
    stock = env["stock"]
    for wh in (stock["central"], stock["station"], stock["van"]):
        StockLevel.objects.create(warehouse=wh, part=stock["capacitor"], on_hand=1)


def _returns(env: dict[str, Any]) -> None:
    stock, client = env["stock"], env["client"]
    order = stock["order"]
    ServiceOrder.objects.filter(pk=order.pk).update(warranty_decision="free_repair")
    wh, cap = stock["station"].pk, stock["capacitor"].pk
    client.post("/stock/receipts", {"warehouse_id": wh, "part_id": cap, "quantity": 3})
    for _ in range(3):
        issued = client.post(
            "/stock/issues",
            {"warehouse_id": wh, "part_id": cap, "quantity": 1, "order_id": order.pk},
        )
        assert issued.status_code in (200, 201), issued.content


def _feedback(env: dict[str, Any]) -> None:
    data, company = env["data"], env["org_tree"]["company"]
    for n in range(3):
        order = env["new_order"]()
        FollowUp.objects.create(company=company, order=order, due_at=clock.now())
        Complaint.objects.create(
            company=company,
            number=f"TS{n}",
            customer=data["c1"],
            station=data["s1"],
            source="phone",
            category="delay",
            severity="low",
            description="慢",
            due_at=clock.now(),
        )


def _people_time(env: dict[str, Any]) -> None:
    crew, soon = env["crew"], env["soon"]
    station = crew["station"]
    for user in (crew["skilled"], crew["plain"]):
        profile = user.technician
        Shift.objects.create(
            technician=profile, day=soon + dt.timedelta(days=1), start=dt.time(9), end=dt.time(17)
        )
        for offset in (0, 2):
            day = soon + dt.timedelta(days=offset)
            Leave.objects.create(technician=profile, first_day=day, last_day=day)
    for n in range(3):
        Territory.objects.create(company=station.region.company, station=station, name=f"片区{n}")


def _open_orders(env: dict[str, Any]) -> None:
    for _ in range(3):
        env["new_order"]()


LISTS: list[tuple[str, str, Callable[[dict[str, Any]], None], str]] = [
    ("categories", "/catalog/categories", _catalogue, "service_manager"),
    ("models", "/catalog/models", _catalogue, "service_manager"),
    ("components", "/catalog/components", _catalogue, "service_manager"),
    ("fault codes", "/catalog/fault-codes", _catalogue, "service_manager"),
    ("warehouses", "/stock/warehouses", _stock, "service_manager"),
    ("levels", "/stock/levels", _stock, "service_manager"),
    ("returns", "/stock/returns", _returns, "service_manager"),
    ("follow-ups", "/follow-ups", _feedback, "agent"),
    ("complaints", "/complaints?status=all", _feedback, "agent"),
    (
        "shifts",
        "/dispatch/shifts?station={station}&first={first}&last={last}",
        _people_time,
        "dispatcher",
    ),
    (
        "leave",
        "/dispatch/leave?station={station}&first={first}&last={last}",
        _people_time,
        "dispatcher",
    ),
    ("territories", "/dispatch/territories", _people_time, "dispatcher"),
    ("open orders of a unit", "/units/{unit}/open-orders", _open_orders, "agent"),
]


@pytest.fixture
def env(request, api, people, data, org_tree, catalog) -> dict[str, Any]:
    return {
        "request": request,
        "api": api,
        "people": people,
        "data": data,
        "org_tree": org_tree,
        "catalog": catalog,
    }


def _prepare(env: dict[str, Any], setup: Callable[[dict[str, Any]], None], role: str) -> Any:
    request = env["request"]
    if setup in (_stock, _returns):
        env["stock"] = request.getfixturevalue("stock")
    if setup in (_feedback, _open_orders):
        env["new_order"] = request.getfixturevalue("new_order")
    if setup is _people_time:
        env["crew"] = request.getfixturevalue("crew")
        env["soon"] = request.getfixturevalue("soon")
    env["client"] = env["api"](env["people"][role])
    setup(env)
    return env["client"]


def _url(template: str, env: dict[str, Any]) -> str:
    soon = env.get("soon", dt.date.today())
    return template.format(
        station=env["data"]["s1"].pk,
        first=soon - dt.timedelta(days=7),
        last=soon + dt.timedelta(days=7),
        unit=env["data"]["u1"].pk,
    )


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize(("name", "template", "setup", "role"), LISTS, ids=[n[0] for n in LISTS])
def test_list_pages_through_every_row_once_newest_first(env, name, template, setup, role):
    client = _prepare(env, setup, role)
    url = _url(template, env)
    whole = client.get(_with(url, "limit=200"))
    assert whole.status_code == 200, whole.content
    everything = [row["id"] for row in whole.json()["items"]]
    assert len(everything) >= 3, name
    assert everything == sorted(everything, reverse=True)
    assert whole.json()["next_after"] is None

    seen: list[int] = []
    after = None
    for _ in range(len(everything) + 1):
        page = client.get(_with(url, "limit=2" + (f"&after={after}" if after else "")))
        assert page.status_code == 200, page.content
        body = page.json()
        assert len(body["items"]) <= 2
        seen += [row["id"] for row in body["items"]]
        after = body["next_after"]
        if after is None:
            break
        assert after == body["items"][-1]["id"]
    assert seen == everything


@pytest.mark.parametrize(("name", "template", "setup", "role"), LISTS, ids=[n[0] for n in LISTS])
@pytest.mark.parametrize("cursor", ["abc", str(2**63), "1.5"])
def test_a_bad_cursor_is_a_422_naming_it(env, name, template, setup, role, cursor):
    client = env["api"](env["people"][role])
    if setup is _people_time:
        env["soon"] = dt.date.today()
    response = client.get(_with(_url(template, env), f"after={cursor}"))
    assert response.status_code == 422, (name, response.content)
    body = response.json()
    assert body["code"] == "invalid" and "after" in body["details"]["fields"]


def test_a_limit_out_of_range_is_a_422(api, people, data):
    client = api(people["agent"])
    for limit in ("0", "201", "x"):
        response = client.get(f"/units/{data['u1'].pk}/open-orders?limit={limit}")
        assert response.status_code == 422 and "limit" in response.json()["details"]["fields"]
