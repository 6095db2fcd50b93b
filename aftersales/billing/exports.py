"""Exports of settlement: the statement as xlsx and as a Chinese PDF (the STSong-Light
approach of fieldwork/report.py), and the voucher xlsx."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from aftersales.billing.models import Statement
from aftersales.billing.vouchers import HEADER, VoucherLine
from aftersales.core import clock
from aftersales.fieldwork.report import HEAD, SMALL, _grid, _p


def _line_rows(statement: Statement) -> list[list[Any]]:
    rows = []
    for line in statement.lines.select_related("order").order_by("position"):
        rows.append(
            [
                line.position,
                str(line.order) if line.order_id else "",
                line.get_kind_display(),
                line.get_fee_kind_display() if line.fee_kind else "",
                line.formula or line.reason,
                line.rule_version or "",
                line.amount,
                line.get_status_display(),
                line.final_amount,
            ]
        )
    return rows


def _headers() -> list[str]:
    return [
        _("No."),
        _("Order"),
        _("Kind"),
        _("Fee"),
        _("Formula or reason"),
        _("Rule version"),
        _("Amount"),
        _("Status"),
        _("Final amount"),
    ]


def statement_xlsx(statement: Statement) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = statement.number[:31]
    sheet.append([_("Statement"), statement.number])
    sheet.append([_("Station"), statement.station.name])
    sheet.append([_("Period"), statement.period.strftime("%Y-%m")])
    sheet.append([_("Status"), statement.get_status_display()])
    sheet.append([])
    sheet.append(_headers())
    for row in _line_rows(statement):
        sheet.append(row)
    sheet.append([])
    sheet.append(["", "", "", "", "", "", "", _("Total"), statement.total])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=statement.number,
    )
    story: list[Any] = [
        _p(_("Station settlement statement"), HEAD),
        Spacer(1, 4 * mm),
        _grid(
            [
                [_("Statement"), statement.number, _("Period"), statement.period.strftime("%Y-%m")],
                [_("Station"), statement.station.name, _("Status"), statement.get_status_display()],
            ],
            [25 * mm, 70 * mm, 25 * mm, 66 * mm],
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [_headers(), *[[str(c) for c in row] for row in _line_rows(statement)]]
    rows.append(["", "", "", "", "", "", "", _("Total"), str(statement.total)])
    story.append(
        _grid(
            rows,
            [9 * mm, 22 * mm, 20 * mm, 16 * mm, 50 * mm, 12 * mm, 18 * mm, 20 * mm, 19 * mm],
            header=True,
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        _p(
            _("Printed %(when)s. Amounts in yuan, each line rounded once half up to 2 places.")
            % {"when": clock.localtime().strftime("%Y-%m-%d %H:%M")},
            SMALL,
        )
    )
    doc.build(story)
    return buffer.getvalue()


def voucher_xlsx(lines: Sequence[VoucherLine]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "凭证"
    sheet.append(HEADER)
    for line in lines:
        sheet.append(line.as_row())
    for cell in sheet["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
