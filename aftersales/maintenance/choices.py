"""Statuses and choices of maintenance plans, generated services, checklists and contracts."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.transitions import Machine


class PlanStatus(models.TextChoices):
    # 草稿: being written; generates nothing.
    DRAFT = "draft", pgettext_lazy("plan", "Draft")
    # 生效: generates orders for the units it covers.
    ACTIVE = "active", pgettext_lazy("plan", "Active")
    # 暂停: keeps its history; generates nothing until activated again.
    PAUSED = "paused", pgettext_lazy("plan", "Paused")
    # 停用: retired for good.
    RETIRED = "retired", pgettext_lazy("plan", "Retired")


P = PlanStatus

PLAN_MACHINE = Machine(
    name="maintenance_plan",
    statuses=dict(PlanStatus.choices),
    table={
        "activate": (frozenset({P.DRAFT, P.PAUSED}), P.ACTIVE),
        "pause": (frozenset({P.ACTIVE}), P.PAUSED),
        "retire": (frozenset({P.DRAFT, P.ACTIVE, P.PAUSED}), P.RETIRED),
    },
    needs_reason=frozenset({"pause", "retire"}),
    labels={"activate": _("Activate"), "pause": _("Pause"), "retire": _("Retire")},
)


class RuleKind(models.TextChoices):
    # 首保: the first service after installation or sale.
    FIRST = "first", _("First service")
    # 定期保养: the services after it, counted from the last one done.
    PERIODIC = "periodic", _("Periodic service")


class TaskKind(models.TextChoices):
    # 检查: look and tick.
    CHECK = "check", _("Check")
    # 测量: a value with its limits.
    MEASURE = "measure", _("Measure")
    # 更换: replace with the kit's part.
    REPLACE = "replace", _("Replace")


class VisitState(models.TextChoices):
    # The generated order is being worked.
    OPEN = "open", pgettext_lazy("maintenance", "Open")
    # The order was completed: the service is done.
    DONE = "done", pgettext_lazy("maintenance", "Done")
    # The order was cancelled: the service is due again and gets a new order.
    CANCELLED = "cancelled", pgettext_lazy("maintenance", "Cancelled")


class ScheduleState(models.TextChoices):
    # Projected; no order yet (its window is beyond the horizon).
    WAITING = "waiting", _("Waiting")
    # An order for it exists and is open.
    ORDERED = "ordered", _("Order open")
    # It could not be ordered: see the reason.
    BLOCKED = "blocked", _("Blocked")
    # Nothing to project (no start date, no meter rate).
    UNKNOWN = "unknown", _("Cannot project")


class BlockReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("No address for the visit")
    UNIT_RETIRED = "unit_retired", _("The unit is scrapped or no longer in service")
    CONTRACT_EXPIRED = "contract_expired", _("The service contract has expired")
    NO_START = "no_start", _("No installation or sale date, and no meter rate")
    REFUSED = "refused", _("The order was refused")


class ContractStatus(models.TextChoices):
    # 草稿
    DRAFT = "draft", pgettext_lazy("contract", "Draft")
    # 生效
    ACTIVE = "active", pgettext_lazy("contract", "Active")
    # 已到期
    EXPIRED = "expired", pgettext_lazy("contract", "Expired")
    # 已续签: a successor contract continues it.
    RENEWED = "renewed", pgettext_lazy("contract", "Renewed")
    # 已终止
    TERMINATED = "terminated", pgettext_lazy("contract", "Terminated")


C = ContractStatus

CONTRACT_MACHINE = Machine(
    name="service_contract",
    statuses=dict(ContractStatus.choices),
    table={
        "activate": (frozenset({C.DRAFT}), C.ACTIVE),
        "expire": (frozenset({C.ACTIVE}), C.EXPIRED),
        "renew": (frozenset({C.ACTIVE, C.EXPIRED}), C.RENEWED),
        "terminate": (frozenset({C.DRAFT, C.ACTIVE}), C.TERMINATED),
    },
    needs_reason=frozenset({"terminate"}),
    labels={
        "activate": _("Activate"),
        "expire": _("Expire"),
        "renew": _("Renew"),
        "terminate": _("Terminate"),
    },
)


class CampaignKind(models.TextChoices):
    # 产品召回: a safety or quality recall; the work is a repair at no charge.
    RECALL = "recall", _("Recall")
    # 服务活动: a service campaign (inspection, upgrade, cleaning).
    SERVICE = "service", _("Service campaign")


class CampaignStatus(models.TextChoices):
    # 草稿: units being chosen.
    DRAFT = "draft", pgettext_lazy("campaign", "Draft")
    # 进行中: orders created, owners told.
    LAUNCHED = "launched", pgettext_lazy("campaign", "Launched")
    # 已结束
    CLOSED = "closed", pgettext_lazy("campaign", "Closed")


K = CampaignStatus

CAMPAIGN_MACHINE = Machine(
    name="campaign",
    statuses=dict(CampaignStatus.choices),
    table={
        "launch": (frozenset({K.DRAFT}), K.LAUNCHED),
        "close": (frozenset({K.LAUNCHED}), K.CLOSED),
    },
    needs_reason=frozenset({"close"}),
    labels={"launch": _("Launch"), "close": _("Close")},
)


class CampaignProgress(models.TextChoices):
    # No order yet (being created).
    PENDING = "pending", _("Pending")
    # Order created, the owner told (or not allowed to be told: see the outbox).
    REACHED = "reached", _("Owner told")
    # A visit is booked.
    BOOKED = "booked", _("Booked")
    # The work is done (order completed).
    DONE = "done", pgettext_lazy("campaign", "Done")
    # The owner could not be reached (marked by an agent).
    UNREACHABLE = "unreachable", _("Unreachable")
    # The order was cancelled.
    CANCELLED = "cancelled", pgettext_lazy("campaign", "Cancelled")


class AcceptanceStatus(models.TextChoices):
    # 待验收: the record is being filled in on site.
    OPEN = "open", _("To be accepted")
    # 有缺陷: defects listed; each is a follow-on order; accepted once they are closed.
    DEFECTS = "defects", _("Defects to fix")
    # 已验收: the customer signed the acceptance; the certificate is issued.
    ACCEPTED = "accepted", _("Accepted")


Q_: Any = AcceptanceStatus

ACCEPTANCE_MACHINE = Machine(
    name="acceptance",
    statuses=dict(AcceptanceStatus.choices),
    table={
        "defects": (frozenset({Q_.OPEN, Q_.DEFECTS}), Q_.DEFECTS),
        "accept": (frozenset({Q_.OPEN, Q_.DEFECTS}), Q_.ACCEPTED),
    },
    labels={"defects": _("Defects listed"), "accept": _("Accepted")},
)

# The checklist an acceptance starts from (工程验收).
ACCEPTANCE_ITEMS = (
    _("Installed firmly and level, as drawn"),
    _("Appearance intact, no damage"),
    _("Power, piping and wiring to standard"),
    _("Trial run normal"),
    _("User trained in operation and care"),
    _("Manuals, warranty card and accessories handed over"),
)
