"""Dispatch pages through Django's test client: the order's candidates and appointment booking,
the board's move form, the team page (shifts, leave, territories) and the rules page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftersales.core.models import AuditEntry
from aftersales.dispatch.models import (
    DispatchSettings,
    Leave,
    ServiceDuration,
    Shift,
    SkillRequirement,
    Territory,
    Visit,
)
from aftersales.dispatch.tests.fixtures import spot

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(soon):
    return soon


def test_the_assign_form_ranks_candidates_and_says_why_not(login, crew, customer_order, day):
    order = customer_order(spot(1), required_skills={"ac": 2})
    order.appointment_start = dt.datetime.combine(
        day, dt.time(10), tzinfo=timezone.get_current_timezone()
    )
    order.save(update_fields=["appointment_start"])
    page = login(crew["people"]["dispatcher"]).get(f"/orders/{order.pk}/").content.decode()
    select = page[page.index('data-testid="assign-technician"') :]
    select = select[: select.index("</select>")]
    skilled_at = select.index(f'value="{crew["skilled"].pk}"')
    plain_at = select.index(f'value="{crew["plain"].pk}"')
    assert skilled_at < plain_at  # the qualified one first
    assert "+" in select[skilled_at:plain_at]  # the travel it adds
    assert "缺少技能" in select[plain_at:]


def test_booking_a_slot_from_the_appointment_page(login, crew, customer_order, day):
    order = customer_order(spot(2))
    client = login(crew["people"]["agent"])
    page = client.get(f"/orders/{order.pk}/appointment/?first={day.isoformat()}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-day="{day.isoformat()}"' in html
    value = html.split('name="slot" value="', 1)[1].split('"', 1)[0]

    response = client.post(
        f"/orders/{order.pk}/appointment/", {"slot": value, "version": order.version}
    )
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.appointment_start == dt.datetime.fromisoformat(value.split("/")[0])
    assert Visit.objects.filter(order=order, ended_at__isnull=True).count() == 1


def test_a_window_that_was_not_offered_is_refused_on_the_page(login, crew, customer_order, day):
    order = customer_order(spot(2))
    client = login(crew["people"]["agent"])
    night = dt.datetime.combine(day, dt.time(23), tzinfo=timezone.get_current_timezone())
    response = client.post(
        f"/orders/{order.pk}/appointment/",
        {"slot": f"{night.isoformat()}/{(night + dt.timedelta(hours=1)).isoformat()}"},
        follow=True,
    )
    assert "slot_unavailable" not in response.content.decode()  # a message, not a code
    assert not Visit.objects.filter(order=order).exists()
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/appointment/"


def test_the_board_moves_a_planned_visit_to_another_technician(login, crew, customer_order, day):
    order = customer_order(spot(2))
    client = login(crew["people"]["dispatcher"])
    station = crew["station"].pk
    client.post(
        "/dispatch/move/",
        {"order": order.pk, "day": day, "technician": crew["skilled"].pk, "time": "10:00"},
    )
    board = client.get(f"/dispatch/?station={station}&day={day}").content.decode()
    assert 'data-testid="move-form"' in board
    client.post(
        "/dispatch/move/",
        {"order": order.pk, "day": day, "technician": crew["plain"].pk, "time": "14:00"},
    )
    live = Visit.objects.get(order=order, ended_at__isnull=True)
    assert (live.technician_id, live.planned_start.astimezone().hour) == (crew["plain"].pk, 14)
    order.refresh_from_db()
    assert order.technician_id == crew["plain"].pk


def test_team_page_sets_shifts_records_leave_and_warns_of_planned_visits(
    login, crew, customer_order, day
):
    client = login(crew["people"]["dispatcher"])
    station = crew["station"].pk
    assert client.get(f"/dispatch/team/?station={station}").status_code == 200
    client.post(
        "/dispatch/team/change/",
        {
            "op": "shift",
            "station": station,
            "technician": crew["plain"].pk,
            "day": day.isoformat(),
            "start": "09:30",
            "end": "17:00",
            "break_minutes": "45",
        },
    )
    shift = Shift.objects.get(technician=crew["plain"].technician, day=day)
    assert (shift.start, shift.break_minutes) == (dt.time(9, 30), 45)

    order = customer_order(spot(1))
    client.post(
        "/dispatch/move/",
        {"order": order.pk, "day": day, "technician": crew["plain"].pk, "time": "10:00"},
    )
    response = client.post(
        "/dispatch/team/change/",
        {
            "op": "leave",
            "station": station,
            "technician": crew["plain"].pk,
            "first_day": day.isoformat(),
            "last_day": day.isoformat(),
            "reason": "病假",
        },
        follow=True,
    )
    assert Leave.objects.filter(technician=crew["plain"].technician).count() == 1
    assert order.number in response.content.decode()  # the visit to move is named

    bad = client.post(
        "/dispatch/team/change/",
        {"op": "shift", "station": station, "technician": crew["plain"].pk, "day": "x"},
        follow=True,
    )
    assert bad.status_code == 200 and Shift.objects.count() == 2


def test_team_page_saves_a_territory(login, crew, org_tree):
    client = login(crew["people"]["dispatcher"])
    station = crew["station"].pk
    client.post(
        "/dispatch/team/change/",
        {
            "op": "territory",
            "station": station,
            "name": "徐汇",
            "regions": [org_tree["east"].pk],
            "technicians": [crew["skilled"].pk],
            "postcode_prefixes": "2000",
            "polygon": "",
        },
    )
    t = Territory.objects.get()
    assert (t.name, t.postcode_prefixes) == ("徐汇", "2000")
    assert [p.user_id for p in t.technicians.all()] == [crew["skilled"].pk]
    page = client.get(f"/dispatch/team/?station={station}&territory={t.pk}").content.decode()
    assert 'value="徐汇"' in page
    client.post(
        "/dispatch/team/change/",
        {"op": "territory", "station": station, "name": "坏", "polygon": "[[1, 2]"},
    )
    assert Territory.objects.count() == 1
    assert AuditEntry.objects.filter(action="territory.save").count() == 1


def test_rules_page_is_for_managers(login, crew, catalog):
    assert login(crew["people"]["dispatcher"]).get("/dispatch/rules/").status_code == 403
    client = login(crew["people"]["service_manager"])
    assert client.get("/dispatch/rules/").status_code == 200
    client.post(
        "/dispatch/rules/",
        {"op": "duration", "service_type": "installation", "minutes": "120", "category": ""},
    )
    assert ServiceDuration.objects.get().minutes == 120
    client.post(
        "/dispatch/rules/",
        {
            "op": "requirement",
            "category": catalog["category"].pk,
            "skill": crew["skill"].pk,
            "level": "9",
        },
    )
    page = client.get("/dispatch/rules/").content.decode()
    # Level 9 refused (the list shows "category → skill L<level>"; a bare "L9" could be part
    # of the page's CSRF token).
    assert f"{crew['skill'].name} L9" not in page
    assert not SkillRequirement.objects.filter(level=9).exists()


def test_the_board_draws_routes_only_when_a_tile_server_is_configured(
    login, crew, customer_order, day, settings
):
    order = customer_order(spot(2))
    station = crew["station"].pk
    url = f"/dispatch/?station={station}&day={day}"
    client = login(crew["people"]["dispatcher"])
    client.post(
        "/dispatch/move/",
        {"order": order.pk, "day": day, "technician": crew["skilled"].pk, "time": "10:00"},
    )
    plain = client.get(url)
    assert 'data-testid="route-map"' not in plain.content.decode()
    assert "tiles.example" not in plain.headers["Content-Security-Policy"]

    settings.AFTERSALES_MAP_TILES = "https://tiles.example/{z}/{x}/{y}.png"
    client = login(crew["people"]["dispatcher"])  # a new client builds the policy again
    page = client.get(url)
    html = page.content.decode()
    assert 'data-testid="route-map"' in html and "https://tiles.example/" in html
    assert html.count('data-testid="route-line"') == 2  # one per working technician
    assert "<circle" in html  # the one visit
    assert (
        "img-src 'self' data: blob: https://tiles.example"
        in page.headers["Content-Security-Policy"]
    )


def test_rules_page_changes_the_dispatch_settings(login, crew):
    client = login(crew["people"]["service_manager"])
    form = {
        "op": "settings",
        "slot_minutes": "90",
        "visits_from": "08:30",
        "visits_until": "19:00",
        "rest_periods": "12:00-13:30， 18:00-18:30",
        "notice_hours": "8",
        "booking_days": "10",
        "detour_factor": "1.4",
        "speed_kmh": "25",
        "optimise_seconds": "3",
        "auto_assign": "1",
    }
    client.post("/dispatch/rules/", form)
    conf = DispatchSettings.objects.get()
    assert (conf.slot_minutes, conf.booking_days, conf.auto_assign) == (90, 10, True)
    assert conf.rest_periods == [["12:00", "13:30"], ["18:00", "18:30"]]
    page = client.get("/dispatch/rules/").content.decode()
    assert 'value="08:30"' in page and "12:00-13:30, 18:00-18:30" in page

    client.post("/dispatch/rules/", {**form, "slot_minutes": "5", "visits_until": "07:00"})
    conf.refresh_from_db()
    assert conf.slot_minutes == 90  # refused whole
