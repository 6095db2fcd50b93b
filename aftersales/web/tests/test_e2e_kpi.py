"""End to end in Chromium: the department head opens the performance dashboard, filters to a
station and drills down from the first-time-fix figure to its orders; a station manager sees
only their station."""

import pytest
from playwright.sync_api import expect

from aftersales.kpi import actions as kpi
from aftersales.orders import actions as orders
from aftersales.web.tests.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_head_drills_down_and_station_manager_sees_only_their_station(
    page, new_order, walk, people, data
):
    fixed = walk(new_order(), "follow_up")
    north = new_order(unit=data["u2"], customer=data["c2"])
    for action, who, kw in (
        ("dispatch", "dispatcher", {"station": data["s2"]}),
        ("assign", "dispatcher", {"technician": people["tech_north"]}),
        ("accept", "tech_north", {}),
    ):
        north = orders.order_transition(actor=people[who], order=north, action=action, **kw)
    kpi.kpi_refresh(company_id=data["company"].pk)
    problems = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Refused" in m.text or "echarts" in m.text else None,
    )

    sign_in(page, people["department_head"])
    page.goto("/kpi/")
    # the charts are drawn (ECharts from the vendored file, no inline script under the CSP)
    expect(page.locator('.kpi-chart[data-chart="sla"] canvas')).to_have_count(1)
    expect(page.get_by_test_id("table-backlog")).to_contain_text("北京一站", use_inner_text=False)

    page.get_by_test_id("filter-station").select_option(str(data["s1"].pk))
    page.get_by_test_id("filter-apply").click()
    page.wait_for_url(f"**station={data['s1'].pk}**")
    expect(page.get_by_test_id("value-first_time_fix")).to_contain_text("100")
    page.get_by_test_id("drill-first_time_fix").click()
    page.wait_for_url("**/kpi/first_time_fix/orders/**")
    rows = page.get_by_test_id("drill-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(fixed.number)
    rows.first.get_by_role("link", name=fixed.number).click()
    page.wait_for_url(f"**/orders/{fixed.pk}/")
    assert problems == []

    sign_in(page, people["station_manager"])
    page.goto("/kpi/")
    options = page.get_by_test_id("filter-station").locator("option")
    expect(options).to_have_count(2)  # "all" and their own station
    expect(page.get_by_test_id("filter-station")).to_contain_text("上海一站")
    expect(page.get_by_test_id("filter-station")).not_to_contain_text("北京一站")
    expect(page.get_by_test_id("table-backlog")).not_to_contain_text(
        "北京一站", use_inner_text=False
    )
    page.goto(f"/kpi/timely_response/orders/?station={data['s2'].pk}")
    expect(page.get_by_test_id("drill-row")).to_have_count(0)
