"""/api/v1/orders/{id}/report.pdf: the service report (维修单) as the staff page prints it,
for a token as for a session."""

from __future__ import annotations

from typing import Any

from ninja import Router

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.core.selectors import get_visible
from aftersales.fieldwork import report
from aftersales.orders.selectors import orders_visible_to

router = Router(tags=["field work"])

PDF_RESPONSE = {
    "description": "The report as a PDF.",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@router.get(
    "/orders/{order_id}/report.pdf",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: PDF_RESPONSE}},
)
def report_pdf(request: AuthedRequest, order_id: int) -> Any:
    """The staff copy of the service report (with the internal details)."""
    require(request.user, Perm.ORDER_VIEW)
    order = get_visible(
        orders_visible_to(request.user).select_related(
            "customer", "address", "unit__product_model", "company"
        ),
        order_id,
    )
    return report.pdf_response(order, customer_copy=False)
