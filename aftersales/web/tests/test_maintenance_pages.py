"""Maintenance pages through the client: plans, a unit's schedule, the log, contracts, the
checklist on the visit page and in the report, the plan and contract on the order page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.fieldwork import actions as field
from aftersales.maintenance import actions
from aftersales.maintenance.models import ChecklistEntry, MaintenanceVisit, ServiceContract
from aftersales.web.tests.sheets import xlsx_rows

pytestmark = pytest.mark.django_db


def _visit(data):
    return MaintenanceVisit.objects.get(unit=data["u1"])


def test_the_pages_render_for_the_manager(plan, data, people, login):
    actions.plan_generate(plan=plan["plan"])
    client = login(people["service_manager"])
    for url in (
        "/maintenance/plans/",
        f"/maintenance/plans/{plan['plan'].pk}/",
        "/maintenance/runs/",
        f"/maintenance/units/{data['u1'].pk}/",
        "/maintenance/contracts/",
        f"/maintenance/contracts/?customer={data['c1'].pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/maintenance/units/{data['u1'].pk}/").content.decode()
    assert "WP12 保养" in page and 'data-testid="upcoming-row"' in page
    runs = client.get("/maintenance/runs/?format=xlsx")
    assert runs["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_manager_builds_a_plan_on_the_page(data, people, login):
    client = login(people["service_manager"])
    response = client.post(
        "/maintenance/plans/",
        {"name": "空调年检", "category": data["category"].pk, "meter_kind": "hours"},
    )
    assert response.status_code == 302
    url = response["Location"]
    client.post(url, {"op": "rule", "kind": "periodic", "months": "12"})
    client.post(url, {"op": "activate"})
    page = client.get(url).content.decode()
    assert "定期保养" in page and "Periodic service" not in page
    assert 'data-testid="plan-status">生效' in page


def test_an_agent_sees_plans_but_cannot_write_them(plan, people, login):
    client = login(people["agent"])
    assert client.get("/maintenance/plans/").status_code == 200
    client.post(f"/maintenance/plans/{plan['plan'].pk}/", {"op": "pause", "reason": "x"})
    assert plan["plan"].__class__.objects.get(pk=plan["plan"].pk).status == "active"


def test_the_technician_fills_the_checklist_on_the_visit_page(plan, data, people, walk, login):
    actions.unit_generate(unit=data["u1"])
    order = walk(_visit(data).order, "accept")
    field.visit_depart(actor=people["tech"], order=order, eta_minutes=20)
    field.visit_arrive(actor=people["tech"], order=order, latitude=31.23, longitude=121.47)
    client = login(people["tech"])
    page = client.get(f"/field/{order.pk}/").content.decode()
    assert 'data-testid="form-checklist"' in page and "机油滤清器" in page
    tasks = {t.kind: t for t in plan["first_level"].tasks.all()}
    response = client.post(
        f"/maintenance/visit/{order.pk}/checklist/",
        {
            f"task_{tasks['check'].pk}": "1",
            f"done_{tasks['check'].pk}": "1",
            f"task_{tasks['measure'].pk}": "1",
            f"value_{tasks['measure'].pk}": "600",
            f"task_{tasks['replace'].pk}": "1",
            f"done_{tasks['replace'].pk}": "1",
            "reading": "45",
        },
    )
    assert response.status_code == 302
    entry = ChecklistEntry.objects.get(task=tasks["measure"])
    assert entry.out_of_limits
    page = client.get(f"/field/{order.pk}/").content.decode()
    assert 'data-testid="out-of-limits"' in page and 'data-testid="open-repair"' in page
    client.post(f"/maintenance/visit/{order.pk}/checklist/{entry.pk}/repair/")
    assert ChecklistEntry.objects.get(pk=entry.pk).repair_order is not None
    report = client.get(f"/orders/{order.pk}/report/").content.decode()
    assert 'data-testid="report-checklist"' in report and "机油压力" in report


def test_another_technician_cannot_record_the_checklist(plan, data, people, walk, login):
    actions.unit_generate(unit=data["u1"])
    order = _visit(data).order
    client = login(people["tech_b"])
    response = client.post(f"/maintenance/visit/{order.pk}/checklist/", {"reading": "5"})
    assert response.status_code == 404


def test_the_order_page_shows_the_plan_and_the_contract(plan, data, people, login):
    today = timezone.localdate()
    contract = actions.contract_create(
        actor=people["agent"],
        customer=data["c1"],
        units=[data["u1"].pk],
        number="HT-9",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=355),
        parts_pct=100,
        labour_pct=50,
    )
    actions.contract_transition(actor=people["agent"], contract=contract, action="activate")
    actions.unit_generate(unit=data["u1"])
    order = _visit(data).order
    assert order.contract_level == "HT-9"
    page = login(people["agent"]).get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="order-plan"' in page and 'data-testid="order-contract"' in page
    assert "HT-9" in page


def test_contracts_are_created_activated_and_renewed_on_the_pages(data, people, login):
    client = login(people["agent"])
    today = timezone.localdate()
    response = client.post(
        "/maintenance/contracts/",
        {
            "customer": data["c1"].pk,
            "units": [data["u1"].pk],
            "number": "HT-100",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=365)).isoformat(),
            "parts_pct": "80",
            "price": "1200",
        },
    )
    assert response.status_code == 302
    contract = ServiceContract.objects.get(number="HT-100")
    client.post(f"/maintenance/contracts/{contract.pk}/", {"op": "activate"})
    assert ServiceContract.objects.get(pk=contract.pk).status == "active"
    page = client.get(f"/maintenance/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="coverage"' in page
    export = client.get("/maintenance/contracts/?format=xlsx")
    assert export.status_code == 200


def test_a_campaign_is_created_launched_and_followed_on_the_pages(
    data, people, login, django_capture_on_commit_callbacks
):
    client = login(people["service_manager"])
    response = client.post(
        "/maintenance/campaigns/",
        {
            "name": "电容召回",
            "kind": "recall",
            "work": "更换启动电容",
            "product_models": [data["model"].pk],
        },
    )
    assert response.status_code == 302
    url = response["Location"]
    assert 'data-testid="preview"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"op": "launch"})
    page = client.get(url).content.decode()
    assert page.count("/orders/") >= 2 and "已告知" in page and "Owner told" not in page
    export = client.get(url + "?format=xlsx")
    assert export.status_code == 200
    assert client.get("/maintenance/campaigns/").status_code == 200


def test_the_installation_order_page_registers_the_installed_unit(data, people, login):
    from aftersales.customers.models import MeterReading
    from aftersales.orders import actions as order_actions

    order, _made = order_actions.order_create(
        actor=people["agent"],
        customer=data["c1"],
        service_type="installation",
        fault_description="新机安装",
    )
    client = login(people["agent"])
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="installation-unit-form"' in page
    assert data["model"].name in page  # the models to choose from
    url = f"/maintenance/installation/{order.pk}/unit/"
    # A serial that the model's format refuses is explained on the page; nothing is made.
    bad = client.post(url, {"product_model": data["model"].pk, "serial": ""}, follow=True)
    assert bad.status_code == 200
    order.refresh_from_db()
    assert order.unit_id is None
    day = timezone.localdate() - dt.timedelta(days=2)
    response = client.post(
        url,
        {
            "product_model": data["model"].pk,
            "serial": "kf2612000888",
            "installed_on": day.isoformat(),
            "meter_value": "12.5",
            "meter_kind": "hours",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    unit = order.unit
    assert (unit.serial, unit.installation_date) == ("KF2612000888", day)
    reading = MeterReading.objects.get(unit=unit)
    assert (reading.kind, reading.value, reading.read_on) == ("hours", 12.5, day)
    # With the unit named, the form asks only to confirm (no model to choose).
    again = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'name="product_model"' not in again and "KF2612000888" in again


# --- Excel exports of the plans and contracts lists ------------------------------------------


@pytest.fixture
def no_company():
    """Staff of no company: no permission at all."""
    return User.objects.create_user(username="loose", password="pw-for-tests-1", role=Role.ADMIN)


def test_the_plans_export_has_the_plans_with_labels(plan, data, people, login, make_user):
    actions.plan_create(actor=people["service_manager"], name="空调年检", category=data["category"])
    client = login(people["agent"])
    page = client.get("/maintenance/plans/").content.decode()
    assert 'data-testid="maint-plan-export"' in page
    response = client.get("/maintenance/plans/export.xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="maintenance-plans-')
    rows = xlsx_rows(response)
    assert rows[0][:5] == ("名称", "产品型号", "产品类别", "表计", "状态")
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"WP12 保养", "空调年检"}
    assert by_name["WP12 保养"][1:4] == ("挂式空调 KFR-35GW", None, "运行小时")
    assert by_name["空调年检"][1:3] == (None, "空调")
    assert by_name["空调年检"][4] == "草稿"  # the label, not "draft"
    other = make_user(Role.SERVICE_MANAGER, company=data["other"])
    assert xlsx_rows(login(other).get("/maintenance/plans/export.xlsx"))[1:] == []


def test_the_plans_export_is_refused_without_the_lists_permission(no_company, login, client):
    assert login(no_company).get("/maintenance/plans/export.xlsx").status_code == 403
    assert client.get("/maintenance/plans/export.xlsx").status_code == 302  # to sign in


def test_the_contracts_export_has_the_contracts_with_labels_and_money(
    data, people, login, make_user, no_company
):
    today = timezone.localdate()
    actions.contract_create(
        actor=people["agent"],
        customer=data["c1"].pk,
        units=[data["u1"].pk],
        number="HT-100",
        starts_on=today.isoformat(),
        ends_on=(today + dt.timedelta(days=365)).isoformat(),
        price="1200.5",
    )
    client = login(people["agent"])
    page = client.get("/maintenance/contracts/").content.decode()
    assert 'data-testid="maint-contract-export"' in page
    response = client.get("/maintenance/contracts/export.xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="contracts-')
    rows = xlsx_rows(response)
    assert rows[0] == ("合同编号", "客户", "状态", "从", "至", "设备", "价格")
    assert len(rows) == 2
    number, customer, status, _from, _until, units, price = rows[1]
    assert (number, customer, units, price) == ("HT-100", "张三", 1, "1200.50")
    assert status == str(ServiceContract.objects.get().get_status_display())
    assert Decimal(price) == Decimal("1200.50")
    other = make_user(Role.SERVICE_MANAGER, company=data["other"])
    assert xlsx_rows(login(other).get("/maintenance/contracts/export.xlsx"))[1:] == []
    assert login(no_company).get("/maintenance/contracts/export.xlsx").status_code == 403
