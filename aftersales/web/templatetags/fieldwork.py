"""Template filters for the field-work events on an order's timeline."""

from __future__ import annotations

from typing import Any

from django import template

from aftersales.fieldwork import labels
from aftersales.orders.choices import Target

register = template.Library()


@register.filter
def field_label(event: Any) -> str:
    return labels.label(event.action)


@register.filter
def field_detail(event: Any) -> str:
    return labels.detail(event.action, event.payload or {})


@register.filter
def target_label(code: Any) -> str:
    """A service-level target's label (首次响应, 到场, 解决) for its code in an event."""
    try:
        return str(Target(code).label)
    except ValueError:
        return str(code or "")
