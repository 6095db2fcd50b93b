"""Accounting vouchers (记账凭证) for settled statements, in the shape 用友 U8 and 金蝶 import
from xlsx: one voucher per date, voucher type and number; each line has a debit or a credit,
never both; every voucher balances. A pure core: plain data in, plain rows out."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Settlement:
    day: dt.date
    statement_number: str
    station_code: str
    station_name: str
    amount: Decimal
    credited: bool  # credited to the station's account rather than paid from the bank


@dataclass(frozen=True)
class Accounts:
    voucher_type: str = "记"
    expense: str = "6601"  # 销售费用-售后服务费
    payable: str = "2202"  # 应付账款 (the station)
    bank: str = "1002"  # 银行存款


@dataclass(frozen=True)
class VoucherLine:
    day: dt.date
    voucher_type: str
    number: int
    line: int
    summary: str
    account: str
    debit: Decimal
    credit: Decimal
    partner: str  # auxiliary accounting: the station's code

    def as_row(self) -> list[object]:
        return [
            self.day,
            self.voucher_type,
            self.number,
            self.line,
            self.summary,
            self.account,
            self.debit if self.debit else None,
            self.credit if self.credit else None,
            self.partner,
        ]


HEADER = [
    "凭证日期",
    "凭证类别",
    "凭证号",
    "分录号",
    "摘要",
    "科目编码",
    "借方金额",
    "贷方金额",
    "往来单位",
]


def vouchers(settlements: Iterable[Settlement], accounts: Accounts) -> list[VoucherLine]:
    """One voucher per settled statement, numbered from 1 within each date (and type):
    debit the service-fee expense, credit the bank (paid) or the station's payable
    (credited). A negative statement (deductions over fees) swaps the sides."""
    by_day: dict[dt.date, list[Settlement]] = defaultdict(list)
    for s in settlements:
        if s.amount != 0:
            by_day[s.day].append(s)
    out: list[VoucherLine] = []
    for day in sorted(by_day):
        for number, s in enumerate(sorted(by_day[day], key=lambda s: s.statement_number), start=1):
            amount = abs(s.amount)
            summary = f"{s.station_name} 结算单 {s.statement_number}"
            other = accounts.payable if s.credited else accounts.bank
            debit_account, credit_account = (
                (accounts.expense, other) if s.amount > 0 else (other, accounts.expense)
            )
            out.append(
                VoucherLine(
                    day,
                    accounts.voucher_type,
                    number,
                    1,
                    summary,
                    debit_account,
                    amount,
                    ZERO,
                    s.station_code,
                )
            )
            out.append(
                VoucherLine(
                    day,
                    accounts.voucher_type,
                    number,
                    2,
                    summary,
                    credit_account,
                    ZERO,
                    amount,
                    s.station_code,
                )
            )
    return out


def unbalanced(lines: Sequence[VoucherLine]) -> list[tuple[dt.date, str, int]]:
    """The vouchers whose debits and credits differ (none, when built by `vouchers`)."""
    sums: dict[tuple[dt.date, str, int], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        sums[(line.day, line.voucher_type, line.number)] += line.debit - line.credit
    return [key for key, diff in sums.items() if diff != 0]
