"""Every URL pattern of the site and every operation of the API, requested by each class of
caller — anonymous, a customer signed in to the portal, a technician, a station manager, an
administrator — with the outcome checked (Zulip's URL-coverage test, built the other way round:
the patterns are enumerated, so a new URL is covered the day it is added).

What a new URL must declare here: that it is public (`PUBLIC_WEB` / `PUBLIC_API`), that it is a
portal page (`PORTAL`), or a sample for a new path converter (`SAMPLES`). Otherwise:
- anonymous: a page redirects to the sign-in page, an API operation answers 401;
- a portal customer: a staff page redirects to the sign-in page, the API answers 401;
- staff: never a server error; a page guarded by a permission (`web.shortcuts.page`) answers
  403 exactly to the roles without it (`ROLE_PERMISSIONS`), never to the roles with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from aftersales.accounts.choices import Role
from aftersales.accounts.permissions import ROLE_PERMISSIONS
from aftersales.core import clock

pytestmark = pytest.mark.django_db

MISSING = 987654  # an id no row has: guarded views refuse before they look it up
SAMPLES = {
    "int": str(MISSING),
    "str": "x1",
    "slug": "x1",
    "path": "1",
}
# Pages anyone may open without signing in (sign-in itself, links sent to customers, the QR
# code on a unit, health checks, static assets, the language switch, the portal's sign-in).
PUBLIC_WEB = {
    "login",
    "logout",
    "healthz",
    "favicon",
    "set_language",
    "survey",
    "unit-scan",
    "service-report-customer",
    "service-report-customer-pdf",
    "workshop-receipt-public",
    "portal-login",
    "portal-verify",
    "portal-logout",
}
# The customers' portal: its own sign-in (a phone code), never the staff one.
PORTAL = re.compile(r"^portal/")
# Operations open without a token.
PUBLIC_API = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/health"}
# Django's own admin keeps its own access rules (staff accounts only): checked as one group.
ADMIN = re.compile(r"^admin/")
SIGN_OUT = {"logout", "portal-logout"}
# Pages that check more than their permission (a scope inside the view): refused to some roles
# that hold it. The GB/T 27922 self-assessment is the company's (a station manager sees their
# station's, read-only; a technician none); its PDF is the company's saved one.
# The region comparison compares the whole company's regions, so it is the company's too.
STRICTER = {
    "self-assessment": {Role.TECHNICIAN},
    "self-assessment-pdf": {Role.TECHNICIAN, Role.STATION_MANAGER},
    "kpi-regions": {Role.TECHNICIAN, Role.STATION_MANAGER},
}
CLASSES = ("anonymous", "customer", Role.TECHNICIAN, Role.STATION_MANAGER, Role.ADMIN)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _fill(route: str) -> str:
    def sample(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        assert converter in SAMPLES, f"no sample value for <{converter}:> in {route}"
        return SAMPLES[converter]

    path = re.sub(r"<(?:(\w+):)?\w+>", sample, route)
    return "/" + path.lstrip("^").rstrip("$")


def web_patterns() -> list[tuple[str, str, Any]]:
    """(route, name, view) of every page: the site without the API and the admin."""
    out = []
    for route, p in _walk(get_resolver().url_patterns):
        if route.startswith("api/") or ADMIN.match(route):
            continue
        out.append((route, p.name or route, p.callback))
    return out


def api_operations() -> list[tuple[str, str]]:
    from aftersales.api.main import api

    schema = api.get_openapi_schema()
    ops = [
        (method.upper(), "/api/v1" + path.removeprefix("/api/v1"))
        for path, methods in schema["paths"].items()
        for method in methods
    ]
    return sorted(set(ops))


def _required_perm(view: Any) -> str | None:
    """The permission `web.shortcuts.page(perm)` guards the view with, if any."""
    seen = 0
    while view is not None and seen < 6:
        for cell in getattr(view, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", value):
                return value
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return None


@pytest.fixture
def callers(make_user, org_tree, data) -> dict[str, Client]:
    # A view that raises answers 500 here (recorded as a problem) instead of stopping the walk.
    out: dict[str, Client] = {"anonymous": Client(raise_request_exception=False)}
    customer = Client(raise_request_exception=False)
    session = customer.session
    session["portal"] = {"customers": [data["c1"].pk], "at": clock.now().isoformat()}
    session.save()
    out["customer"] = customer
    for role in (Role.TECHNICIAN, Role.STATION_MANAGER, Role.ADMIN):
        client = Client(raise_request_exception=False)
        station = org_tree["s1"] if role in (Role.TECHNICIAN, Role.STATION_MANAGER) else None
        client.force_login(make_user(role, station=station))
        out[str(role)] = client
    return out


def _request(client: Client, path: str) -> Any:
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path, {})
    return response


def _to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and "login" in response["Location"]


def test_the_lists_name_only_existing_urls():
    names = {name for _r, name, _v in web_patterns()}
    assert PUBLIC_WEB - names == set()
    paths = {path for _m, path in api_operations()} | {"/api/v1/openapi.json", "/api/v1/docs"}
    assert PUBLIC_API - paths - {"/api/v1/health"} == set()


def test_every_page_as_every_class_of_caller(callers):
    hits: dict[str, set[str]] = {}
    problems: list[str] = []
    # Signing out last: it ends the caller's session.
    ordered = sorted(web_patterns(), key=lambda p: p[1] in SIGN_OUT)
    for route, name, view in ordered:
        path = _fill(route)
        perm = _required_perm(view)
        for who in CLASSES:
            response = _request(callers[str(who)], path)
            hits.setdefault(name, set()).add(str(who))
            status = response.status_code
            where = f"{who} {path} ({name}) -> {status}"
            if status >= 500:
                problems.append(f"server error: {where}")
            elif name in PUBLIC_WEB:
                continue
            elif who == "anonymous" and not _to_sign_in(response):
                problems.append(f"open to anonymous: {where}")
            elif who == "customer" and not PORTAL.match(route) and not _to_sign_in(response):
                problems.append(f"staff page open to a portal customer: {where}")
            elif who not in ("anonymous", "customer") and perm and not PORTAL.match(route):
                allowed = perm in ROLE_PERMISSIONS[who]
                if allowed and status == 403 and who not in STRICTER.get(name, set()):
                    problems.append(f"refused though {who} has {perm}: {where}")
                if not allowed and status != 403:
                    problems.append(f"not refused though {who} lacks {perm}: {where}")
    assert problems == [], "\n".join(problems[:60])
    assert all(len(classes) == len(CLASSES) for classes in hits.values())
    assert len(hits) > 150


def test_every_api_operation_as_every_class_of_caller(callers):
    problems: list[str] = []
    operations = api_operations()
    for method, template in operations:
        path = re.sub(r"\{\w+\}", str(MISSING), template)
        for who in CLASSES:
            client = callers[str(who)]
            call = getattr(client, method.lower())
            if method in ("GET", "DELETE"):
                response = call(path)
            else:
                response = call(path, data=json.dumps({}), content_type="application/json")
            status = response.status_code
            where = f"{who} {method} {template} -> {status}"
            if status >= 500:
                problems.append(f"server error: {where}")
            elif template in PUBLIC_API:
                continue
            elif who in ("anonymous", "customer") and status != 401:
                problems.append(f"open without a token: {where}")
    assert problems == [], "\n".join(problems[:60])
    assert len(operations) > 150


def test_the_admin_is_closed_to_everyone_but_staff_accounts(callers):
    for who in CLASSES:
        response = callers[str(who)].get("/admin/")
        assert _to_sign_in(response), who
