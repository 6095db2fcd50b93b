"""Each role against each API endpoint and page: allowed or refused.

The expectations below are written out by hand from DOMAIN.md's role table, independently of
`ROLE_PERMISSIONS`, so a change to the table that breaks a rule fails here.
"""

from __future__ import annotations

import pytest

from aftersales.accounts.choices import Role

ALL = set(Role.values)
A, D, T, SM, M, F, H, ADM = (
    "agent",
    "dispatcher",
    "technician",
    "station_manager",
    "service_manager",
    "finance",
    "department_head",
    "admin",
)
CUSTOMER_EDITORS = {A, SM, M, ADM}
UNIT_EDITORS = {A, T, SM, M, ADM}
PHONE_REVEALERS = {A, D, T, SM, M}
CATALOG_EDITORS = {M, H, ADM}
AUDIT_READERS = {M, H, ADM}
ORDER_CREATORS = {A, SM, M}
SETTLEMENT_VIEWERS = {SM, M, F, H}


def _user(make_user, role, org_tree):
    # Station people sit at station s1, where customer c1 and unit u1 are.
    return make_user(role, station=org_tree["s1"] if role in (T, SM) else None)


API_CASES = [
    ("get", "/customers", None, ALL, 200),
    ("get", "/customers/{c1}", None, ALL, 200),
    ("get", "/customers/{c1}/personal-data", None, {M, ADM}, 200),
    ("post", "/customers", {"name": "王五", "phone": "13700001111"}, CUSTOMER_EDITORS, 201),
    ("patch", "/customers/{c1}", {"version": 1, "notes": "VIP"}, CUSTOMER_EDITORS, 200),
    ("post", "/customers/{c1}/reveal-phone", {}, PHONE_REVEALERS, 200),
    (
        "post",
        "/customers/{c1}/contacts",
        {"name": "联系人", "phone": "13700002222"},
        CUSTOMER_EDITORS,
        201,
    ),
    (
        "post",
        "/customers/{c1}/consents",
        {"purpose": "survey", "granted": False, "channel": "phone"},
        CUSTOMER_EDITORS,
        201,
    ),
    ("get", "/units", None, ALL, 200),
    ("get", "/units/{u1}", None, ALL, 200),
    ("get", "/units/lookup?serial=KF2401000001", None, ALL, 200),
    ("get", "/imports", None, {M, ADM}, 200),
    (
        "post",
        "/units",
        {"customer_id": "{c1}", "product_model_id": "{model}", "serial": "NEW-1"},
        UNIT_EDITORS,
        201,
    ),
    ("patch", "/units/{u1}", {"version": 1, "voucher_no": "V-1"}, UNIT_EDITORS, 200),
    ("get", "/catalog/categories", None, ALL, 200),
    ("get", "/catalog/parts", None, ALL, 200),
    ("get", "/catalog/models", None, ALL, 200),
    ("get", "/catalog/fault-codes", None, ALL, 200),
    ("post", "/catalog/categories", {"code": "tv", "name": "电视"}, CATALOG_EDITORS, 201),
    (
        "post",
        "/catalog/parts",
        {"code": "P-1", "name": "电容", "price": "3.50"},
        CATALOG_EDITORS,
        201,
    ),
    (
        "post",
        "/catalog/models",
        {"category_id": "{category}", "code": "M-2", "name": "新款"},
        CATALOG_EDITORS,
        201,
    ),
    (
        "post",
        "/catalog/fault-codes",
        {"category_id": "{category}", "code": "E9", "symptom": "异响"},
        CATALOG_EDITORS,
        201,
    ),
    ("get", "/me", None, ALL, 200),
    ("get", "/orders", None, ALL, 200),
    (
        "post",
        "/orders",
        {"customer_id": "{c1}", "unit_id": "{u1}", "fault_description": "不制冷"},
        ORDER_CREATORS,
        201,
    ),
    (
        "post",
        "/warranty/evaluate",
        {"unit": {"invoice_date": "2025-03-01"}, "service_date": "2025-06-01"},
        ALL,
        200,
    ),
    ("get", "/fees", None, ALL, 200),
    (
        "post",
        "/fees",
        {"code": "SM", "name": "上门费", "kind": "travel", "price": "50"},
        {M, ADM},
        201,
    ),
    ("get", "/field/settings", None, ALL, 200),
    ("get", "/follow-ups", None, {A, M}, 200),
    ("get", "/complaints", None, {A, SM, M, H}, 200),
    ("get", "/settlement/statements", None, SETTLEMENT_VIEWERS, 200),
    ("get", "/settlement/fee-rules", None, SETTLEMENT_VIEWERS, 200),
    ("post", "/settlement/statements/generate", {"period": "2026-11-01"}, {F}, 200),
    (
        "post",
        "/complaints",
        {"customer_id": "{c1}", "category": "delay", "description": "慢"},
        {A, SM, M, H},
        201,
    ),
    ("get", "/kpis", None, {T, SM, M, F, H}, 200),
    ("get", "/kpis/first_time_fix?group_by=station", None, {T, SM, M, F, H}, 200),
    ("get", "/kpis/first_time_fix/orders", None, {T, SM, M, F, H}, 200),
    ("get", "/training-records", None, {T, SM, M, F, H}, 200),
    ("get", "/assessment-runs", None, {T, SM, M, F, H}, 200),
    ("get", "/maintenance/plans", None, ALL, 200),
    ("post", "/maintenance/plans", {"name": "年检", "category_id": "{category}"}, {M, ADM}, 201),
    ("get", "/maintenance/runs", None, ALL, 200),
    ("get", "/units/{u1}/maintenance", None, ALL, 200),
    ("get", "/maintenance/contracts", None, ALL, 200),
    ("get", "/maintenance/campaigns", None, ALL, 200),
    (
        "post",
        "/maintenance/campaigns",
        {"name": "召回", "kind": "recall", "work": "检查", "serials": ["KF2401000001"]},
        {M, ADM},
        201,
    ),
    (
        "post",
        "/maintenance/contracts",
        {
            "customer_id": "{c1}",
            "unit_ids": [],
            "number": "HT-1",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
        {A, M},
        201,
    ),
    ("get", "/knowledge/search?q=压缩", None, ALL, 200),
    ("post", "/knowledge/articles", {"kind": "answer", "title": "问"}, {A, T, SM, M}, 201),
    ("get", "/workshop/jobs", None, {A, T, SM, M}, 200),
    ("post", "/workshop/tickets", {"station_id": "{s1}", "purpose": "enquiry"}, {A, SM, M}, 201),
    ("get", "/workshop/loans/overdue", None, {A, SM, M}, 200),
]


def _fill(value, data):
    ids = {
        "c1": data["c1"].pk,
        "u1": data["u1"].pk,
        "model": data["model"].pk,
        "category": data["category"].pk,
        "s1": data["s1"].pk,
    }
    if isinstance(value, str):
        for key, pk in ids.items():
            if value == "{" + key + "}":
                return pk
            value = value.replace("{" + key + "}", str(pk))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, data) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path", "body", "allowed", "ok_status"), API_CASES)
