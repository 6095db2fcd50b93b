"""Reads of the work on site, always through the order's scope (`orders_visible_to`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.catalog.models import FaultCode
from aftersales.core import clock
from aftersales.core.errors import NotFound
from aftersales.dispatch.models import Visit
from aftersales.fieldwork import rules
from aftersales.fieldwork.choices import QuoteStatus
from aftersales.fieldwork.models import FeeItem, FieldSettings, ServiceRecord, Signature, SitePhoto
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import MoveKind, ReservationStatus
from aftersales.parts.models import Reservation, StockLevel, StockMove


def my_visits(user: Any, day: dt.date) -> QuerySet[Visit]:
    """A technician's live visits of a day, in route order, with what the list shows."""
    return (
        Visit.objects.filter(technician=user, day=day, ended_at__isnull=True)
        .filter(order__in=orders_visible_to(user).filter(technician=user))
        .select_related(
            "order__customer", "order__address", "order__unit__product_model", "order__fault_code"
        )
        .order_by("sequence", "planned_start", "id")
    )


def van_stock(user: Any) -> list[Any]:
    """What is on the technician's van (parts with stock on hand)."""

    return list(
        StockLevel.objects.filter(
            warehouse__technician=user, warehouse__is_active=True, on_hand__gt=0
        )
        .select_related("part")
        .order_by("part__code")
    )


def reserved_parts(order_ids: list[int]) -> dict[int, list[Any]]:
    """Active reservations per order (the parts kept for each visit)."""

    out: dict[int, list[Any]] = {}
    rows = Reservation.objects.filter(
        order_id__in=order_ids, status=ReservationStatus.ACTIVE
    ).select_related("part")
    for row in rows:
        out.setdefault(row.order_id, []).append(row)
    return out


def records_of(order: ServiceOrder) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.filter(order=order)
        .select_related("technician")
        .prefetch_related("fault_codes", "photos", "signatures", "quotes__lines", "quotes__receipt")
        .order_by("id")
    )


def fault_codes_for(order: ServiceOrder) -> QuerySet[Any]:
    """The fault codes of the order's unit's category (none without a unit)."""

    if order.unit is None:
        return FaultCode.objects.none()
    return FaultCode.objects.filter(category_id=order.unit.product_model.category_id).order_by(
        "code"
    )


def fee_schedule(company_id: int) -> QuerySet[FeeItem]:
    return FeeItem.objects.filter(company_id=company_id, is_active=True)


def photo_of(user: Any, order_id: int, photo_id: int) -> SitePhoto | None:
    order = orders_visible_to(user).filter(pk=order_id).first()
    return SitePhoto.objects.filter(order=order, pk=photo_id).first() if order else None


def signature_of(user: Any, order_id: int, signature_id: int) -> Signature | None:
    order = orders_visible_to(user).filter(pk=order_id).first()
    if order is None:
        return None
    return Signature.objects.filter(record__order=order, pk=signature_id).first()


def parts_fitted(order_id: int) -> list[dict[str, Any]]:
    """Each part issued to the order (net of what came back), with its new and old serial."""

    rows: list[dict[str, Any]] = []
    returned: dict[int, int] = {}
    moves = (
        StockMove.objects.filter(order_id=order_id, kind__in=(MoveKind.ISSUE, MoveKind.RETURN))
        .select_related("part")
        .order_by("id")
    )
    for m in moves:
        if m.kind == MoveKind.RETURN:
            returned[m.part_id] = returned.get(m.part_id, 0) + m.quantity
        else:
            rows.append(
                {
                    "part": m.part,
                    "quantity": -m.quantity,
                    "serial": m.serial,
                    "old_serial": m.old_serial,
                    "at": m.at,
                }
            )
    for row in rows:  # returns cancel the earliest issues of the part first
        back = min(returned.get(row["part"].pk, 0), row["quantity"])
        row["quantity"] -= back
        returned[row["part"].pk] = returned.get(row["part"].pk, 0) - back
    return [r for r in rows if r["quantity"] > 0]


def report(order: ServiceOrder) -> dict[str, Any]:
    """Everything the service report (维修单) shows, for the page and the PDF alike."""
    records = list(records_of(order))
    quotes = [q for r in records for q in r.quotes.all() if q.status != QuoteStatus.VOID]
    receipts = [q.receipt for q in quotes if hasattr(q, "receipt")]
    used = parts_fitted(order.pk)
    return {
        "order": order,
        "company": order.company,
        "records": records,
        "quotes": quotes,
        "receipts": receipts,
        "parts": used,
        "charged": sum((q.total for q in quotes), Decimal(0)),
    }


REPORT_SALT = "aftersales.fieldwork.report"


def field_settings(company_id: int) -> FieldSettings:
    """The company's settings, or the defaults (unsaved) until someone changes them."""
    found = FieldSettings.objects.filter(company_id=company_id).first()
    return found or FieldSettings(company_id=company_id)


def open_record(order: ServiceOrder) -> ServiceRecord | None:
    return ServiceRecord.objects.filter(order=order, finished_at__isnull=True).first()


def still_missing(record: ServiceRecord) -> list[str]:
    """What the open record still lacks before the visit can be finished, besides the result
    and the signature that come with the finish itself (codes, in the page's order)."""
    facts = finish_facts(record, "fixed", "", signed=True)
    return [m for m in rules.finish_missing(facts) if m not in ("result", "signature")]


def finish_facts(
    record: ServiceRecord, result: str, result_note: str, signed: bool
) -> rules.FinishFacts:
    quote = record.live_quote()
    issued = -sum(
        StockMove.objects.filter(
            order=record.order, kind__in=(MoveKind.ISSUE, MoveKind.RETURN)
        ).values_list("quantity", flat=True)
    )
    return rules.FinishFacts(
        condition_checked=record.condition_at is not None,
        diagnosis=record.diagnosis,
        cause=record.cause,
        result=result,
        result_note=result_note,
        signed=signed,
        parts_issued=issued,
        quote_status=quote.status if quote else "",
        quote_total=quote.total if quote else Decimal(0),
    )


def report_token(order: ServiceOrder) -> str:
    return signing.dumps({"o": order.pk, "c": order.customer_id}, salt=REPORT_SALT)


def customer_report_path(order: ServiceOrder) -> str:
    return reverse("service-report-customer", kwargs={"token": report_token(order)})


def order_for_report_token(token: str) -> ServiceOrder:
    """The order a customer's report link names, while it is valid (NotFound otherwise)."""
    try:
        data = signing.loads(token, salt=REPORT_SALT)
    except signing.BadSignature:
        raise NotFound("not_found", _("This link is not valid.")) from None
    order = ServiceOrder.objects.filter(pk=data.get("o"), customer_id=data.get("c")).first()
    if order is None:
        raise NotFound("not_found", _("This link is not valid."))
    days = field_settings(order.company_id).customer_link_days
    finished = order.completed_at or order.created_at
    if clock.now() - finished > dt.timedelta(days=days):
        raise NotFound("link_expired", _("This link has expired; ask us for a new copy."))
    return order
