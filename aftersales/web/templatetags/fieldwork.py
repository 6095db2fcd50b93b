"""Template filters for the field-work events on an order's timeline."""

from __future__ import annotations

from typing import Any

from django import template

from aftersales.fieldwork import labels

register = template.Library()


@register.filter
def field_label(event: Any) -> str:
    return labels.label(event.action)


@register.filter
def field_detail(event: Any) -> str:
    return labels.detail(event.action, event.payload or {})