def test_api_role_matrix(role, method, path, body, allowed, ok_status, data, make_user, api):
    client = api(_user(make_user, role, data))
    url = _fill(path, data)
    args = [] if body is None else [_fill(body, data)]
    response = getattr(client, method)(url, *args)
    if role in allowed:
        assert response.status_code == ok_status, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "forbidden"


PAGE_CASES = [
    ("get", "/", ALL),
    ("get", "/settlement/", SETTLEMENT_VIEWERS),
    ("get", "/settlement/fee-rules/", SETTLEMENT_VIEWERS),
    ("get", "/billing/outstanding/", ALL),
    ("get", "/customers/", ALL),
    ("get", "/customers/{c1}/", ALL),
    ("get", "/customers/new/", CUSTOMER_EDITORS),
    ("get", "/customers/{c1}/edit/", CUSTOMER_EDITORS),
    ("post", "/customers/{c1}/phone/", PHONE_REVEALERS),
    ("get", "/customers/{c1}/units/new/", UNIT_EDITORS),
    ("get", "/units/", ALL),
    ("get", "/units/{u1}/", ALL),
    ("get", "/units/{u1}/edit/", UNIT_EDITORS),
    ("get", "/catalog/", ALL),
    ("get", "/catalog/parts/", ALL),
    ("get", "/catalog/parts/new/", CATALOG_EDITORS),
    ("get", "/catalog/categories/new/", CATALOG_EDITORS),
    ("get", "/audit/", AUDIT_READERS),
    ("get", "/transfer/", {A, SM, M, F, H, ADM}),
    ("get", "/transfer/export/customers.xlsx", {A, SM, M, F, H, ADM}),
    ("get", "/transfer/export/units.xlsx", {A, SM, M, H, ADM}),
    ("get", "/transfer/export/parts.xlsx", {M, F, H, ADM}),
    ("get", "/orders/", ALL),
    ("get", "/orders/new/", ORDER_CREATORS),
    ("get", "/calendar/", ALL),
    ("get", "/units/{u1}/qr/", ALL),
    ("get", "/service-levels/", {M, H, ADM}),
    ("get", "/service-levels/new/", {M, H, ADM}),
    ("get", "/calendar/hours/", {M, ADM}),
    ("get", "/warranty/", {M}),
    ("get", "/warranty/new/", {M}),
    ("get", "/my/day/", {T, SM}),
    ("get", "/field/rules/", {M, ADM}),
    ("get", "/follow-ups/", {A, M}),
    ("get", "/follow-ups/settings/", {M, ADM}),
    ("get", "/complaints/", {A, SM, M, H}),
    ("get", "/complaints/new/", {A, SM, M, H}),
    ("get", "/kpi/", {T, SM, M, F, H}),
    ("get", "/kpi/definitions/", {T, SM, M, F, H}),
    ("get", "/kpi/first_time_fix/", {T, SM, M, F, H}),
    ("get", "/kpi/first_time_fix/orders/", {T, SM, M, F, H}),
    ("get", "/kpi/assessments/", {T, SM, M, F, H}),
    ("get", "/kpi/training/", {T, SM, M, F, H}),
    ("get", "/kpi/gbt27922/", {SM, M, F, H}),  # a station manager: their station, read-only
    ("get", "/maintenance/plans/", ALL),
    ("get", "/history/", {M, ADM}),
    ("get", "/maintenance/runs/", ALL),
    ("get", "/maintenance/contracts/", ALL),
    ("get", "/maintenance/units/{u1}/", ALL),
    ("get", "/maintenance/campaigns/", ALL),
    ("get", "/knowledge/", ALL),
    ("get", "/knowledge/new/", {A, T, SM, M}),
    ("get", "/knowledge/review/", {M}),
    ("get", "/knowledge/featured.xlsx", {M}),
    ("get", "/knowledge/synonyms/", {M}),
    ("get", "/workshop/counter/", {A, SM, M}),
    ("get", "/workshop/board/", {A, T, SM, M}),
    ("get", "/workshop/mail-in/", {A, SM, M}),
    ("get", "/workshop/loaners/", {A, SM, M}),
    ("get", "/workshop/settings/", {SM, M}),
]


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path", "allowed"), PAGE_CASES)
def test_page_role_matrix(role, method, path, allowed, data, make_user, login):
    client = login(_user(make_user, role, data))
    response = getattr(client, method)(_fill(path, data))
    if role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("path", ["/", "/customers/", "/units/", "/catalog/", "/audit/"])
def test_pages_send_anonymous_users_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_api_refuses_anonymous_and_bad_tokens(client, db):
    assert client.get("/api/v1/customers").status_code == 401
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer as_nope")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_admin_site_is_for_superusers_only(data, make_user, login):
    admin_role = make_user(ADM)
    admin_role.is_staff = True
    admin_role.save()
    assert login(admin_role).get("/admin/").status_code == 302
    admin_role.is_superuser = True
    admin_role.save()
    assert login(admin_role).get("/admin/").status_code == 200


def test_revoked_token_stops_working(data, make_user):
    from django.test import Client

    from aftersales.accounts import actions

    user = make_user(A)
    token, key = actions.api_token_create(actor=user, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me").status_code == 200
    actions.api_token_revoke(actor=user, token_id=token.pk)
    assert client.get("/api/v1/me").status_code == 401
