"""The parts of taking in a service order that `orders.actions.order_create` and the batched
`orders.bulk.orders_create_bulk` share: the service-level rules and the due-time plan (with the
company's working calendar read once per use), the idempotency key's stored form and the
request's fingerprint. No writes here except the calendar alert queued on commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.calendars.selectors import round_the_clock, work_calendar
from aftersales.core.workclock import WorkCalendar
from aftersales.notifications.actions import notify
from aftersales.orders import sla
from aftersales.orders.choices import MET_FIELD, OPEN, PAUSED
from aftersales.orders.models import ServiceOrder, SlaPolicy
from aftersales.orders.selectors import order_settings


def sla_rules(company_id: int) -> list[sla.PolicyRule]:
    rows = list(SlaPolicy.objects.filter(company_id=company_id, active=True))
    if not rows and not SlaPolicy.objects.filter(company_id=company_id).exists():
        return list(sla.DEFAULT_RULES)
    return [policy_rule(p) for p in rows]


def policy_rule(p: SlaPolicy) -> sla.PolicyRule:
    goals = {}
    for target in sla.TARGETS:
        minutes = getattr(p, f"{target}_minutes")
        if minutes:
            goals[target] = sla.Goal(minutes, getattr(p, f"{target}_clock"))
    return sla.PolicyRule(
        p.pk,
        p.name,
        goals,
        priority=p.priority or None,
        service_type=p.service_type or None,
        region_id=p.region_id,
        contract_level=p.contract_level or None,
        rank=p.rank,
    )


class Calendars:
    """The company's working calendar and the 24x7 clock, and its escalation ratios, read once
    per use: one per order on the single-order path, one per batch (or generation run) when
    many orders are planned at once (`orders.bulk`)."""

    def __init__(self, company_id: int) -> None:
        self.company_id = company_id
        self._working: WorkCalendar | None = None
        self._ratios: dict[int, float] | None = None

    @property
    def ratios(self) -> dict[int, float]:
        """The escalation levels' shares of each goal (the company's order settings)."""
        if self._ratios is None:
            self._ratios = escalation_ratios(self.company_id)
        return self._ratios

    @property
    def working(self) -> WorkCalendar:
        """The company's working calendar (read on first use, then kept)."""
        return self("working")

    def __call__(self, clock: str) -> WorkCalendar:
        if clock == "calendar":
            return round_the_clock()
        if self._working is None:
            self._working = work_calendar(self.company_id)
        return self._working


def escalation_ratios(company_id: int) -> dict[int, float]:
    s = order_settings(company_id)
    return {1: s.warn_ratio, 2: 1.0, 3: s.head_ratio}


def order_pauses(order: ServiceOrder) -> list[sla.Pause]:
    if order.pk is None:
        return []
    return [sla.Pause(p.started_at, p.ended_at) for p in order.pauses.all()]


def order_goals(order: ServiceOrder) -> dict[str, sla.Goal]:
    return {t: sla.Goal(int(m), c) for t, (m, c) in (order.sla_goals or {}).items()}


def apply_plan(order: ServiceOrder, calendars: Calendars | None = None) -> list[str]:
    """Recompute due times, provisional flag and the next escalation moment on `order`
    (not saved). Returns the names of the fields set."""
    calendars = calendars or Calendars(order.company_id)
    plan = sla.plan_targets(
        goals=order_goals(order),
        start=order.created_at,
        pauses=order_pauses(order),
        calendar_for=calendars,
        ratios=calendars.ratios,
    )
    provisional = False
    next_at: dt.datetime | None = None
    for target in sla.TARGETS:
        p = plan.get(target)
        if p is None:
            setattr(order, f"{target}_due", None)
            continue
        if p.due is not None:  # while paused the last due time stays on display
            setattr(order, f"{target}_due", p.due)
        provisional |= p.provisional
        if getattr(order, MET_FIELD[target]) is None and order.status in OPEN:
            done = int((order.escalation or {}).get(target, 0))
            for level, moment in p.steps.items():
                if level > done and (next_at is None or moment < next_at):
                    next_at = moment
    if order.status in PAUSED:
        next_at = None
    order.due_provisional = provisional
    order.next_escalation_at = next_at
    if provisional:
        working = calendars("working")
        last = max((p.due for p in plan.values() if p.due), default=order.created_at)
        missing = [
            y
            for y in range(timezone.localtime(order.created_at).year, last.year + 1)
            if not working.is_loaded(dt.date(y, 1, 1))
        ]
        for year in missing:
            transaction.on_commit(
                lambda y=year: alert_missing_calendar(order.company_id, y)  # type: ignore[misc]
            )
    return ["respond_due", "arrive_due", "resolve_due", "due_provisional", "next_escalation_at"]


def alert_missing_calendar(company_id: int, year: int) -> None:
    """Tell the admins (once per year and person) that a due time ran into an unloaded year."""

    admins = User.objects.filter(
        company_id=company_id, role__in=[Role.ADMIN, Role.SERVICE_MANAGER], is_active=True
    )
    for admin in admins:
        with translation.override(admin.reads()):
            notify(
                company_id=company_id,
                recipient=admin,
                channel="in_app",
                subject=gettext(
                    "The holiday schedule for %(year)d is not loaded: due times are provisional"
                )
                % {"year": year},
                body=gettext(
                    "Load the year on the working calendar page once the State Council "
                    "publishes it; every provisional due time is then recomputed."
                ),
                dedupe_key=f"calendar-missing:{company_id}:{year}:{admin.pk}",
            )


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def caller_key(actor: User, key: str) -> str:
    """The stored form of an Idempotency-Key: scoped to the caller (another user sending the
    same key neither gets this order back nor learns the key was used) and hashed, so a key
    of any content fits the column."""
    return f"u{actor.pk}:{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}"


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
