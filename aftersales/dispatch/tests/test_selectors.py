"""Dispatch reads: the windows offered for booking and who could take an order."""

from __future__ import annotations

import itertools

import pytest

from aftersales.dispatch import actions, capacity, selectors
from aftersales.dispatch.optimizer.travel import HaversineTravel, Point
from aftersales.dispatch.tests.fixtures import DAY, NOW, at, spot

pytestmark = pytest.mark.django_db


# --- slots -----------------------------------------------------------------------------------


def _independently_feasible(
    visits: list[tuple[tuple[float, float], int, float, float]], shift=(9, 18), break_hours=1
) -> bool:
    """Some order of the visits (place, minutes, window from, window to in hours) fits the
    shift from the station and back, leaving time for the break: brute force over
    permutations, own timing loop."""
    travel = HaversineTravel()
    home = Point(121.47, 31.23)
    for perm in itertools.permutations(visits):
        pts = [home, *[Point(p[1], p[0]) for p, *_ in perm], home]
        _, dur = travel.matrices(pts)
        now = max(shift[0] * 3600.0, perm[0][2] * 3600 - dur[0, 1])
        depart = now
        ok = True
        for k, (_p, minutes, a, b) in enumerate(perm):
            now = max(now + dur[k, k + 1], a * 3600)
            if now > b * 3600:
                ok = False
                break
            now += minutes * 60
        back = now + dur[len(perm), len(perm) + 1]
        if (
            ok
            and back <= shift[1] * 3600
            and back - depart <= (shift[1] - shift[0] - break_hours) * 3600
        ):
            return True
    return False


def test_offered_slots_can_all_be_served(station_day, customer_order):
    station_day["technician"](1)
    # Three visits already booked at set times; 90 minutes each (repair default).
    booked = []
    for _k, (place, hour) in enumerate([(spot(5), 10), (spot(-8, 3), 12), (spot(2, -6), 14)]):
        o = customer_order(place)
        actions.appointment_book(
            actor=station_day["people"]["agent"], order=o, start=at(hour), end=at(hour + 2), now=NOW
        )
        booked.append((place, 90, hour, hour + 2))
    new = customer_order(spot(3, 2))

    slots = selectors.appointment_slots(
        actor=station_day["people"]["agent"], order=new, days=2, now=NOW
    )

    offered = [(s.start, s.end) for s in slots]
    assert offered  # some room is left
    for start, end in offered:
        a = (start - at(0)).total_seconds() / 3600
        b = (end - at(0)).total_seconds() / 3600
        assert _independently_feasible([*booked, (spot(3, 2), 90, a, b)]), (a, b)


def test_rest_periods_and_visiting_hours_are_never_offered(station_day, customer_order):
    station_day["technician"](1)
    conf = capacity.dispatch_settings(station_day["station"].company_id)
    conf.rest_periods = [["12:00", "14:00"]]
    conf.save()
    order = customer_order(spot(1))
    slots = selectors.appointment_slots(
        actor=station_day["people"]["agent"], order=order, days=2, now=NOW
    )
    hours = [
        (s.start.astimezone(at(0).tzinfo).hour, s.end.astimezone(at(0).tzinfo).hour) for s in slots
    ]
    assert hours and all(not (a < 14 and b > 12) for a, b in hours)
    assert all(a >= 8 and b <= 20 for a, b in hours)


# --- candidates ------------------------------------------------------------------------------


def test_candidates_show_qualification_load_and_added_travel(station_day, customer_order):
    near_tech = station_day["technician"](2, home_latitude=spot(1)[0], home_longitude=spot(1)[1])
    far_tech = station_day["technician"](2, home_latitude=spot(30)[0], home_longitude=spot(30)[1])
    novice = station_day["technician"](1)
    order = customer_order(spot(2), required_skills={"ac": 2})

    got = selectors.technician_candidates(
        actor=station_day["people"]["dispatcher"], order=order, day=DAY
    )

    by_id = {c.technician_id: c for c in got}
    assert got[0].technician_id == near_tech.pk
    assert by_id[near_tech.pk].added_minutes < by_id[far_tech.pk].added_minutes
    assert (by_id[novice.pk].qualified, by_id[novice.pk].refusal) == (False, "skill")
    assert by_id[near_tech.pk].visits == 0
