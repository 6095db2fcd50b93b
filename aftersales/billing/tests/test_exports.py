"""Vouchers balance (pure, Hypothesis); the statement's PDF (Chinese) and xlsx open."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from aftersales.billing import actions, exports, selectors
from aftersales.billing.tests.conftest import NOV
from aftersales.billing.vouchers import Accounts, Settlement, unbalanced, vouchers

DAY = dt.date(2026, 12, 5)


def test_one_voucher_per_statement_numbered_per_day() -> None:
    lines = vouchers(
        [
            Settlement(DAY, "JS202611-b", "b", "北京一站", D("100.00"), credited=False),
            Settlement(DAY, "JS202611-a", "a", "上海一站", D("-30.00"), credited=True),
            Settlement(DAY + dt.timedelta(days=1), "JS202611-c", "c", "广州", D("5"), False),
        ],
        Accounts(),
    )
    assert [(v.day.day, v.number, v.line, v.account, v.debit, v.credit) for v in lines] == [
        (5, 1, 1, "2202", D("30.00"), D("0.00")),  # negative, credited: the sides swap
        (5, 1, 2, "6601", D("0.00"), D("30.00")),
        (5, 2, 1, "6601", D("100.00"), D("0.00")),
        (5, 2, 2, "1002", D("0.00"), D("100.00")),
        (6, 1, 1, "6601", D("5"), D("0.00")),
        (6, 1, 2, "1002", D("0.00"), D("5")),
    ]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),
            st.decimals(min_value=-10000, max_value=10000, places=2),
            st.booleans(),
        ),
        max_size=20,
    )
)
def test_every_voucher_balances_and_each_line_is_debit_or_credit(rows: list[Any]) -> None:
    settlements = [
        Settlement(DAY + dt.timedelta(days=d), f"S{i}", "s", "站", amount, credited)
        for i, (d, amount, credited) in enumerate(rows)
    ]
    lines = vouchers(settlements, Accounts())
    assert unbalanced(lines) == []
    assert all((line.debit == 0) != (line.credit == 0) for line in lines)


@pytest.mark.django_db
def test_statement_pdf_and_xlsx_and_voucher_export_open(
    month: dict[str, Any], completed: Any, people: dict[str, Any]
) -> None:
    finance = month["finance"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    statement = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=statement.pk)
    actions.statement_confirm(actor=people["station_manager"], statement_id=statement.pk)
    actions.statement_approve(actor=finance, statement_id=statement.pk)
    actions.statement_pay(actor=finance, statement_id=statement.pk)
    statement.refresh_from_db()
    with override("zh-hans"):
        pdf = exports.statement_pdf(statement)
        xlsx = exports.statement_xlsx(statement)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert statement.number in text and "上海一站" in text and "98.00" in text
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "JS202611-sh-1" in values and 98.0 in values
    today = dt.date.today()
    lines = selectors.voucher_lines(
        finance, today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    )
    assert unbalanced(lines) == [] and len(lines) == 2
    book = load_workbook(io.BytesIO(exports.voucher_xlsx(lines))).active
    rows = list(book.iter_rows(values_only=True))
    assert rows[0][0] == "凭证日期"
    assert (
        sum(D(str(r[6] or 0)) for r in rows[1:])
        == sum(D(str(r[7] or 0)) for r in rows[1:])
        == D("98.00")
    )
