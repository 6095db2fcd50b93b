"""What a signed-in customer may read: only their own units, orders and complaints."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from aftersales.catalog.models import ProductModel
from aftersales.core.errors import NotFound
from aftersales.core.phones import mask_phone
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.feedback.models import Complaint
from aftersales.fieldwork.models import ServiceRecord
from aftersales.orders.models import OrderAttachment, ServiceOrder

# Steps of an order as the customer reads them (status reached -> text).
STEPS = {
    "registered": _("Request received"),
    "reopened": _("Request received again"),
    "triaged": _("Request checked"),
    "dispatched": _("Handed to a service station"),
    "assigned": _("Technician assigned"),
    "accepted": _("Technician confirmed"),
    "en_route": _("Technician on the way"),
    "on_site": _("Technician arrived"),
    "waiting_parts": _("Waiting for parts"),
    "waiting_customer": _("Waiting for you"),
    "completed": _("Work completed"),
    "followed_up": _("Visit rated"),
    "closed": _("Closed"),
    "cancelled": _("Cancelled"),
}


def units_of(customer_ids: list[int]) -> QuerySet[InstalledUnit]:
    return InstalledUnit.objects.filter(customer_id__in=customer_ids).select_related(
        "product_model"
    )


def orders_of(customer_ids: list[int]) -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.filter(customer_id__in=customer_ids).select_related(
        "unit__product_model", "technician"
    )


def order_of(customer_ids: list[int], pk: Any) -> ServiceOrder:
    found = orders_of(customer_ids).filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def attachment_of(customer_ids: list[int], order_pk: Any, pk: Any) -> OrderAttachment | None:
    return OrderAttachment.objects.filter(
        order__customer_id__in=customer_ids, order_id=order_pk, pk=pk
    ).first()


def complaints_of(customer_ids: list[int]) -> QuerySet[Any]:
    return Complaint.objects.filter(customer_id__in=customer_ids).select_related("order")


def complaint_of(customer_ids: list[int], pk: Any) -> Any:
    found = complaints_of(customer_ids).filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def product_models_for(customer_ids: list[int]) -> QuerySet[ProductModel]:
    """The models a customer may register: their companies' active ones."""
    companies = Customer.objects.filter(pk__in=customer_ids).values("company_id")
    return (
        ProductModel.objects.filter(category__company_id__in=companies, is_active=True)
        .select_related("category")
        .order_by("category__name", "name")
    )


def timeline(order: ServiceOrder) -> list[dict[str, Any]]:
    """The order's progress for the customer: each status reached, with the technician's name
    and the expected arrival where known (no staff notes, no internal reasons)."""
    rows = []
    for event in order.events.filter(kind__in=("created", "transition")).order_by("at", "id"):
        status = event.to_status
        if status not in STEPS:
            continue
        row: dict[str, Any] = {"at": event.at, "text": STEPS[status], "status": status}
        if event.action == "assign":
            row["detail"] = event.payload.get("technician_name", "")
        rows.append(row)
    return rows


def technician_card(order: ServiceOrder) -> dict[str, Any] | None:
    """The technician's name, masked phone and expected arrival (once assigned)."""
    tech = order.technician
    if tech is None:
        return None
    record = ServiceRecord.objects.filter(order=order).order_by("-id").first()
    return {
        "name": tech.get_full_name() or tech.username,
        "phone": mask_phone(getattr(tech, "phone", "") or ""),
        "eta": record.eta if record and record.eta and order.status == "en_route" else None,
    }
