"""End to end in Chromium: a dispatcher optimises a station's day and commits it; each
technician's own list then shows their visits in the planned order."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.dispatch.models import Shift, Visit
from aftersales.dispatch.tests.fixtures import spot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, user):
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_dispatcher_optimises_and_commits_a_day(page, station_day, customer_order):
    day = timezone.localdate() + dt.timedelta(days=1)
    techs = [station_day["technician"](2), station_day["technician"](1)]
    for t in techs:  # they work that day whatever the calendar says
        Shift.objects.create(technician=t.technician, day=day, start=dt.time(8), end=dt.time(20))
    orders = [
        customer_order(spot(k, k % 3), required_skills={"ac": 2} if k < 2 else {}) for k in range(6)
    ]
    dispatcher = station_day["people"]["dispatcher"]

    _login(page, dispatcher)
    page.goto(f"/dispatch/?station={station_day['station'].pk}&day={day.isoformat()}")
    expect(page.locator("[data-testid=board-row]")).to_have_count(2)
    expect(page.locator("[data-testid=unplanned] a")).to_have_count(6)
    page.click("[data-testid=optimise]")

    expect(page.locator("[data-testid=plan-status]")).to_have_text("建议")
    expect(page.locator("[data-testid=plan-stop]")).to_have_count(6)
    # The skilled orders are explained with the skill (by its name, not its code "ac") and the
    # level of the chosen technician.
    expect(
        page.locator(f"[data-testid=plan-route][data-technician='{techs[0].pk}']")
    ).to_contain_text("空调 L2")
    page.click("[data-testid=commit]")

    expect(page.locator("[data-testid=board-visit]")).to_have_count(6)
    # Each block is placed on the day's track by static/datastyle.js (no inline style: CSP).
    placed = page.locator("[data-testid=board-visit]").evaluate_all(
        "els => els.map(e => e.style.getPropertyValue('--width'))"
    )
    assert all(float(w) > 0 for w in placed)
    for o in orders:
        o.refresh_from_db()
        assert o.status == "assigned"

    for tech in techs:
        expected = list(
            Visit.objects.filter(technician=tech, day=day, ended_at__isnull=True)
            .order_by("sequence")
            .values_list("order__number", flat=True)
        )
        page.context.clear_cookies()
        _login(page, tech)
        page.goto(f"/my/day/?day={day.isoformat()}")
        items = page.locator("[data-testid=my-visit]")
        expect(items).to_have_count(len(expected))
        assert [items.nth(k).get_attribute("data-order") for k in range(len(expected))] == expected
