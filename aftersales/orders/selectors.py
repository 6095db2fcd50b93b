"""Reads of service orders, always through the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from aftersales.accounts.choices import Role
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.accounts.selectors import in_scope, scope
from aftersales.core import clock
from aftersales.core.selectors import as_id, matching_ids
from aftersales.customers import search
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.customers.selectors import (
    customers_by_name,
    prefix_q,
    search_cap,
    search_is_capped,
)
from aftersales.orders.choices import OPEN, PAUSED, RECORDED_ONLY, Status
from aftersales.orders.models import OrderEvent, OrderSettings, ServiceOrder

# The permission each order verb needs (the actions check it; the buttons read it).
ACTION_PERMS = {
    "triage": Perm.ORDER_TRIAGE,
    "dispatch": Perm.ORDER_DISPATCH,
    "redispatch": Perm.ORDER_DISPATCH,
    "assign": Perm.ORDER_ASSIGN,
    "unassign": Perm.ORDER_ASSIGN,
    "accept": Perm.ORDER_WORK,
    "decline": Perm.ORDER_WORK,
    "cannot_keep": Perm.ORDER_WORK,
    "no_show": Perm.ORDER_WORK,
    "revisit": Perm.ORDER_WORK,
    "depart": Perm.ORDER_WORK,
    "arrive": Perm.ORDER_WORK,
    "complete": Perm.ORDER_WORK,
    "follow_up": Perm.ORDER_FOLLOW_UP,
    "close": Perm.ORDER_FOLLOW_UP,
    "wait_parts": Perm.ORDER_PAUSE,
    "wait_customer": Perm.ORDER_PAUSE,
    "resume": Perm.ORDER_PAUSE,
    "cancel": Perm.ORDER_CANCEL,
    "reopen": Perm.ORDER_REOPEN,
    "solve_remotely": Perm.ORDER_TRIAGE,
    "bring_in": Perm.ORDER_WORK,
}
# Actions a technician may only take on orders assigned to them.
TECHNICIAN_OWN = frozenset(
    {
        "accept",
        "decline",
        "cannot_keep",
        "depart",
        "arrive",
        "no_show",
        "revisit",
        "complete",
        "wait_parts",
        "wait_customer",
        "resume",
        "unassign",
    }
)


def technician_may_act(actor: Any, order: ServiceOrder, action: str) -> bool:
    """The one rule: a technician takes the verbs in TECHNICIAN_OWN only on their own order."""
    return not (
        getattr(actor, "role", None) == Role.TECHNICIAN
        and action in TECHNICIAN_OWN
        and order.technician_id != actor.pk
    )


def order_settings(company_id: int) -> OrderSettings:
    found = OrderSettings.objects.filter(company_id=company_id).first()
    return found or OrderSettings(company_id=company_id)


def available_actions(actor: Any, order: ServiceOrder) -> list[str]:
    """The transitions this user may take on this order now (for buttons and the API)."""
    out = []
    for action in order.allowed_actions():
        if action in RECORDED_ONLY or not has_perm(actor, ACTION_PERMS[action]):
            continue
        if not technician_may_act(actor, order, action):
            continue
        out.append(action)
    return out


QUEUES = (
    "open",
    "unassigned",
    "overdue",
    "due_soon",
    "waiting_parts",
    "waiting_customer",
    "mine",
    "to_follow_up",
    "all",
)


def orders_visible_to(user: Any) -> QuerySet[ServiceOrder]:
    """Company, region or station scope; a technician sees the orders assigned to them."""
    qs = scope(user, ServiceOrder.objects.all())
    if getattr(user, "role", None) == Role.TECHNICIAN:
        qs = qs.filter(technician_id=user.pk)
    return qs


def order_visible(user: Any, order: ServiceOrder) -> bool:
    """`orders_visible_to(user)` holds this order, judged on the loaded row (no query): for an
    order just read under lock, where the exists() probe would read it a second time."""
    if not in_scope(user, order):
        return False
    return getattr(user, "role", None) != Role.TECHNICIAN or order.technician_id == user.pk


def breached_q(now: dt.datetime) -> Q:
    """Orders with a due time passed and its target not met (paused orders excluded)."""
    return Q(status__in=OPEN - PAUSED) & (
        Q(respond_due__lt=now, responded_at__isnull=True)
        | Q(arrive_due__lt=now, arrived_at__isnull=True)
        | Q(resolve_due__lt=now, completed_at__isnull=True)
    )


def due_soon_q(now: dt.datetime, hours: int = 4) -> Q:
    soon = now + dt.timedelta(hours=hours)
    return Q(status__in=OPEN - PAUSED) & (
        Q(respond_due__range=(now, soon), responded_at__isnull=True)
        | Q(arrive_due__range=(now, soon), arrived_at__isnull=True)
        | Q(resolve_due__range=(now, soon), completed_at__isnull=True)
    )


def order_queue(user: Any, queue: str, *, now: dt.datetime | None = None) -> QuerySet[ServiceOrder]:
    now = now or clock.now()
    qs = orders_visible_to(user)
    if queue == "open":
        return qs.filter(status__in=OPEN)
    if queue == "unassigned":
        # Station people: dispatched to my station, no technician. Others: not yet at a station.
        if user.station_id:
            return qs.filter(status=Status.DISPATCHED)
        return qs.filter(status__in=[Status.REGISTERED, Status.REOPENED, Status.TRIAGED])
    if queue == "overdue":
        return qs.filter(breached_q(now))
    if queue == "due_soon":
        return qs.filter(due_soon_q(now))
    if queue == "waiting_parts":
        return qs.filter(status=Status.WAITING_PARTS)
    if queue == "waiting_customer":
        return qs.filter(status=Status.WAITING_CUSTOMER)
    if queue == "mine":
        return qs.filter(Q(technician_id=user.pk) | Q(created_by_id=user.pk), status__in=OPEN)
    if queue == "to_follow_up":
        return qs.filter(status=Status.COMPLETED)
    return qs


def order_filter(qs: QuerySet[ServiceOrder], params: dict[str, Any]) -> QuerySet[ServiceOrder]:
    """Filters shared by the list page and the API: status, priority, service type, station,
    technician, breach, number / serial / phone / customer name."""
    return order_filter_capped(qs, params)[0]


def order_filter_capped(
    qs: QuerySet[ServiceOrder], params: dict[str, Any], *, company_id: int | None = None
) -> tuple[QuerySet[ServiceOrder], bool]:
    """`order_filter`, and whether its search was capped: a one- or two-character name (a
    surname) collects at most SHORT_NAME_CAP orders, and the list asks to refine it. The
    orders are searched within `qs` (the caller's scope: a station user's cap is filled with
    their own station's orders), newest first. `company_id` keeps the customers searched to
    the caller's company."""
    now = clock.now()
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("priority"):
        qs = qs.filter(priority=params["priority"])
    if params.get("service_type"):
        qs = qs.filter(service_type=params["service_type"])
    if params.get("station"):
        qs = qs.filter(station_id=as_id(params["station"]))
    if params.get("technician"):
        qs = qs.filter(technician_id=as_id(params["technician"]))
    if params.get("breach") in ("1", "true", True):
        qs = qs.filter(breached_q(now))
    capped = False
    q = (params.get("q") or "").strip()
    if q:
        text = q.upper()
        serial = text.replace(" ", "")
        units = [InstalledUnit.objects.filter(prefix_q("serial", serial)).values("pk")]
        if serial.isascii() and len(serial) >= (5 if serial.isdigit() else 3):  # a serial part
            units.append(
                search.contains(InstalledUnit.objects.all(), "serial", serial).values("pk")
            )
        # `.values("pk")` lookups and, for a name, whole-row ones: the UNION reads the pk of each.
        parts: list[QuerySet[ServiceOrder, Any]] = [
            qs.filter(number=text).values("pk"),
            qs.filter(unit_id__in=matching_ids(*units)).values("pk"),
        ]
        digits = "".join(ch for ch in q if ch.isdigit())
        customers = Customer.objects.all()
        if company_id is not None:
            customers = customers.filter(company_id=company_id)
        if digits and digits == q.replace(" ", "").replace("-", ""):
            phones = []
            if len(digits) >= 7:
                phones.append(customers.filter(prefix_q("phone", digits)).values("pk"))
            if len(digits) == 4:  # the last four digits of the caller's phone
                phones.append(search.phone_ends_with(customers, digits).values("pk"))
            if phones:
                found = matching_ids(*phones)
                if found:
                    parts.append(qs.filter(customer_id__in=found).values("pk"))
        else:  # the customer's name: its start or any part (a company's short name)
            # The orders in scope of every matching customer, not the orders of the first
            # customers found company-wide: the cap below falls on the caller's own orders.
            parts += [
                qs.filter(customer_id__in=names.values("pk"))
                for names in customers_by_name(customers, q)
            ]
        # Indexed lookups; an OR of them makes PostgreSQL scan the whole table (measured:
        # 500 ms at 1M orders). The newest orders are kept when the cap falls.
        ids = matching_ids(*parts, cap=search_cap(q), newest=True)
        capped = search_is_capped(q, len(ids))
        qs = qs.filter(pk__in=ids)
    return qs, capped


def open_orders_on_unit(user: Any, unit_id: int) -> QuerySet[ServiceOrder]:
    """Possible duplicates: orders still open on the same unit (within the user's scope for
    display; the check at creation looks company-wide)."""
    return orders_visible_to(user).filter(unit_id=unit_id, status__in=OPEN).order_by("-id")


def orders_of_unit(user: Any, unit_id: int) -> QuerySet[ServiceOrder]:
    """The unit's service history, newest first."""
    return orders_visible_to(user).filter(unit_id=unit_id).order_by("-id")


def order_timeline(order: ServiceOrder) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor").order_by("at", "id")
