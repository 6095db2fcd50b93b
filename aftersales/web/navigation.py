"""The staff menu: one structure, rendered by templates/web/base.html.

Each group is a dropdown in the bar (one line from 1024 px up; a collapsed menu on a phone).
A new page gets a menu entry with one line in the right group:

    Entry("url-name", _("Label"), Perm.SOMETHING),

`allow` is a permission (`Perm.*`), None (every signed-in user) or a callable taking the user.
Each role also has a landing page, where it arrives after signing in (`landing_url`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.kpi.selectors import self_assessment_scope
from aftersales.spreadsheets import TRANSFER_PERMS

Allow = str | Callable[[Any], bool] | None


def _technician(user: Any) -> bool:
    return getattr(user, "role", "") == Role.TECHNICIAN


def _not_technician(user: Any) -> bool:
    return getattr(user, "role", "") != Role.TECHNICIAN


def _workshop(user: Any) -> bool:
    return any(
        has_perm(user, p) for p in (Perm.WORKSHOP_COUNTER, Perm.WORKSHOP_BENCH, Perm.WORKSHOP_RULES)
    )


def _company_kpi(user: Any) -> bool:
    """The self-assessment is the company's: people of one station do not see it."""
    return has_perm(user, Perm.KPI_VIEW) and not getattr(user, "station_id", None)


def _self_assessment(user: Any) -> bool:
    """The page's own rule: the company's people, and a station manager for their station."""
    return self_assessment_scope(user) is not None


def _transfers(user: Any) -> bool:
    return any(has_perm(user, p) for p in TRANSFER_PERMS)


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: str | Promise
    allow: Allow = None


@dataclass(frozen=True)
class Group:
    key: str
    label: str | Promise
    entries: list[Entry] = field(default_factory=list)


MENU: list[Group] = [
    Group(
        "work",
        _("Work"),
        [
            Entry("my-day", _("My day"), _technician),
            Entry("order-intake", _("Take a call"), Perm.ORDER_CREATE),
            Entry("order-list", _("Orders"), Perm.ORDER_VIEW),
            Entry("follow-up-queue", _("Follow-up"), Perm.ORDER_FOLLOW_UP),
            Entry("complaint-list", _("Complaints"), Perm.COMPLAINT_HANDLE),
            Entry("workshop-counter", _("Service counter"), Perm.WORKSHOP_COUNTER),
            Entry("workshop-board", _("Workshop board"), _workshop),
            Entry("workshop-mail-in", _("Mail-in requests"), Perm.WORKSHOP_COUNTER),
            Entry("knowledge", _("Knowledge base"), Perm.KNOWLEDGE_VIEW),
            Entry("knowledge-review", _("Articles to review"), Perm.KNOWLEDGE_REVIEW),
        ],
    ),
    Group(
        "planning",
        _("Planning"),
        [
            Entry("dispatch-board", _("Dispatch board"), Perm.ORDER_ASSIGN),
            Entry("dispatch-team", _("Shifts, leave and territories"), Perm.CAPACITY_EDIT),
            Entry("calendar", _("Working calendar"), Perm.CALENDAR_EDIT),
            Entry("maint-plans", _("Maintenance plans"), Perm.ORDER_VIEW),
            Entry("maint-runs", _("Maintenance generation log"), Perm.ORDER_VIEW),
            Entry("maint-campaigns", _("Recalls and service campaigns"), Perm.ORDER_VIEW),
        ],
    ),
    Group(
        "stock",
        _("Stock"),
        [
            Entry("stock", _("Stock levels"), Perm.STOCK_VIEW),
            Entry("stock-requests", _("Parts requests"), Perm.STOCK_VIEW),
            Entry("stock-returns", _("Old-part returns"), Perm.STOCK_VIEW),
            Entry("part-list", _("Parts"), Perm.CATALOG_VIEW),
            Entry("catalog", _("Catalog"), Perm.CATALOG_VIEW),
            Entry("workshop-loaners", _("Loaners"), Perm.WORKSHOP_COUNTER),
        ],
    ),
    Group(
        "people",
        _("Customers"),
        [
            Entry("customer-list", _("Customers"), Perm.CUSTOMER_VIEW),
            Entry("unit-list", _("Units"), Perm.UNIT_VIEW),
            Entry("maint-contracts", _("Service contracts"), Perm.ORDER_VIEW),
            Entry("billing-outstanding", _("Customer balances"), Perm.SETTLEMENT_VIEW),
            Entry("refund-list", _("Refunds"), Perm.SETTLEMENT_VIEW),
            Entry("training-list", _("Training hours"), Perm.KPI_VIEW),
        ],
    ),
    Group(
        "settings",
        _("Settings"),
        [
            Entry("sla-list", _("Service levels"), Perm.SLA_EDIT),
            Entry("warranty-policies", _("Warranty policies"), Perm.WARRANTY_EDIT),
            Entry("dispatch-rules", _("Durations and skill requirements"), Perm.DISPATCH_RULES),
            Entry("field-rules", _("Fees and field work"), Perm.FIELD_RULES),
            Entry("feedback-settings", _("Follow-up and messages"), Perm.FEEDBACK_RULES),
            Entry("fee-rules", _("Settlement fee rules"), Perm.FEE_RULES),
            Entry("station-grades", _("Station grades"), Perm.FEE_RULES),
            Entry("billing-settings", _("Settlement settings"), Perm.SETTLEMENT_MANAGE),
            Entry("workshop-settings", _("Workshop settings"), Perm.WORKSHOP_RULES),
            Entry("knowledge-synonyms", _("Search synonyms"), Perm.KNOWLEDGE_REVIEW),
            Entry("token-list", _("API tokens"), _not_technician),
        ],
    ),
    Group(
        "reports",
        _("Reports"),
        [
            Entry("kpi-dashboard", _("Performance dashboard"), Perm.KPI_VIEW),
            Entry("assessment-list", _("Assessments"), Perm.KPI_VIEW),
            Entry("kpi-regions", _("Regions compared"), _company_kpi),
            Entry("self-assessment", _("GB/T 27922 self-assessment"), _self_assessment),
            Entry("statement-list", _("Station statements"), Perm.SETTLEMENT_VIEW),
            Entry("claim-list", _("Warranty claims"), Perm.SETTLEMENT_VIEW),
            Entry("invoice-list", _("Invoices"), Perm.SETTLEMENT_VIEW),
            Entry("transfer", _("Import / export"), _transfers),
            Entry("history-list", _("History import"), Perm.HISTORY_IMPORT),
            Entry("audit-list", _("Audit trail"), Perm.AUDIT_VIEW),
        ],
    ),
]


