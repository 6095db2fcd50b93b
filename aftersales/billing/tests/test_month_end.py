"""The scheduled jobs of settlement: month-end generation exactly once (repeated, after a
crash, as of a past moment) and the dispute answer deadline in working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from aftersales.billing import actions, tasks
from aftersales.billing.actions import LineDispute
from aftersales.billing.models import Statement, StatementEvent
from aftersales.billing.tests.conftest import NOV, SH
from aftersales.core import clock

pytestmark = pytest.mark.django_db

# The night after November closed (Shanghai), when the job runs.
DEC_1_NIGHT = dt.datetime(2026, 12, 1, 1, 20, tzinfo=SH)


def _stations(month: dict[str, Any]) -> list[int]:
    from aftersales.accounts.models import Station

    return list(
        Station.objects.filter(company_id=month["station"].company_id, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def test_month_end_generation_as_of_a_past_month_end_runs_once(
    month: dict[str, Any], completed: Any
) -> None:
    a = completed(dt.datetime(2026, 11, 10, 10, 0))
    completed(dt.datetime(2026, 12, 2, 10, 0))  # December: not in November's statement
    # When: the job runs as of the night after November closed (a backfill), three times.
    with clock.at(DEC_1_NIGHT):
        made = actions.statements_month_end()
        again = actions.statements_month_end()
        assert tasks.month_end_statements.call_local() == 0
    # Then: one statement per active station for November, stamped with that moment.
    assert sorted(s.station_id for s in made) == _stations(month) and again == []
    mine = Statement.objects.get(station=month["station"], period=NOV)
    assert mine.generated_at == DEC_1_NIGHT and mine.total == D("98.00")
    assert [o.order_id for o in mine.orders.all()] == [a.pk]
    events = list(StatementEvent.objects.filter(statement__period=NOV))
    assert len(events) == len(made)
    assert {(e.action, e.source, e.at, e.actor_id) for e in events} == {
        ("generate", "backfill", DEC_1_NIGHT, None)
    }
    assert all(e.payload["scheduled"] for e in events)
    # As of a day in January it makes December's, and November's stays as it was.
    with clock.at(dt.datetime(2027, 1, 3, 1, 20, tzinfo=SH)):
        dec = actions.statements_month_end()
    assert {s.period for s in dec} == {dt.date(2026, 12, 1)}
    assert StatementEvent.objects.filter(statement__period=NOV).count() == len(made)


def test_month_end_leaves_a_statement_made_by_hand(month: dict[str, Any], completed: Any) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    by_hand = actions.statement_generate(
        actor=month["finance"], station=month["station"], period=NOV
    )
    with clock.at(DEC_1_NIGHT):
        made = actions.statements_month_end()
    assert by_hand.pk not in {s.pk for s in made}
    assert [e.action for e in by_hand.events.all()] == ["generate"]


def test_a_crash_in_the_middle_leaves_whole_statements_and_the_rerun_makes_the_rest(
    month: dict[str, Any], completed: Any, monkeypatch: Any
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    stations = _stations(month)
    assert len(stations) >= 2
    real = actions._digest
    calls = {"n": 0}

    def crash_on_the_second(lines: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(lines)

    monkeypatch.setattr(actions, "_digest", crash_on_the_second)
    with clock.at(DEC_1_NIGHT), pytest.raises(RuntimeError):
        actions.statements_month_end()
    # The first station's statement is whole; nothing of the second was kept.
    assert list(Statement.objects.values_list("station_id", flat=True)) == [stations[0]]
    first = Statement.objects.get()
    assert first.lines.count() == (2 if first.station_id == month["station"].pk else 0)
    monkeypatch.undo()
    with clock.at(DEC_1_NIGHT):
        rest = actions.statements_month_end()
    assert sorted(s.station_id for s in rest) == stations[1:]
    assert StatementEvent.objects.filter(action="generate").count() == len(stations)


def test_the_answer_deadline_counts_working_days() -> None:
    from aftersales.accounts.models import Company

    company = Company.objects.create(name="测试公司", code="t-cal")
    friday = dt.datetime(2026, 11, 13, 16, 0, tzinfo=SH)
    # Two working days after a Friday: Monday and Tuesday; due at Tuesday's end.
    assert actions.answer_deadline(company.pk, friday, 2) == dt.datetime(
        2026, 11, 18, 0, 0, tzinfo=SH
    )
    assert actions.answer_deadline(company.pk, friday, 0) == dt.datetime(
        2026, 11, 14, 0, 0, tzinfo=SH
    )


def test_a_dispute_not_answered_in_time_is_accepted_as_claimed(
    month: dict[str, Any], completed: Any, people: dict[str, Any]
) -> None:
    finance, sm = month["finance"], people["station_manager"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=SH)
    with clock.at(friday - dt.timedelta(days=1)):
        st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
        actions.statement_send(actor=finance, statement_id=st.pk)
    labour, travel = st.lines.order_by("position")
    with clock.at(friday):
        actions.statement_dispute(
            actor=sm,
            statement_id=st.pk,
            disputes=[
                LineDispute(labour.pk, "工时应按2小时", "100.00"),
                LineDispute(travel.pk, "里程另算", None),
            ],
        )
    st.refresh_from_db()
    # 5 working days (default) after Friday 4 December: due at the end of Friday 11 December.
    assert st.answer_due == dt.datetime(2026, 12, 12, 0, 0, tzinfo=SH)
    # The service manager answers one line; the other is left.
    with clock.at(friday + dt.timedelta(days=1)):
        actions.statement_dispute_answer(
            actor=people["service_manager"], line_id=travel.pk, answer="rejected", reason="按导航"
        )
    with clock.at(st.answer_due - dt.timedelta(seconds=1)):
        assert actions.disputes_overdue() == 0
    with clock.at(st.answer_due):
        assert tasks.overdue_disputes.call_local() == 1
        assert actions.disputes_overdue() == 0  # once
    st.refresh_from_db()
    labour.refresh_from_db()
    assert st.status == "answered" and labour.status == "accepted"
    assert labour.final_amount == D("100.00") and st.total == D("118.00")
    overdue = st.events.get(action="answer_overdue")
    assert overdue.actor_id is None and overdue.payload["line"] == labour.pk
    assert overdue.at == st.answer_due and overdue.source == "backfill"
    assert st.events.order_by("at", "id").last().action == "answer"
    # Finance can now approve.
    actions.statement_approve(actor=finance, statement_id=st.pk)
