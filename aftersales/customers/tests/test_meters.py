"""Meter readings: the pure monotonic rule and projection, and the recording action."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.accounts.choices import Role
from aftersales.core.errors import ApplicationError
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions, meters
from aftersales.customers.models import MeterReading
from aftersales.customers.selectors import latest_meter, meter_history

D = dt.date
R = meters.Reading


def history(*rows):
    return [R(on=on, value=Decimal(v), replaced=rep, seq=i) for i, (on, v, rep) in enumerate(rows)]


def test_a_lower_reading_is_refused_unless_a_new_meter():
    h = history((D(2026, 1, 1), 100, False), (D(2026, 2, 1), 400, False))
    with pytest.raises(meters.MeterError) as err:
        meters.check_new(h, R(on=D(2026, 3, 1), value=Decimal(399)))
    assert (err.value.code, err.value.bound) == ("lower", Decimal(400))
    meters.check_new(h, R(on=D(2026, 3, 1), value=Decimal(5), replaced=True))
    meters.check_new(h, R(on=D(2026, 3, 1), value=Decimal(400)))


def test_a_back_dated_reading_must_fit_between_its_neighbours():
    h = history((D(2026, 1, 1), 100, False), (D(2026, 3, 1), 400, False))
    meters.check_new(h, R(on=D(2026, 2, 1), value=Decimal(250)))
    with pytest.raises(meters.MeterError) as err:
        meters.check_new(h, R(on=D(2026, 2, 1), value=Decimal(450)))
    assert err.value.code == "higher"
    with pytest.raises(meters.MeterError):
        meters.check_new(h, R(on=D(2026, 2, 1), value=Decimal(50)))


def test_negative_is_refused():
    with pytest.raises(meters.MeterError):
        meters.check_new([], R(on=D(2026, 1, 1), value=Decimal(-1)))


def test_totals_carry_the_old_meter_across_a_replacement():
    h = history(
        (D(2026, 1, 1), 1000, False), (D(2026, 2, 1), 1500, False), (D(2026, 2, 2), 0, True)
    )
    h += history((D(2026, 3, 1), 300, False))
    h[-1] = R(on=D(2026, 3, 1), value=Decimal(300), seq=9)
    assert [t for _d, t in meters.totals(h)] == [1000, 1500, 1500, 1800]


def test_rate_and_projection():
    h = history((D(2026, 1, 1), 0, False), (D(2026, 1, 11), 100, False))
    assert meters.daily_rate(h) == Decimal(10)
    assert meters.total_on(h, D(2026, 1, 21)) == Decimal(200)
    assert meters.total_on(h, D(2026, 1, 5)) == Decimal(0)
    assert meters.day_reaching(h, Decimal(300)) == D(2026, 1, 31)
    assert meters.day_reaching(h, Decimal(50)) == D(2026, 1, 11)
    assert meters.day_reaching(h, Decimal(105)) == D(2026, 1, 12)


def test_one_reading_gives_no_rate():
    h = history((D(2026, 1, 1), 10, False))
    assert meters.daily_rate(h) is None
    assert meters.day_reaching(h, Decimal(50)) is None
    assert meters.total_on(h, D(2026, 5, 1)) == Decimal(10)


@given(st.lists(st.integers(0, 500), min_size=1, max_size=20), st.integers(1, 400))
def test_any_accepted_sequence_has_rising_totals(steps, days):
    """Readings accepted one by one in date order give totals that never fall."""
    h: list[meters.Reading] = []
    value = 0
    for i, step in enumerate(steps):
        value += step
        new = R(on=D(2026, 1, 1) + dt.timedelta(days=i), value=Decimal(value), seq=i)
        meters.check_new(h, new)
        h.append(new)
    totals = [t for _d, t in meters.totals(h)]
    assert totals == sorted(totals)
    projected = meters.total_on(h, h[-1].on + dt.timedelta(days=days))
    assert projected is not None and projected >= totals[-1]


def test_record_reading_and_read_it_back(data, agent):
    unit = data["u1"]
    actions.unit_meter_record(
        actor=agent, unit=unit, kind="hours", value="50", read_on=D(2026, 1, 1), source="visit"
    )
    actions.unit_meter_record(
        actor=agent,
        unit=unit,
        kind="hours",
        value=Decimal("120.5"),
        read_on=D(2026, 2, 1),
        source="customer",
    )
    assert latest_meter(unit, "hours").value == Decimal("120.5")
    assert [r.value for r in meter_history(unit, "hours")] == [Decimal(50), Decimal("120.5")]
    assert latest_meter(unit, "km") is None


def test_record_refuses_a_lower_reading_and_writes_nothing(data, agent):
    unit = data["u1"]
    actions.unit_meter_record(
        actor=agent, unit=unit, kind="km", value=900, read_on=D(2026, 1, 1), source="visit"
    )
    with pytest.raises(ValidationFailed) as err:
        actions.unit_meter_record(
            actor=agent, unit=unit, kind="km", value=800, read_on=D(2026, 2, 1), source="visit"
        )
    assert "value" in err.value.errors
    assert MeterReading.objects.filter(unit=unit).count() == 1
    actions.unit_meter_record(
        actor=agent,
        unit=unit,
        kind="km",
        value=3,
        read_on=D(2026, 2, 1),
        source="visit",
        meter_replaced=True,
    )
    assert MeterReading.objects.filter(unit=unit).count() == 2


def test_record_checks_its_fields(data, agent):
    with pytest.raises(ValidationFailed) as err:
        actions.unit_meter_record(
            actor=agent,
            unit=data["u1"],
            kind="miles",
            value="x",
            read_on=D(2999, 1, 1),
            source="rumour",
        )
    assert set(err.value.errors) == {"kind", "value", "read_on", "source"}


def test_record_outside_scope_is_not_found(data, make_user, org_tree):
    tech = make_user(Role.TECHNICIAN, station=org_tree["s1"])
    with pytest.raises(ApplicationError) as err:
        actions.unit_meter_record(
            actor=tech, unit=data["u2"], kind="km", value=1, read_on=D(2026, 1, 1), source="visit"
        )
    assert err.value.status == 404
