"""/api/v1/customers/{id}/personal-data and /anonymise (PIPL): the export of everything held
about a customer, and the removal of the person on request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from aftersales.accounts.http import AuthedRequest
from aftersales.api.customers import ERRORS
from aftersales.core.selectors import get_visible
from aftersales.customers.selectors import customers_visible_to
from aftersales.privacy import actions

router = Router(tags=["customers"])


class AnonymiseIn(Schema):
    reason: str


class AnonymisationOut(Schema):
    customer_id: int
    kind: str
    at: dt.datetime
    reason: str
    cleared: dict[str, int]


@router.get("/customers/{customer_id}/personal-data", response={200: dict[str, Any], **ERRORS})
def customer_personal_data(request: AuthedRequest, customer_id: int) -> Any:
    """Every record held about the customer, by kind (audited)."""
    customer = get_visible(customers_visible_to(request.user), customer_id)
    return actions.customer_personal_data(actor=request.user, customer=customer)


@router.post("/customers/{customer_id}/anonymise", response={200: AnonymisationOut, **ERRORS})
def customer_anonymise(request: AuthedRequest, customer_id: int, payload: AnonymiseIn) -> Any:
    """Remove the person from the records (irreversible; 409 when already done)."""
    customer = get_visible(customers_visible_to(request.user), customer_id)
    return actions.customer_anonymise(actor=request.user, customer=customer, reason=payload.reason)
