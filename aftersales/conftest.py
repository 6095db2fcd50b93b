"""Shared fixtures: an organisation with two stations in two regions, a user per role, data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, Region, Station, User
from aftersales.catalog.models import ProductCategory, ProductModel

# Fixtures around orders (people in every role, new_order, walk) for every app's tests.
pytest_plugins = [
    "aftersales.orders.tests.fixtures",
    "aftersales.dispatch.tests.fixtures",
    "aftersales.parts.tests.fixtures",
    "aftersales.fieldwork.tests.fixtures",
    "aftersales.notifications.tests.fixtures",
    "aftersales.maintenance.tests.fixtures",
    "aftersales.knowledge.tests.fixtures",
]


@pytest.fixture
def org_tree(db: Any) -> dict[str, Any]:
    company = org.company_create(actor=None, name="测试电器", code="test")
    east = org.region_create(actor=None, company=company, name="华东", code="east")
    north = org.region_create(actor=None, company=company, name="华北", code="north")
    s1 = org.station_create(actor=None, region=east, name="上海一站", code="sh-1")
    s2 = org.station_create(actor=None, region=north, name="北京一站", code="bj-1")
    other = org.company_create(actor=None, name="别家公司", code="other")
    other_region = org.region_create(actor=None, company=other, name="别区", code="x")
    return {
        "company": company,
        "east": east,
        "north": north,
        "s1": s1,
        "s2": s2,
        "other": other,
        "other_region": other_region,
    }


@pytest.fixture
def make_user(org_tree: dict[str, Any]) -> Callable[..., User]:
    counter = {"n": 0}

    def make(
        role: str,
        *,
        station: Station | None = None,
        region: Region | None = None,
        company: Company | None = None,
    ) -> User:
        counter["n"] += 1
        if role in (Role.TECHNICIAN, Role.STATION_MANAGER) and station is None:
            station = org_tree["s1"]
        return org.user_create(
            actor=None,
            username=f"{role}-{counter['n']}",
            password="pw-for-tests-1",
            role=role,
            company=company or org_tree["company"],
            station=station,
            region=region,
        )

    return make


@pytest.fixture
def catalog(org_tree: dict[str, Any]) -> dict[str, Any]:
    cat = ProductCategory.objects.create(company=org_tree["company"], code="ac", name="空调")
    model = ProductModel.objects.create(category=cat, code="KFR-35GW", name="挂式空调")
    other_cat = ProductCategory.objects.create(company=org_tree["other"], code="ac", name="空调")
    other_model = ProductModel.objects.create(category=other_cat, code="X-1", name="别家空调")
    return {"category": cat, "model": model, "other_model": other_model}


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user(Role.AGENT)


@pytest.fixture
def data(org_tree: dict[str, Any], catalog: dict[str, Any], agent: User) -> dict[str, Any]:
    """One customer with a unit at each station."""
    from aftersales.customers import actions

    c1 = actions.customer_create(
        actor=agent,
        name="张三",
        phone="13812345678",
        station=org_tree["s1"],
        address_line="上海市浦东新区世纪大道100号",
    )
    c2 = actions.customer_create(
        actor=agent,
        name="李四",
        phone="13987654321",
        station=org_tree["s2"],
        address_line="北京市朝阳区建国路1号",
    )
    u1 = actions.unit_create(
        actor=agent,
        customer=c1,
        product_model=catalog["model"],
        serial="KF2401000001",
        purchase_date=dt.date(2024, 3, 1),
    )
    u2 = actions.unit_create(
        actor=agent,
        customer=c2,
        product_model=catalog["model"],
        serial="KF2401000002",
        purchase_date=dt.date(2024, 4, 1),
    )
    return {"c1": c1, "c2": c2, "u1": u1, "u2": u2, **org_tree, **catalog}


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


class ApiClient:
    """The Django test client with a bearer token, JSON in and out."""

    def __init__(self, user: User) -> None:
        _, key = org.api_token_create(actor=user, name="tests")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.user = user

    def _call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        import json

        kwargs: dict[str, Any] = dict(extra)
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self._call("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("post", path, body if body is not None else {}, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, body if body is not None else {}, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("put", path, body if body is not None else {}, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._call("delete", path, **extra)


@pytest.fixture
def api() -> Callable[[User], ApiClient]:
    return ApiClient


def run_at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(0)` ... `work(n-1)` in n threads released together (each its own database
    connection). Returns what each returned; a rule refusal (ApplicationError) as its code,
    any other exception as its repr, so a test sees every outcome."""
    import threading

    from django.db import connection

    from aftersales.core.errors import ApplicationError

    barrier = threading.Barrier(n)
    results: list[Any] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        outcome: Any
        try:
            barrier.wait()
            outcome = work(i)
        except ApplicationError as exc:
            outcome = exc.code
        except Exception as exc:  # collected and asserted by the test
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def race() -> Callable[[int, Callable[[int], Any]], list[Any]]:
    """Concurrency tests (PostgreSQL): `race(n, work)`, see run_at_once."""
    return run_at_once
