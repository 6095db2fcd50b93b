"""What each role may do. Scope (which rows) is decided separately by the selectors.

The table is the single source of truth for pages and API alike; tests check it against an
independently written expectation per role and endpoint.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import Role
from aftersales.core.errors import PermissionDenied


class Perm:
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_EXPORT = "customer.export"
    PHONE_REVEAL = "customer.reveal_phone"
    UNIT_VIEW = "unit.view"
    UNIT_EDIT = "unit.edit"
    UNIT_IMPORT = "unit.import"
    UNIT_EXPORT = "unit.export"
    CATALOG_VIEW = "catalog.view"
    CATALOG_EDIT = "catalog.edit"
    PART_IMPORT = "part.import"
    PART_EXPORT = "part.export"
    ORG_VIEW = "org.view"
    ORG_EDIT = "org.edit"
    AUDIT_VIEW = "audit.view"
    ORDER_VIEW = "order.view"
    ORDER_CREATE = "order.create"
    ORDER_EDIT = "order.edit"
    ORDER_TRIAGE = "order.triage"
    ORDER_DISPATCH = "order.dispatch"
    ORDER_ASSIGN = "order.assign"
    ORDER_WORK = "order.work"
    ORDER_PAUSE = "order.pause"
    ORDER_FOLLOW_UP = "order.follow_up"
    ORDER_CANCEL = "order.cancel"
    ORDER_REOPEN = "order.reopen"
    CALENDAR_EDIT = "calendar.edit"
    SLA_EDIT = "sla.edit"
    WARRANTY_EDIT = "warranty.edit"
    WARRANTY_OVERRIDE = "warranty.override"
    # Technicians' shifts and leave, territories (station-scoped).
    CAPACITY_EDIT = "dispatch.capacity"
    # Company-wide dispatch rules: service durations, skill requirements, settings.
    DISPATCH_RULES = "dispatch.rules"
    STOCK_VIEW = "stock.view"
    # Receive, issue, return, adjust, scrap, ship and receive transfers, reserve (scoped: a
    # technician moves only their van's stock, a station its own and its vans').
    STOCK_MOVE = "stock.move"
    WAREHOUSE_EDIT = "stock.warehouse"
    # The fee schedule (收费标准) and the field-work settings (company-wide).
    FIELD_RULES = "fieldwork.rules"
    # Register and handle complaints (投诉), scoped like orders.
    COMPLAINT_HANDLE = "complaint.handle"
    # The follow-up script, complaint deadlines and message templates (company-wide).
    FEEDBACK_RULES = "feedback.rules"
    # KPI figures, dashboards and scorecards (scoped: a station its own, a technician their own).
    KPI_VIEW = "kpi.view"
    # Record technicians' training hours (station-scoped for a station manager).
    TRAINING_EDIT = "kpi.training"
    # Assessment (考核) schemes and runs: create, score, adjust with a reason, review.
    ASSESSMENT_EDIT = "assessment.edit"
    # Approve an assessment run (what settlement then reads).
    ASSESSMENT_APPROVE = "assessment.approve"
    # Maintenance plans, their rules, levels and tasks, unit overrides, generation runs.
    MAINTENANCE_PLANS = "maintenance.plans"
    # Service contracts (服务合同): create, activate, renew, terminate.
    CONTRACT_EDIT = "maintenance.contracts"
    # Read published knowledge articles (and one's own drafts).
    KNOWLEDGE_VIEW = "knowledge.view"
    # Write drafts (solutions, cases from orders, answers) and give feedback on articles.
    KNOWLEDGE_DRAFT = "knowledge.draft"
    # Review, publish, retire, mark 优质案例 and export them; the synonym list.
    KNOWLEDGE_REVIEW = "knowledge.review"
    # Workshop counter: queue numbers, intake, mail-in requests and shipments, handover,
    # loaners lent and returned (scoped like orders).
    WORKSHOP_COUNTER = "workshop.counter"
    # Workshop bench: diagnosis, quote, parts, repair, quality check (station-scoped).
    WORKSHOP_BENCH = "workshop.bench"
    # Workshop settings, stations' workshops and the loaner pool.
    WORKSHOP_RULES = "workshop.rules"
    # Settlement (结算): see statements and the station account (scoped: a station its own).
    SETTLEMENT_VIEW = "settlement.view"
    # Generate, send, approve and pay statements; manual lines; customer refunds and invoices.
    SETTLEMENT_MANAGE = "settlement.manage"
    # The station confirms or disputes its statement's lines (对账).
    SETTLEMENT_RECONCILE = "settlement.reconcile"
    # Answer a station's disputes.
    SETTLEMENT_ANSWER = "settlement.answer"
    # The fee rules (结算标准), company-wide.
    FEE_RULES = "settlement.fee_rules"
    # Import a company's history (dry run, apply, progress) and export it (issue 23).
    HISTORY_IMPORT = "history.import"
    # A customer's personal data (PIPL): export everything held, anonymise on request.
    PERSONAL_DATA = "customer.personal_data"


_ALL_VIEW = {
    Perm.CUSTOMER_VIEW,
    Perm.UNIT_VIEW,
    Perm.CATALOG_VIEW,
    Perm.ORDER_VIEW,
    Perm.STOCK_VIEW,
    Perm.KNOWLEDGE_VIEW,
}

ROLE_PERMISSIONS: dict[Any, frozenset[str]] = {
    Role.AGENT: frozenset(
        _ALL_VIEW
        | {
            Perm.CUSTOMER_EDIT,
            Perm.CUSTOMER_IMPORT,
            Perm.CUSTOMER_EXPORT,
            Perm.PHONE_REVEAL,
            Perm.UNIT_EDIT,
            Perm.UNIT_IMPORT,
            Perm.UNIT_EXPORT,
            Perm.ORDER_CREATE,
            Perm.ORDER_EDIT,
            Perm.ORDER_TRIAGE,
            Perm.ORDER_PAUSE,
            Perm.ORDER_FOLLOW_UP,
            Perm.ORDER_CANCEL,
            Perm.ORDER_REOPEN,
            Perm.COMPLAINT_HANDLE,
            Perm.CONTRACT_EDIT,
            Perm.KNOWLEDGE_DRAFT,
        }
    ),
    Role.DISPATCHER: frozenset(
        _ALL_VIEW
        | {
            Perm.PHONE_REVEAL,
            Perm.ORG_VIEW,
            Perm.ORDER_EDIT,
            Perm.ORDER_TRIAGE,
            Perm.ORDER_DISPATCH,
            Perm.ORDER_ASSIGN,
            Perm.ORDER_PAUSE,
            Perm.ORDER_CANCEL,
            Perm.CAPACITY_EDIT,
        }
    ),
    Role.TECHNICIAN: frozenset(
        _ALL_VIEW
        | {Perm.PHONE_REVEAL, Perm.UNIT_EDIT, Perm.ORDER_WORK, Perm.ORDER_PAUSE, Perm.STOCK_MOVE}
        | {Perm.KNOWLEDGE_DRAFT}
    ),
    Role.STATION_MANAGER: frozenset(
        _ALL_VIEW
        | {
            Perm.CUSTOMER_EDIT,
            Perm.CUSTOMER_EXPORT,
            Perm.PHONE_REVEAL,
            Perm.UNIT_EDIT,
            Perm.UNIT_EXPORT,
            Perm.ORG_VIEW,
            Perm.ORDER_CREATE,
            Perm.ORDER_ASSIGN,
            Perm.ORDER_WORK,
            Perm.ORDER_PAUSE,
            Perm.CAPACITY_EDIT,
            Perm.STOCK_MOVE,
            Perm.COMPLAINT_HANDLE,
            Perm.KNOWLEDGE_DRAFT,
            Perm.SETTLEMENT_VIEW,
            Perm.SETTLEMENT_RECONCILE,
        }
    ),
    Role.SERVICE_MANAGER: frozenset(
        _ALL_VIEW
        | {
            Perm.CUSTOMER_EDIT,
            Perm.CUSTOMER_IMPORT,
            Perm.CUSTOMER_EXPORT,
            Perm.PHONE_REVEAL,
            Perm.UNIT_EDIT,
            Perm.UNIT_IMPORT,
            Perm.UNIT_EXPORT,
            Perm.CATALOG_EDIT,
            Perm.PART_IMPORT,
            Perm.PART_EXPORT,
            Perm.ORG_VIEW,
            Perm.AUDIT_VIEW,
            Perm.ORDER_CREATE,
            Perm.ORDER_EDIT,
            Perm.ORDER_TRIAGE,
            Perm.ORDER_DISPATCH,
            Perm.ORDER_ASSIGN,
            Perm.ORDER_PAUSE,
            Perm.ORDER_FOLLOW_UP,
            Perm.ORDER_CANCEL,
            Perm.ORDER_REOPEN,
            Perm.CALENDAR_EDIT,
            Perm.SLA_EDIT,
            Perm.WARRANTY_EDIT,
            Perm.WARRANTY_OVERRIDE,
            Perm.CAPACITY_EDIT,
            Perm.DISPATCH_RULES,
            Perm.STOCK_MOVE,
            Perm.WAREHOUSE_EDIT,
            Perm.FIELD_RULES,
            Perm.COMPLAINT_HANDLE,
            Perm.FEEDBACK_RULES,
            Perm.MAINTENANCE_PLANS,
            Perm.CONTRACT_EDIT,
            Perm.KNOWLEDGE_DRAFT,
            Perm.KNOWLEDGE_REVIEW,
            Perm.SETTLEMENT_VIEW,
            Perm.SETTLEMENT_ANSWER,
            Perm.FEE_RULES,
        }
    ),
    Role.FINANCE: frozenset(
        _ALL_VIEW
        | {
            Perm.PART_EXPORT,
            Perm.CUSTOMER_EXPORT,
            Perm.SETTLEMENT_VIEW,
            Perm.SETTLEMENT_MANAGE,
            Perm.FEE_RULES,
        }
    ),
    Role.DEPARTMENT_HEAD: frozenset(
        _ALL_VIEW
        | {
            Perm.CUSTOMER_EXPORT,
            Perm.UNIT_EXPORT,
            Perm.PART_EXPORT,
            Perm.CATALOG_EDIT,
            Perm.ORG_VIEW,
            Perm.AUDIT_VIEW,
            Perm.SLA_EDIT,
            Perm.COMPLAINT_HANDLE,
            Perm.SETTLEMENT_VIEW,
        }
    ),
    Role.ADMIN: frozenset(
        _ALL_VIEW
        | {
            Perm.CUSTOMER_EDIT,
            Perm.CUSTOMER_IMPORT,
            Perm.CUSTOMER_EXPORT,
            Perm.UNIT_EDIT,
            Perm.UNIT_IMPORT,
            Perm.UNIT_EXPORT,
            Perm.CATALOG_EDIT,
            Perm.PART_IMPORT,
            Perm.PART_EXPORT,
            Perm.ORG_VIEW,
            Perm.ORG_EDIT,
            Perm.AUDIT_VIEW,
            Perm.CALENDAR_EDIT,
            Perm.SLA_EDIT,
            Perm.CAPACITY_EDIT,
            Perm.DISPATCH_RULES,
            Perm.STOCK_MOVE,
            Perm.WAREHOUSE_EDIT,
            Perm.FIELD_RULES,
            Perm.FEEDBACK_RULES,
            Perm.MAINTENANCE_PLANS,
        }
    ),
}

# KPIs and assessment (issue 17), kept apart so parallel additions to the table above merge.
_KPI_PERMISSIONS: dict[Any, set[str]] = {
    Role.TECHNICIAN: {Perm.KPI_VIEW},
    Role.STATION_MANAGER: {Perm.KPI_VIEW, Perm.TRAINING_EDIT},
    Role.SERVICE_MANAGER: {Perm.KPI_VIEW, Perm.TRAINING_EDIT, Perm.ASSESSMENT_EDIT},
    Role.FINANCE: {Perm.KPI_VIEW},
    Role.DEPARTMENT_HEAD: {
        Perm.KPI_VIEW,
        Perm.TRAINING_EDIT,
        Perm.ASSESSMENT_EDIT,
        Perm.ASSESSMENT_APPROVE,
    },
}
for _role, _extra in _KPI_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Workshop repair (issue 22), kept apart so parallel additions to the table above merge.
_WORKSHOP_PERMISSIONS: dict[Any, set[str]] = {
    Role.AGENT: {Perm.WORKSHOP_COUNTER},
    Role.TECHNICIAN: {Perm.WORKSHOP_BENCH},
    Role.STATION_MANAGER: {Perm.WORKSHOP_COUNTER, Perm.WORKSHOP_BENCH, Perm.WORKSHOP_RULES},
    Role.SERVICE_MANAGER: {Perm.WORKSHOP_COUNTER, Perm.WORKSHOP_RULES},
}
for _role, _extra in _WORKSHOP_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# History import (issue 23), kept apart so parallel additions to the table above merge.
for _role in (Role.ADMIN, Role.SERVICE_MANAGER):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | {Perm.HISTORY_IMPORT}
# Personal data (issue 21), kept apart so parallel additions to the table above merge.
_PRIVACY_PERMISSIONS: dict[Any, set[str]] = {
    Role.SERVICE_MANAGER: {Perm.PERSONAL_DATA},
    Role.ADMIN: {Perm.PERSONAL_DATA},
}
for _role, _extra in _PRIVACY_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra


def has_perm(user: Any, perm: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.company_id is None:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


def company_of(user: Any) -> int:
    """The company of a member of staff who acts on its records. Every permission needs one
    (`has_perm` refuses a user of no company), so after `require` this is the narrowing of
    `company_id` to an int; reached without it, a user of no company is refused the same way."""
    company_id = getattr(user, "company_id", None)
    if company_id is None:
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    return int(company_id)


def require(user: Any, perm: str) -> None:
    """Raise PermissionDenied (403) unless the user's role grants `perm`."""
    if not has_perm(user, perm):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
