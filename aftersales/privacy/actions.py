"""Personal-data duties (PIPL): export everything held about a customer, anonymise on request,
and anonymise customers inactive longer than the retention period (dry run first).

Every export and every anonymisation is recorded in the audit trail (no values in it)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, require
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict
from aftersales.core.validation import ValidationFailed
from aftersales.customers.models import Customer
from aftersales.orders import uploads
from aftersales.orders.choices import OPEN
from aftersales.portal.models import PortalCode
from aftersales.privacy import redact
from aftersales.privacy.export import SECTIONS, collect
from aftersales.privacy.models import Anonymisation, AnonymisationKind
from aftersales.privacy.personal import HOLDINGS, MARKER

log = logging.getLogger(__name__)


def customer_personal_data(*, actor: User, customer: Customer) -> dict[str, Any]:
    """Everything held about the customer (contacts, addresses, consents, units, orders with
    their visits, messages, follow-ups, complaints, workshop jobs, invoices, photos), as plain
    data. Audited: who exported whose data, when."""
    require(actor, Perm.PERSONAL_DATA)
    data = collect(customer)
    audit_record(
        actor=actor,
        action="customer.personal_data_export",
        obj=customer,
        changes={"records": [None, {k: len(v) for k, v in data.items() if isinstance(v, list)}]},
    )
    return data


def _anonymise(customer: Customer) -> dict[str, int]:
    cleared: dict[str, int] = {}
    phone = Customer.objects.values_list("phone", flat=True).get(pk=customer.pk)
    # Free text that mentions the person (notes, diagnoses, remarks, complaints, reasons):
    # masked first, while the former values can still be read.
    masked = redact.rewrite(
        customer,
        redact.former_values(customer),
        [(label, lookup) for _key, _title, label, lookup in SECTIONS],
    )
    cleared.update({f"{label} (text)": n for label, n in masked.items()})
    for holding in HOLDINGS:
        if holding.person_only and customer.kind != "person":
            continue
        model = holding.model_class()
        rows = list(holding.rows(customer).select_for_update().order_by("pk"))
        if not rows:
            continue
        for row in rows:
            for name in holding.files:
                stored = getattr(row, name)
                if stored:
                    _delete_upload(stored)
        if holding.delete_rows:
            model._default_manager.filter(pk__in=[r.pk for r in rows]).delete()
            cleared[holding.model] = len(rows)
            continue
        for row in rows:
            changes: dict[str, Any] = {}
            for name in holding.text:
                changes[name] = MARKER.format(pk=row.pk) if name in holding.marked else ""
            for name in holding.numbers:
                changes[name] = None
            if changes:
                model._default_manager.filter(pk=row.pk).update(**changes)
        cleared[holding.model] = len(rows)
    # Sign-in codes were sent to the phone (read before it was cleared): they go with it.
    if phone:
        PortalCode.objects.filter(phone=phone).delete()
    return cleared


def _delete_upload(name: str) -> None:
    try:
        default_storage.delete(f"{uploads.PREFIX}/{name}")
    except OSError:  # already gone: nothing to remove
        log.info("upload %s already absent", name)


@transaction.atomic
def customer_anonymise(
    *,
    actor: User | None,
    customer: Customer,
    reason: str = "",
    kind: str = "request",
) -> Anonymisation:
    """Remove the person from the records (删除个人信息): name, phones, e-mail, addresses,
    contacts, signatures, invoice photos, message texts; the orders, receipts and warranty
    records stay with their facts. Irreversible; refused twice (409)."""
    if actor is not None:
        require(actor, Perm.PERSONAL_DATA)
        if not (reason or "").strip():
            raise ValidationFailed({"reason": _("Give the reason for removing the data.")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if Anonymisation.objects.filter(customer=locked).exists():
        raise Conflict("already_anonymised", _("This customer's data has already been removed."))
    cleared = _anonymise(locked)
    Customer.objects.filter(pk=locked.pk).update(version=locked.version + 1)
    record = Anonymisation.objects.create(
        customer=locked, kind=kind, actor=actor, reason=(reason or "")[:500], cleared=cleared
    )
    audit_record(
        actor=actor,
        action="customer.anonymise",
        obj=locked,
        changes={"records": [None, cleared]},
        reason=reason,
    )
    customer.refresh_from_db()
    return record


# --- retention --------------------------------------------------------------------------------


def retention_days() -> int:
    """Days after a customer's last activity when their personal data is removed (0: never)."""
    return int(getattr(settings, "PRIVACY_RETENTION_DAYS", 0) or 0)


@dataclass
class RetentionReport:
    cutoff: dt.datetime | None
    applied: bool
    customers: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "applied": self.applied,
            "count": len(self.customers),
            "customers": self.customers,
        }


def retention_due(*, now: dt.datetime | None = None, days: int | None = None) -> RetentionReport:
    """Customers whose last activity (registration, an order created or changed) is older than
    the retention period, with no open order and not yet anonymised. Reads only."""
    days = retention_days() if days is None else days
    if days <= 0:
        return RetentionReport(cutoff=None, applied=False)
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=days)
    rows = (
        Customer.objects.filter(anonymisation__isnull=True, created_at__lt=cutoff)
        .annotate(last_order=Max("orders__updated_at"), last_created=Max("orders__created_at"))
        .filter(Q(last_order__isnull=True) | Q(last_order__lt=cutoff))
        .filter(Q(last_created__isnull=True) | Q(last_created__lt=cutoff))
        .exclude(orders__status__in=_open_statuses())
        .order_by("pk")
        .values("pk", "company_id", "created_at", "last_order")
        .distinct()
    )
    report = RetentionReport(cutoff=cutoff, applied=False)
    for row in rows:
        last = max(x for x in (row["created_at"], row["last_order"]) if x is not None)
        report.customers.append(
            {"customer": row["pk"], "company": row["company_id"], "last_activity": last.isoformat()}
        )
    return report


def _open_statuses() -> list[str]:
    return sorted(str(s) for s in OPEN)


def retention_run(
    *, now: dt.datetime | None = None, days: int | None = None, apply: bool = False
) -> RetentionReport:
    """The dry run (default) lists who would be anonymised; with `apply` each one is, in its
    own transaction (one failure does not undo the others)."""
    report = retention_due(now=now, days=days)
    if not apply:
        return report
    report.applied = True
    for item in report.customers:
        customer = Customer.objects.get(pk=item["customer"])
        customer_anonymise(
            actor=None,
            customer=customer,
            kind=AnonymisationKind.RETENTION,
        )
    return report
