"""The service report (维修单) as a PDF: the same facts as the printable page, Chinese set in
the PDF standard's Chinese font (STSong-Light, which every PDF reader supplies), photos and
signatures embedded."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from aftersales.catalog.selectors import component_names
from aftersales.core import clock
from aftersales.fieldwork.selectors import field_settings, report
from aftersales.orders import uploads
from aftersales.warranty.explain import DECISIONS, explain

# Functions (taking the order) that add a section to the report, as plain data or None:
# {"title": str, "rows": [[header...], [cells...], ...], "widths": [fractions of the width],
#  "note": str}. Higher apps (maintenance: the planned service's checklist) register theirs in
# `AppConfig.ready()`.
REPORT_SECTIONS: list[Any] = []

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=11, textColor=colors.grey)
HEAD = ParagraphStyle("head", parent=BODY, fontSize=16, leading=22, alignment=1)
SECTION = ParagraphStyle("section", parent=BODY, fontSize=11.5, leading=16, spaceBefore=6)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:

    return Paragraph(
        escape(str(text if text not in (None, "") else "—")).replace("\n", "<br/>"), style
    )


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _grid(rows: list[list[Any]], widths: list[float], header: bool = False) -> Table:
    table = Table(
        [[c if isinstance(c, Flowable) else _p(c) for c in row] for row in rows],
        colWidths=widths,
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)))
    table.setStyle(TableStyle(style))
    return table


def _picture(stored_name: str, width: float, height: float) -> Image | None:
    try:
        data = uploads.open_stored(stored_name)
    except FileNotFoundError:
        return None
    picture = Image(io.BytesIO(data))
    ratio = min(width / picture.imageWidth, height / picture.imageHeight)
    picture.drawWidth, picture.drawHeight = picture.imageWidth * ratio, picture.imageHeight * ratio
    return picture


def warranty_lines(explained: dict[str, Any]) -> list[Any]:
    """The 三包 decision as the report prints it: decision and reason, the clause, the options,
    then the dates and counts it used (from warranty.explain, in the reader's language)."""
    lines = [_p(f"{explained['decision']}: {explained['reason']}")]
    if explained.get("clause"):
        lines.append(_p(f"{_('Rule')}: {explained['clause']}", SMALL))
    if explained.get("options"):
        lines.append(
            _p(f"{_('The customer may choose:')} {' / '.join(explained['options'])}", SMALL)
        )
    facts = [*explained.get("periods", []), *explained.get("facts", [])]
    if facts:
        lines.append(_p(" | ".join(f"{label}: {value}" for label, value in facts), SMALL))
    for warning in explained.get("warnings", []):
        lines.append(_p(warning, SMALL))
    return lines


def render(data: dict[str, Any], labels: dict[str, Any], customer_copy: bool) -> bytes:
    """The PDF bytes of a report (`data` from selectors.report, `labels` the display texts
    the page uses too)."""
    order, company = data["order"], data["company"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{_('Service report')} {order.number}",
        author=company.name,
    )
    full = doc.width
    story: list[Any] = [_p(company.name, HEAD)]
    header = [company.address, company.hotline and f"{_('Service hotline')}: {company.hotline}"]
    header += (labels.get("header") or "").splitlines()
    if any(header):
        story.append(_p(" | ".join(h for h in header if h), SMALL))
    title = _("Service report (维修单)") + (f" | {_('Customer copy')}" if customer_copy else "")
    story += [Spacer(1, 3 * mm), _p(title, SECTION)]
    unit = order.unit
    story.append(
        _grid(
            [
                [_("Order no."), order.number, _("Status"), order.get_status_display()],
                [_("Customer"), order.customer.name, _("Phone"), order.customer.masked_phone],
                [
                    _("Address"),
                    order.address.line if order.address else "",
                    _("Service type"),
                    order.get_service_type_display(),
                ],
                [
                    _("Product"),
                    f"{unit.product_model.name} {unit.product_model.code}" if unit else "",
                    _("Serial number"),
                    unit.serial if unit else "",
                ],
                [_("Fault"), order.fault_description, _("Warranty decision"), labels["warranty"]],
                [_("Reported"), _when(order.created_at), _("Completed"), _when(order.completed_at)],
            ],
            [full * 0.15, full * 0.35, full * 0.15, full * 0.35],
        )
    )
    explained = labels.get("warranty_explained")
    if explained:
        story += [Spacer(1, 2 * mm), _p(_("Warranty (三包)"), SECTION)]
        story += warranty_lines(explained)
    for i, record in enumerate(data["records"], start=1):
        story += [Spacer(1, 3 * mm), _p(f"{_('Visit')} {i}", SECTION)]
        condition = labels["condition"](record)
        story.append(
            _grid(
                [
                    [
                        _("Technician"),
                        record.technician.get_full_name() or record.technician.username,
                        _("Checked in"),
                        _when(record.arrived_at),
                    ],
                    [
                        _("Condition before work"),
                        condition,
                        _("Finished"),
                        _when(record.finished_at),
                    ],
                    [
                        _("Diagnosis"),
                        record.diagnosis,
                        _("Fault codes"),
                        ", ".join(f"{c.code} {c.symptom}" for c in record.fault_codes.all()),
                    ],
                    [
                        _("Cause"),
                        record.get_cause_display(),
                        _("Result"),
                        record.get_result_display(),
                    ],
                    [
                        _("Work done"),
                        record.work_done,
                        _("Customer's rating"),
                        f"{record.rating} / 5" if record.rating else "",
                    ],
                    [
                        _("Taken to the workshop"),
                        record.workshop_note if record.taken_to_workshop else _("No"),
                        _("Note"),
                        record.result_note,
                    ],
                ],
                [full * 0.15, full * 0.35, full * 0.15, full * 0.35],
            )
        )
        photos = [
            p
            for p in (_picture(ph.stored_name, 40 * mm, 30 * mm) for ph in record.photos.all())
            if p
        ]
        if photos:
            story += [Spacer(1, 2 * mm), _p(_("Photos"), BODY)]
            rows = [photos[k : k + 4] for k in range(0, len(photos), 4)]
            story.append(Table(rows, colWidths=[full / 4] * 4, hAlign="LEFT"))
        signed = []
        for sig in record.signatures.all():
            pic = _picture(sig.stored_name, 45 * mm, 18 * mm)
            if pic:
                signed.append(
                    [
                        _p(
                            f"{sig.get_purpose_display()} | {sig.signer_name} | {_when(sig.signed_at)}"
                        ),
                        pic,
                    ]
                )
        if signed:
            story += [Spacer(1, 2 * mm), _grid(signed, [full * 0.55, full * 0.45])]
    for hook in REPORT_SECTIONS:
        section = hook(order)
        if section:
            story += [Spacer(1, 3 * mm), _p(section["title"], SECTION)]
            widths = [full * w for w in section["widths"]]
            story.append(_grid(section["rows"], widths, header=True))
            if section.get("note"):
                story.append(_p(section["note"]))
    if data["parts"]:
        story += [Spacer(1, 3 * mm), _p(_("Parts used"), SECTION)]
        rows = [[_("Part"), _("Quantity"), _("New / old serial")]]
        for row in data["parts"]:
            serials = f"{row['serial'] or '—'} / {row['old_serial'] or '—'}"
            rows.append([f"{row['part'].name} ({row['part'].code})", row["quantity"], serials])
        story.append(_grid(rows, [full * 0.5, full * 0.15, full * 0.35], header=True))
    if data["quotes"]:
        story += [Spacer(1, 3 * mm), _p(_("Charges"), SECTION)]
        rows = [[_("Item"), _("Quantity"), _("Unit price"), _("Amount")]]
        for quote in data["quotes"]:
            for line in quote.lines.all():
                rows.append(
                    [line.description, line.quantity, f"¥{line.unit_price}", f"¥{line.amount}"]
                )
            rows.append(
                [
                    _("Total") + (f" ({quote.reason})" if quote.reason else ""),
                    "",
                    "",
                    f"¥{quote.total}",
                ]
            )
        story.append(_grid(rows, [full * 0.5, full * 0.15, full * 0.15, full * 0.2], header=True))
        for receipt in data["receipts"]:
            story.append(
                _p(
                    f"{_('Receipt no.')} {receipt.number} | ¥{receipt.amount} | "
                    f"{receipt.get_method_display()} {receipt.reference} | {_when(receipt.paid_at)}"
                )
            )
    story += [Spacer(1, 4 * mm), _p(_("Printed %(t)s") % {"t": _when(clock.now())}, SMALL)]
    doc.build(story)
    return out.getvalue()


# What the staff page, the customer's link and the API share ---------------------------------


def condition_text(record: Any) -> str:
    """The condition check of a visit in words ('' before it was signed)."""
    if record.condition_at is None:
        return ""
    parts = [
        _("complete") if record.condition_complete else _("not complete"),
        _("signs of tampering") if record.condition_tampered else _("no signs of tampering"),
    ]
    if record.condition_notes:
        parts.append(record.condition_notes)
    return "; ".join(parts)


def report_labels(order: Any) -> dict[str, Any]:
    """The display texts of the report, in the current language."""
    decision = order.warranty_decision
    return {
        "warranty": str(DECISIONS.get(decision, "—")),
        "warranty_explained": explain(
            decision,
            order.warranty_detail,
            component_names(order.unit_id, order.warranty_detail or {}),
        )
        if decision
        else None,
        "condition": condition_text,
        "header": field_settings(order.company_id).report_header,
    }


def pdf_response(order: Any, *, customer_copy: bool) -> HttpResponse:
    """The report of `order` as an inline PDF answer (never cached: it holds personal data)."""
    content = render(report(order), report_labels(order), customer_copy)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
