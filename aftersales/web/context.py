"""Navigation by role, for every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.permissions import Perm, has_perm
from aftersales.transfers import TRANSFER_PERMS

NAV = [
    ("home", _("Home"), None),
    ("order-list", _("Orders"), Perm.ORDER_VIEW),
    ("order-intake", _("Take a call"), Perm.ORDER_CREATE),
    ("dispatch-board", _("Dispatch"), Perm.ORDER_ASSIGN),
    ("my-day", _("My day"), "technician"),
    ("follow-up-queue", _("Follow-up"), Perm.ORDER_FOLLOW_UP),
    ("complaint-list", _("Complaints"), Perm.COMPLAINT_HANDLE),
    ("stock", _("Stock"), Perm.STOCK_VIEW),
    ("customer-list", _("Customers"), Perm.CUSTOMER_VIEW),
    ("unit-list", _("Units"), Perm.UNIT_VIEW),
    ("catalog", _("Catalog"), Perm.CATALOG_VIEW),
    ("calendar", _("Calendar"), Perm.CALENDAR_EDIT),
    ("sla-list", _("Service levels"), Perm.SLA_EDIT),
    ("warranty-policies", _("Warranty policies"), Perm.WARRANTY_EDIT),
    ("field-rules", _("Fees and field work"), Perm.FIELD_RULES),
    ("feedback-settings", _("Follow-up and messages"), Perm.FEEDBACK_RULES),
    ("transfer", _("Import / export"), "transfer"),
    ("audit-list", _("Audit trail"), Perm.AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        session = getattr(request, "session", None)
        return {"nav": [], "portal_signed_in": bool(session and session.get("portal"))}
    items = []
    for name, label, perm in NAV:
        if perm == "technician":
            allowed = getattr(user, "role", "") == "technician"
        elif perm == "transfer":
            allowed = any(has_perm(user, p) for p in TRANSFER_PERMS)
        else:
            allowed = perm is None or has_perm(user, perm)
        if allowed:
            url = reverse(name)
            active = request.path == url if name == "home" else request.path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    session = getattr(request, "session", None)
    return {"nav": items, "portal_signed_in": bool(session and session.get("portal"))}
