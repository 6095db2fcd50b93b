"""The workshop receipt (受理单) as a PDF: who brought which unit in when, its condition,
accessories and photos, the data-backup acknowledgement, the customer's signature, the
warranty decision on the brought-in date, and how to collect it. The pickup code itself is
never printed from the database (only its digest is kept); it is on the intake message and
on the slip shown at the counter once."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from aftersales.fieldwork.report import HEAD, SECTION, SMALL, _grid, _p, _picture, _when


def render(job: Any, *, warranty_label: str, customer_copy: bool) -> bytes:
    order = job.order
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A5,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"{_('Workshop receipt')} {order.number}",
    )
    width = A5[0] - 20 * mm
    unit = order.unit
    story: list[Any] = [
        _p(_("Workshop receipt"), HEAD),
        _p(_("Customer copy") if customer_copy else _("Workshop copy"), SMALL),
        Spacer(1, 3 * mm),
        _grid(
            [
                [_("Order no."), order.number, _("Brought in"), _when(job.received_at)],
                [_("Station"), job.station.name, _("How it came"), job.get_route_display()],
                [_("Customer"), order.customer.name, _("Phone"), order.customer.phone],
                [
                    pgettext("installed unit", "Unit"),
                    f"{unit.product_model.name} {unit.serial}" if unit else "—",
                    _("Warranty"),
                    warranty_label,
                ],
                [_("Fault"), order.fault_description, _("Return"), job.get_return_method_display()],
            ],
            [width * 0.16, width * 0.34, width * 0.16, width * 0.34],
        ),
        _p(_("Condition and accessories"), SECTION),
        _grid(
            [
                [_("Condition"), job.condition],
                [_("Accessories"), "、".join(job.accessories or []) or _("none")],
                [
                    _("Data"),
                    _("The customer confirms the data is backed up or may be lost.")
                    if job.has_data
                    else _("The unit holds no customer data."),
                ],
            ],
            [width * 0.2, width * 0.8],
        ),
    ]
    pictures = [
        p for p in (_picture(ph.stored_name, 38 * mm, 30 * mm) for ph in job.photos.all()) if p
    ]
    if pictures:
        story += [Spacer(1, 2 * mm), _grid([pictures[:3]], [width / 3] * len(pictures[:3]))]
    story += [
        _p(_("How to collect"), SECTION),
        _p(
            _(
                "Bring the pickup code sent to you by message, or your ID document. A unit not "
                "collected within the days set by the station is reminded; paid work is paid "
                "at pickup."
            )
        ),
        Spacer(1, 3 * mm),
    ]
    signature = _picture(job.intake_signature, 45 * mm, 18 * mm) if job.intake_signature else None
    story.append(
        _grid(
            [[_("Customer's signature"), signature or "—", _("Signed by"), job.intake_signed_by]],
            [width * 0.2, width * 0.4, width * 0.15, width * 0.25],
        )
    )
    doc.build(story)
    return out.getvalue()
