"""Reads of follow-ups and complaints, always through the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.accounts.selectors import scope
from aftersales.feedback.choices import FollowUpStatus
from aftersales.feedback.models import Complaint, FollowUp
from aftersales.orders.selectors import orders_visible_to


def follow_ups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(order__in=orders_visible_to(user))


def follow_up_queue(user: Any) -> QuerySet[FollowUp]:
    """Open follow-ups, most urgent first (the agents' queue)."""
    return (
        follow_ups_visible_to(user)
        .filter(status=FollowUpStatus.OPEN)
        .select_related("order__customer", "order__technician", "order__station")
        .order_by("due_at", "id")
    )


def complaints_visible_to(user: Any) -> QuerySet[Complaint]:
    """Company, region (through the station) or station scope; technicians see none."""
    if getattr(user, "role", None) == "technician":
        return Complaint.objects.none()
    return scope(user, Complaint.objects.all(), region_field="station__region")
