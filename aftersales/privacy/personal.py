"""Where a customer's personal data is held, in one table, for the export and the
anonymisation alike (PIPL, 个人信息保护法).

Each entry names a model, the lookup from it to the customer, the text fields that identify or
locate the person (cleared on anonymisation), the number fields likewise (set to null), and the
fields holding a stored upload's name whose file is a person's mark (a handwritten signature, a
purchase invoice with their name): the file is deleted, the row and its facts stay.

What is NOT personal and stays: orders and their events, statuses, dates, units and serial
numbers, fault descriptions, quotes, receipts and amounts, warranty decisions, site photos of
the unit, consents (the proof that consent was given or withdrawn). Free text that staff typed
(a complaint's description, a follow-up note) is the company's record: it stays, with the
person's former values masked in it (`redact.py`). History rows (events, audit) carry no
personal values of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from aftersales.orders.uploads import PREFIX

# What a cleared name or address line reads: the customer's number, nothing about the person.
MARKER = "#{pk}"


@dataclass(frozen=True)
class Holding:
    model: str  # "app_label.ModelName"
    to_customer: str  # lookup from the model to the customer ("pk" for Customer itself)
    text: tuple[str, ...] = ()  # cleared to "" (or to MARKER when listed in `marked`)
    numbers: tuple[str, ...] = ()  # set to null
    files: tuple[str, ...] = ()  # stored upload names whose files are deleted
    marked: tuple[str, ...] = ()  # text fields that read MARKER instead of "" (required)
    delete_rows: bool = False  # rows that exist only to reach the person (contacts, codes)
    person_only: bool = False  # only for a private person (an invoice title of a company stays)

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def rows(self, customer: Any) -> models.QuerySet[Any]:
        manager = self.model_class()._default_manager
        if self.to_customer == "pk":
            return manager.filter(pk=customer.pk)
        return manager.filter(**{self.to_customer: customer})


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        "customers.Customer",
        "pk",
        text=("name", "phone", "email", "notes", "notify_channel"),
        marked=("name",),
    ),
    Holding("customers.Contact", "customer", text=("name", "phone", "title"), delete_rows=True),
    Holding(
        "customers.Address",
        "customer",
        text=("line", "postcode"),
        numbers=("latitude", "longitude"),
        marked=("line",),
    ),
    Holding("fieldwork.ServiceRecord", "order__customer", numbers=("latitude", "longitude")),
    Holding(
        "fieldwork.Signature",
        "record__order__customer",
        text=("signer_name",),
        files=("stored_name",),
    ),
    Holding(
        "maintenance.AcceptanceRecord",
        "order__customer",
        text=("signer_name",),
        files=("signature",),
    ),
    Holding(
        "workshop.WorkshopJob",
        "order__customer",
        text=("intake_signed_by", "picked_up_by", "pickup_id_document", "return_address"),
        files=("intake_signature", "pickup_signature"),
    ),
    Holding("workshop.QueueTicket", "job__order__customer", text=("phone",)),
    Holding("portal.UnitInvoice", "unit__customer", files=("stored_name",)),
    Holding("billing.InvoiceRecord", "customer", text=("title",), person_only=True),
    Holding("notifications.OutboxMessage", "customer", text=("body",)),
)


def field_value(row: models.Model, name: str) -> Any:
    return getattr(row, name)


def personal_values(customer: Any) -> dict[str, list[str]]:
    """Every personal value held about the customer, by `model.field`: texts other than the
    marker, numbers, and stored files that still exist (empty after an anonymisation)."""
    out: dict[str, list[str]] = {}
    for holding in HOLDINGS:
        if holding.person_only and customer.kind != "person":
            continue
        for row in holding.rows(customer):
            for name in (*holding.text, *holding.numbers, *holding.files):
                value = field_value(row, name)
                if value in (None, ""):
                    continue
                if name in holding.marked and value == MARKER.format(pk=row.pk):
                    continue
                if name in holding.files and not default_storage.exists(f"{PREFIX}/{value}"):
                    continue
                out.setdefault(f"{holding.model}.{name}", []).append(str(value))
    return out
