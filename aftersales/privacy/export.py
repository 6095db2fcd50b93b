"""The export of everything held about one customer (PIPL art. 45: the right to a copy), as
JSON-friendly data and as a readable workbook with one sheet per kind of record."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from aftersales.core.excel import export_cell

# (section key, sheet title, model, lookup to the customer). The sheet title is what a person
# reads in the workbook; the key is the JSON's.
SECTIONS: tuple[tuple[str, Any, str, str], ...] = (
    ("customer", _("Customer"), "customers.Customer", "pk"),
    ("contacts", _("Contacts"), "customers.Contact", "customer"),
    ("addresses", _("Addresses"), "customers.Address", "customer"),
    ("consents", _("Consents"), "customers.Consent", "customer"),
    ("units", _("Units"), "customers.InstalledUnit", "customer"),
    ("meter_readings", _("Meter readings"), "customers.MeterReading", "unit__customer"),
    ("unit_invoices", _("Purchase invoices"), "portal.UnitInvoice", "unit__customer"),
    ("contracts", _("Service contracts"), "maintenance.ServiceContract", "customer"),
    ("orders", _("Service orders"), "orders.ServiceOrder", "customer"),
    ("order_events", _("Order history"), "orders.OrderEvent", "order__customer"),
    ("order_photos", _("Order photos"), "orders.OrderAttachment", "order__customer"),
    ("visits", _("Appointments"), "dispatch.Visit", "order__customer"),
    ("service_records", _("Service records"), "fieldwork.ServiceRecord", "order__customer"),
    ("signatures", _("Signatures"), "fieldwork.Signature", "record__order__customer"),
    ("site_photos", _("Site photos"), "fieldwork.SitePhoto", "order__customer"),
    ("quotes", _("Quotes"), "fieldwork.Quote", "order__customer"),
    ("receipts", _("Receipts"), "fieldwork.Receipt", "order__customer"),
    ("acceptances", _("Acceptances"), "maintenance.AcceptanceRecord", "order__customer"),
    ("workshop_jobs", _("Workshop jobs"), "workshop.WorkshopJob", "order__customer"),
    ("workshop_photos", _("Workshop photos"), "workshop.IntakePhoto", "job__order__customer"),
    ("shipments", _("Shipments"), "workshop.Shipment", "job__order__customer"),
    ("follow_ups", _("Follow-ups"), "feedback.FollowUp", "order__customer"),
    (
        "follow_up_calls",
        _("Follow-up calls"),
        "feedback.FollowUpAttempt",
        "follow_up__order__customer",
    ),
    (
        "follow_up_results",
        _("Follow-up results"),
        "feedback.FollowUpResult",
        "follow_up__order__customer",
    ),
    ("complaints", _("Complaints"), "feedback.Complaint", "customer"),
    ("complaint_events", _("Complaint history"), "feedback.ComplaintEvent", "complaint__customer"),
    ("messages", _("Messages"), "notifications.OutboxMessage", "customer"),
    ("invoices", _("Invoices"), "billing.InvoiceRecord", "customer"),
    ("refunds", _("Refunds"), "billing.Refund", "customer"),
    ("anonymisation", _("Anonymisation"), "privacy.Anonymisation", "customer"),
)

# Internal bookkeeping that says nothing about the person and would only confuse the reader.
SKIP_FIELDS = frozenset(
    {"idempotency_key", "request_fingerprint", "code_hash", "dedupe_key", "claimed_at"}
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _rows(model: type[models.Model], lookup: str, customer: Any) -> list[dict[str, Any]]:
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in SKIP_FIELDS and f.attname not in SKIP_FIELDS
    ]
    query = model._default_manager.filter(**{lookup: customer.pk}).order_by("pk")
    return [{k: _plain(v) for k, v in row.items()} for row in query.values(*names)]


def collect(customer: Any) -> dict[str, Any]:
    """{section: [row, ...]} for every kind of record that refers to the customer."""
    data: dict[str, Any] = {"format": 1, "customer_id": customer.pk}
    for key, _title, label, lookup in SECTIONS:
        data[key] = _rows(apps.get_model(label), lookup, customer)
    return data


def to_xlsx(data: dict[str, Any]) -> bytes:
    """One sheet per kind of record that has rows; columns are the field names."""
    book = Workbook(write_only=True)
    for key, title, label, _lookup in SECTIONS:
        rows = data.get(key) or []
        if not rows:
            continue
        model = apps.get_model(label)
        sheet = book.create_sheet(title=str(title)[:31])
        columns = list(rows[0].keys())
        sheet.append([export_cell(sheet, _header(model, c)) for c in columns])
        for row in rows:
            sheet.append([export_cell(sheet, _cell(row.get(c))) for c in columns])
    if not book.worksheets:
        book.create_sheet(title=str(_("Customer")))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _header(model: type[models.Model], attname: str) -> str:
    """The field's label in the reader's language ("Order no.", not `number`)."""
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            label = str(f.verbose_name)
            # Fields without a label of their own get Django's default (the name, spaced).
            return label[:1].upper() + label[1:]
    return attname
