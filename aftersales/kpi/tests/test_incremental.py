"""The incremental job looks only at the orders with new events and those whose watch time
(a due time passing) came since the last run, and still equals a rebuild: a late event
corrects its earlier period, a due time passing between runs counts as missed, a run as of
a moment before the last one (backfill) falls back to every open order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.catalog.models import FaultCode
from aftersales.core import clock
from aftersales.kpi import actions, formulas, selectors
from aftersales.kpi.models import KpiWatch
from aftersales.kpi.tests.test_monthly import _monthly_table, _orders
from aftersales.kpi.tests.test_rollup import (
    BASE,
    _daily_table,
    _insert,
    faults,  # noqa: F401 (fixture)
)

D = dt.date
H = dt.timedelta(hours=1)


def _plan(start_h: int, steps: int, score: int | None = None) -> dict[str, Any]:
    return {
        "unit": None,
        "fault": 0,
        "station": "s1",
        "start_h": start_h,
        "steps": steps,
        "revisit": False,
        "cancel": False,
        "pause": False,
        "gap_h": 2,
        "score": score,
        "late": "none",
    }


def _event(at: dt.datetime, **kw: Any) -> formulas.Event:
    return formulas.Event(at=at, **kw)


def test_decides_at_is_the_next_due_time_or_window_end_of_an_open_order() -> None:
    due = {"respond": (BASE + 4 * H).isoformat(), "resolve": (BASE + 40 * H).isoformat()}
    created = _event(BASE, kind="created", to_status="registered", payload={"due": due})
    accept = _event(BASE + 2 * H, kind="transition", action="accept", to_status="accepted")
    wait = _event(BASE + 3 * H, kind="transition", action="wait_parts", to_status="waiting_parts")
    done = _event(BASE + 5 * H, kind="transition", action="complete", to_status="completed")
    rows = {
        1: formulas.OrderRow(id=1, events=(created,)),
        2: formulas.OrderRow(id=2, events=(created, accept)),
        3: formulas.OrderRow(id=3, events=(created, accept, wait)),
        4: formulas.OrderRow(id=4, events=(created, accept, done)),
    }
    got = formulas.decides_at(rows.values(), as_of=BASE + H)
    # respond due first; once accepted only resolve is open; paused and finished: never
    assert got == {1: BASE + 4 * H, 2: BASE + 40 * H}
    # a due time already passed is decided: the next one counts
    assert formulas.decides_at([rows[1]], as_of=BASE + 5 * H) == {1: BASE + 40 * H}
    assert formulas.decides_at([rows[1]], as_of=BASE + 41 * H) == {}


@pytest.mark.django_db
def test_refresh_reads_only_new_events_and_passed_watches_and_equals_a_rebuild(
    data: dict[str, Any],
    people: dict[str, Any],
    faults: list[FaultCode],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    company_id = data["company"].pk
    # 0: finished, its follow-up recorded late; 1: open, accepted (resolve due in 40 h);
    # 2: open, accepted a month later (its resolve due far away)
    plans = [_plan(0, 6, score=5), _plan(0, 3), _plan(24 * 30, 3)]
    pending = _orders(plans, data, people, faults)
    (done, done_events), (first, first_events), (later, later_events) = pending
    follow_up = [e for _l, e in done_events if e["kind"] == "follow_up"]
    _insert(done, [e for _l, e in done_events if e["kind"] != "follow_up"])
    _insert(first, [e for _l, e in first_events])
    _insert(later, [e for _l, e in later_events])
    seen: list[set[int]] = []
    real = selectors.order_rows

    def spy(company_id: int, ids: Any) -> Any:
        seen.append(set(ids))
        return real(company_id, ids)

    monkeypatch.setattr(selectors, "order_rows", spy)
    night = BASE + 12 * H
    with clock.at(night):
        actions.kpi_refresh(company_id=company_id)  # the first run: every open order
    assert seen[-1] == {done.pk, first.pk, later.pk}
    watches = dict(KpiWatch.objects.values_list("order_id", "at"))
    assert set(watches) == {first.pk, later.pk}

    # nothing new and no watch passed: no order is read again
    with clock.at(night + H):
        actions.kpi_refresh(company_id=company_id)
    assert all(not s for s in seen[1:])

    # the follow-up recorded a month later, after the first order's resolve due time passed
    _insert(done, follow_up)
    later_night = night + dt.timedelta(days=25)
    with clock.at(later_night):
        actions.kpi_refresh(company_id=company_id)
    assert seen[-1] == {done.pk, first.pk}  # the late event, the passed watch; not the third
    # the late follow-up counts in the completion's month (June), the missed due time too
    june = {
        "company_id": company_id,
        "period_from": D(2025, 6, 1),
        "period_to": D(2025, 6, 30),
    }
    sat = selectors.figures(code="satisfaction", **june)[0]
    assert (sat["numerator"], sat["denominator"]) == (1, 1)
    sla = selectors.figures(code="sla_resolve", **june)[0]
    assert (sla["numerator"], sla["denominator"]) == (1, 2)
    kept = (_daily_table(company_id), _monthly_table(company_id))
    with clock.at(later_night):
        actions.kpi_rebuild(company_id=company_id)
    assert (_daily_table(company_id), _monthly_table(company_id)) == kept

    # run twice at the same moment: nothing read, nothing changes (exactly once)
    before = len(seen)
    with clock.at(later_night):
        actions.kpi_refresh(company_id=company_id)
    assert all(not s for s in seen[before + 1 :])
    assert (_daily_table(company_id), _monthly_table(company_id)) == kept

    # a backfill run as of a moment before the last run judges every open order by it
    with clock.at(night):
        actions.kpi_refresh(company_id=company_id)
    assert {first.pk, later.pk} <= seen[-1]
    sla = selectors.figures(code="sla_resolve", **june)[0]
    assert (sla["numerator"], sla["denominator"]) == (1, 1)  # not yet missed that night
