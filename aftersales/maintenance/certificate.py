"""The acceptance certificate (验收证书) as a PDF: the order, the unit, the checklist, the
measurements, the defects fixed and the customer's signature (Chinese in STSong-Light)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from aftersales.orders import uploads

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("acc-body", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
HEAD = ParagraphStyle("acc-head", parent=BODY, fontSize=17, leading=24, alignment=1)
SECTION = ParagraphStyle("acc-section", parent=BODY, fontSize=12, leading=17, spaceBefore=8)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text if text not in (None, "") else "—")), style)


def _grid(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table([[_p(c) for c in row] for row in rows], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
            ]
        )
    )
    return table


def render(record: Any) -> bytes:
    order = record.order
    unit = order.unit
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm)
    width = A4[0] - 36 * mm
    story: list[Any] = [
        _p(_("Acceptance certificate"), HEAD),
        _p(f"{_('Certificate no.')} {record.certificate_no or '—'}"),
        Spacer(1, 4 * mm),
        _grid(
            [
                [_("Order"), order.number, _("Customer"), order.customer.name],
                [
                    _("Product"),
                    f"{unit.product_model.name} {unit.product_model.code}" if unit else "—",
                    _("Serial number"),
                    unit.serial if unit else "—",
                ],
                [
                    _("Address"),
                    order.address.line if order.address else "—",
                    _("Accepted"),
                    timezone.localtime(record.accepted_at).strftime("%Y-%m-%d %H:%M")
                    if record.accepted_at
                    else "—",
                ],
            ],
            [width * 0.15, width * 0.35, width * 0.15, width * 0.35],
        ),
        _p(_("Checklist"), SECTION),
        _grid(
            [[_("Item"), _("Result"), _("Note")]]
            + [[c["item"], "✓" if c["ok"] else "✗", c.get("note", "")] for c in record.checklist],
            [width * 0.6, width * 0.1, width * 0.3],
        ),
    ]
    if record.measurements:
        story += [
            _p(_("Measurements"), SECTION),
            _grid(
                [[_("Measurement"), pgettext("measurement", "Value")]]
                + [[m["name"], f"{m['value']} {m.get('unit', '')}"] for m in record.measurements],
                [width * 0.6, width * 0.4],
            ),
        ]
    defects = list(record.defects.select_related("order"))
    if defects:
        story += [
            _p(_("Defects fixed"), SECTION),
            _grid(
                [[_("Defect"), _("Order"), _("Status")]]
                + [[d.text, d.order.number, d.order.get_status_display()] for d in defects],
                [width * 0.6, width * 0.2, width * 0.2],
            ),
        ]
    story += [Spacer(1, 6 * mm), _p(f"{_('Accepted by the customer')}: {record.signer_name}")]
    if record.signature:
        try:
            data = uploads.open_stored(record.signature)
        except FileNotFoundError:
            data = b""
        if data:
            picture = Image(io.BytesIO(data))
            ratio = min(60 * mm / picture.imageWidth, 25 * mm / picture.imageHeight)
            picture.drawWidth = picture.imageWidth * ratio
            picture.drawHeight = picture.imageHeight * ratio
            story.append(picture)
    doc.build(story)
    return out.getvalue()
