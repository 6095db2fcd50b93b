"""Exactly once on PostgreSQL: approvals and payments at once, a crash inside the payment,
and the station ledger refusing UPDATE/DELETE in the database itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from aftersales.billing import actions, selectors
from aftersales.billing.models import LedgerEntry, Payout, Statement, StatementEvent
from aftersales.billing.tests.conftest import NOV

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def confirmed(month: dict[str, Any], completed: Any, people: dict[str, Any]) -> Statement:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    finance = month["finance"]
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=st.pk)
    actions.statement_confirm(actor=people["station_manager"], statement_id=st.pk)
    return st


def test_two_approvals_and_two_payments_at_once_pay_once(
    confirmed: Statement, month: dict[str, Any], race: Any
) -> None:
    finance = month["finance"]

    def approve_then_pay(_i: int) -> Any:
        actions.statement_approve(actor=finance, statement_id=confirmed.pk)
        return actions.statement_pay(actor=finance, statement_id=confirmed.pk).pk

    results = race(2, approve_then_pay)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert Payout.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert selectors.account_balance(month["station"].pk) == D("98.00")
    actions_done = Counter(
        StatementEvent.objects.filter(statement=confirmed).values_list("action", flat=True)
    )
    assert actions_done["approve"] == 1 and actions_done["pay"] == 1


def test_four_payments_at_once_after_one_approval(
    confirmed: Statement, month: dict[str, Any], race: Any
) -> None:
    finance = month["finance"]
    actions.statement_approve(actor=finance, statement_id=confirmed.pk)
    results = race(4, lambda _i: actions.statement_pay(actor=finance, statement_id=confirmed.pk).pk)
    assert len(set(results)) == 1, results
    assert Payout.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_a_crash_between_paid_and_the_ledger_row_leaves_both_or_neither(
    confirmed: Statement, month: dict[str, Any], monkeypatch: Any
) -> None:
    finance = month["finance"]
    actions.statement_approve(actor=finance, statement_id=confirmed.pk)

    def crash(**_kw: Any) -> None:
        # The status is already "paid" in this transaction when the crash comes.
        assert Statement.objects.get(pk=confirmed.pk).status == "paid"
        raise RuntimeError("worker killed")

    monkeypatch.setattr(actions, "_post_ledger", crash)
    with pytest.raises(RuntimeError):
        actions.statement_pay(actor=finance, statement_id=confirmed.pk)
    # Another connection's view: nothing of the payment was committed.
    assert Statement.objects.get(pk=confirmed.pk).status == "approved"
    assert Payout.objects.count() == 0 and LedgerEntry.objects.count() == 0
    monkeypatch.undo()
    actions.statement_pay(actor=finance, statement_id=confirmed.pk)
    assert Statement.objects.get(pk=confirmed.pk).status == "paid"
    assert Payout.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_the_ledger_refuses_update_and_delete_in_the_database(
    confirmed: Statement, month: dict[str, Any]
) -> None:
    finance = month["finance"]
    actions.statement_approve(actor=finance, statement_id=confirmed.pk)
    actions.statement_pay(actor=finance, statement_id=confirmed.pk)
    table = LedgerEntry._meta.db_table
    for sql in (f"UPDATE {table} SET amount = 0", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert LedgerEntry.objects.get().amount == D("98.00")


def test_two_generations_at_once_make_one_statement(
    month: dict[str, Any], completed: Any, race: Any
) -> None:
    from aftersales.billing.models import StatementOrder

    completed(dt.datetime(2026, 11, 10, 10, 0))
    finance = month["finance"]
    results = race(
        2,
        lambda _i: (
            actions.statement_generate(actor=finance, station=month["station"], period=NOV).pk
        ),
    )
    assert Statement.objects.count() == 1 and StatementOrder.objects.count() == 1
    only = Statement.objects.get().pk
    assert set(results) <= {only, "generation_in_progress"}, results


def test_two_month_end_runs_at_once_make_one_statement_per_station(
    month: dict[str, Any], completed: Any, race: Any
) -> None:
    from aftersales.accounts.models import Station
    from aftersales.core import clock

    completed(dt.datetime(2026, 11, 10, 10, 0))
    moment = dt.datetime(2026, 12, 1, 1, 20, tzinfo=dt.UTC)

    def run(_i: int) -> list[int]:
        with clock.at(moment):
            return [s.station_id for s in actions.statements_month_end()]

    results = race(2, run)
    stations = set(Station.objects.filter(is_active=True).values_list("id", flat=True))
    made = [sid for r in results for sid in r]
    assert sorted(made) == sorted(stations)  # each station by exactly one of the runs
    assert Statement.objects.filter(period=NOV).count() == len(stations)
    assert StatementEvent.objects.filter(action="generate").count() == len(stations)