def allowed(user: Any, allow: Allow) -> bool:
    if allow is None:
        return bool(getattr(user, "is_authenticated", False))
    if callable(allow):
        return bool(allow(user))
    return has_perm(user, allow)


def menu_for(user: Any, path: str = "") -> list[dict[str, Any]]:
    """The groups this user sees (empty ones left out), each entry with its url and whether
    the current `path` is inside it (the longest matching url wins)."""
    groups: list[dict[str, Any]] = []
    for group in MENU:
        entries: list[dict[str, Any]] = [
            {"url": reverse(e.url_name), "label": e.label, "name": e.url_name}
            for e in group.entries
            if allowed(user, e.allow)
        ]
        if entries:
            groups.append({"key": group.key, "label": group.label, "entries": entries})
    best = max(
        (e["url"] for g in groups for e in g["entries"] if path.startswith(e["url"])),
        key=len,
        default=None,
    )
    for g in groups:
        for e in g["entries"]:
            e["active"] = e["url"] == best
        g["active"] = any(e["active"] for e in g["entries"])
    return groups


# Where each role starts its day: (url name, query). Managers land on the orders they answer
# for (a station manager on those waiting for one of its technicians); the rest on home.
LANDING: dict[Any, tuple[str, str]] = {
    Role.TECHNICIAN: ("my-day", ""),
    Role.DISPATCHER: ("dispatch-board", ""),
    Role.AGENT: ("order-intake", ""),
    Role.STATION_MANAGER: ("order-list", "?queue=unassigned"),
    Role.SERVICE_MANAGER: ("order-list", "?queue=open"),
    Role.DEPARTMENT_HEAD: ("order-list", "?queue=open"),
    Role.FINANCE: ("order-list", "?queue=open"),
}

# What each landing page needs (checked, so that a landing never answers 403).
_LANDING_ALLOW: dict[str, Allow] = {
    "my-day": Perm.ORDER_WORK,
    "dispatch-board": Perm.ORDER_ASSIGN,
    "order-intake": Perm.ORDER_CREATE,
    "order-list": Perm.ORDER_VIEW,
}


def landing_url(user: Any) -> str:
    name, query = LANDING.get(getattr(user, "role", ""), ("home", ""))
    if name != "home" and allowed(user, _LANDING_ALLOW[name]):
        return reverse(name) + query
    return reverse("home")
