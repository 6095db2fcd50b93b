"""A customer's personal data (PIPL) on their page: download everything held (JSON or Excel)
and remove the person on request. Thin: access, one action, answer."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.core.selectors import get_visible
from aftersales.customers.models import Customer
from aftersales.customers.selectors import customers_visible_to
from aftersales.privacy import actions
from aftersales.privacy.export import to_xlsx
from aftersales.privacy.models import Anonymisation
from aftersales.web.shortcuts import page, xlsx_response


def privacy_context(user: Any, customer: Customer) -> dict[str, Any]:
    """What the customer page shows of the personal-data duties."""
    return {
        "can_manage": has_perm(user, Perm.PERSONAL_DATA),
        "anonymisation": Anonymisation.objects.filter(customer=customer).first(),
    }


@page(Perm.PERSONAL_DATA)
def customer_personal_data(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("json", "xlsx"):
        raise Http404
    customer = get_visible(customers_visible_to(request.user), pk)
    data = actions.customer_personal_data(actor=request.user, customer=customer)
    if fmt == "xlsx":
        return xlsx_response(to_xlsx(data), f"customer-{customer.pk}.xlsx")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@require_POST
@page(Perm.PERSONAL_DATA)
def customer_anonymise(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_visible(customers_visible_to(request.user), pk)
    if request.POST.get("confirm") != "1" or not request.POST.get("reason", "").strip():
        messages.error(
            request, _("Give the reason and confirm: removing personal data cannot be undone.")
        )
        return redirect("customer-detail", pk=customer.pk)
    actions.customer_anonymise(
        actor=request.user, customer=customer, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("The customer's personal data has been removed."))
    return redirect("customer-detail", pk=customer.pk)
