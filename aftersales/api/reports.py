"""/api/v1/orders/{id}/report.pdf: the service report (维修单) as the staff page prints it,
for a token as for a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.core.selectors import get_visible
from aftersales.fieldwork import actions, report, selectors
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.orders import WARRANTY_LABELS

router = Router(tags=["field work"])

PDF_RESPONSE = {
    "description": "The report as a PDF.",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


def _condition_text(record: Any) -> str:
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
    """The display texts of the report (as the staff page's)."""
    return {
        "warranty": str(WARRANTY_LABELS.get(order.warranty_decision, "—")),
        "condition": _condition_text,
        "header": actions.field_settings(order.company_id).report_header,
    }


@router.get(
    "/orders/{order_id}/report.pdf",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: PDF_RESPONSE}},
)
def report_pdf(request: HttpRequest, order_id: int) -> Any:
    """The staff copy of the service report (with the internal details)."""
    require(request.user, Perm.ORDER_VIEW)
    order = get_visible(
        orders_visible_to(request.user).select_related(
            "customer", "address", "unit__product_model", "company"
        ),
        order_id,
    )
    content = report.render(selectors.report(order), report_labels(order), False)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
