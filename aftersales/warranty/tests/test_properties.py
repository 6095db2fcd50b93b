"""Properties of the engine over every rule (general, colour TV, bicycle, phone, computer,
car), with the company calendar's days off:

- a later service date never gives a better remedy (return > exchange > free repair > paid),
  unless an exchange in between restarted the period;
- more repair days never shorten a period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.warranty.engine import (
    BICYCLE,
    CAR,
    CAR_EARLY_FAILURES,
    COLOUR_TV,
    COMPUTER,
    GENERAL,
    PHONE,
    RANK,
    FaultFacts,
    Repair,
    UnitFacts,
    evaluate,
)

D = dt.date
HOLIDAYS = {D(2025, 10, d) for d in range(1, 9)} | {D(2026, 2, d) for d in range(15, 24)}


def day_off(day: dt.date) -> bool:
    return day in HOLIDAYS or day.weekday() >= 5


dates = st.dates(min_value=D(2023, 1, 1), max_value=D(2027, 12, 31))
components = st.sampled_from(
    [None, "tube", "speaker", "battery", "charger", "hard_disk", "crankshaft", "engine"]
)
systems = st.sampled_from([None, "engine", "braking", "traction_battery", "audio"])
repairs = st.lists(
    st.builds(
        Repair,
        date=dates,
        fault=st.sampled_from(["", "E1", "E2"]),
        performance=st.booleans(),
        component=components,
        system=systems,
        replaced=st.booleans(),
        serious_safety=st.booleans(),
        days_in_repair=st.floats(0, 40, allow_nan=False),
        days_waiting_parts=st.integers(0, 10),
    ),
    max_size=5,
)
faults = st.builds(
    FaultFacts,
    performance=st.booleans(),
    component=components,
    fault=st.sampled_from(["", "E1", "E2"]),
    misuse=st.booleans(),
    days_in_repair=st.floats(0, 40, allow_nan=False),
    days_waiting_parts=st.integers(0, 100),
    system=systems,
    needs_replacement=st.booleans(),
    early_failure=st.sampled_from(["", *sorted(CAR_EARLY_FAILURES)]),
    serious_safety=st.booleans(),
)
policies = st.sampled_from([GENERAL, COLOUR_TV, BICYCLE, PHONE, COMPUTER, CAR])


@settings(max_examples=400, deadline=None)
@given(
    policy=policies,
    sold=dates,
    delivered=st.integers(0, 20),
    reps=repairs,
    exchange=st.one_of(st.none(), st.integers(0, 900)),
    fault=faults,
    km=st.integers(0, 70_000),
    a=st.integers(0, 1500),
    b=st.integers(1, 500),
    calendar=st.booleans(),
)
def test_a_later_service_date_never_gives_a_better_remedy(
    policy, sold, delivered, reps, exchange, fault, km, a, b, calendar
):
    earlier = sold + dt.timedelta(days=a)
    later = earlier + dt.timedelta(days=b)
    exchanges = () if exchange is None else (sold + dt.timedelta(days=exchange),)
    unit = UnitFacts(
        invoice_date=sold,
        delivery_date=sold + dt.timedelta(days=delivered),
        mileage_km=km,
        # What happened after the earlier date is not known at it; the facts are the same.
        repairs=tuple(r for r in reps if sold <= r.date <= earlier),
        exchanges=exchanges,
    )
    off = day_off if calendar else None
    first = evaluate(
        policy, unit, fault, max(earlier, unit.delivery_date or earlier), is_day_off=off
    )
    second = evaluate(policy, unit, fault, max(later, unit.delivery_date or later), is_day_off=off)
    restarted = any(earlier < d <= later for d in exchanges)
    if not restarted:
        assert RANK[second.decision] <= RANK[first.decision], (first.rule, second.rule)


@settings(max_examples=400, deadline=None)
@given(
    policy=policies,
    sold=dates,
    reps=repairs.filter(bool),
    extra=st.integers(1, 60),
    service=st.integers(0, 1500),
    calendar=st.booleans(),
)
def test_more_repair_days_never_shorten_a_period(policy, sold, reps, extra, service, calendar):
    unit = UnitFacts(
        invoice_date=sold,
        mileage_km=1000,
        repairs=tuple(replace(r, date=max(r.date, sold)) for r in reps),
    )
    when = sold + dt.timedelta(days=service)
    off = day_off if calendar else None
    base = evaluate(policy, unit, FaultFacts(performance=False), when, is_day_off=off)
    first = unit.repairs[0]
    longer = replace(
        unit,
        repairs=(replace(first, days_in_repair=first.days_in_repair + extra), *unit.repairs[1:]),
    )
    more = evaluate(policy, longer, FaultFacts(performance=False), when, is_day_off=off)
    for key, end in base.period_ends.items():
        assert more.period_ends[key] >= end, key
