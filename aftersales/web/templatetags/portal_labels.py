"""`{{ order|customer_status }}`: an order's status in the words a customer reads (the portal
never shows staff terms such as 已派站)."""

from __future__ import annotations

from typing import Any

from django import template

from aftersales.portal.selectors import STEPS

register = template.Library()


@register.filter
def customer_status(order: Any) -> str:
    return str(STEPS.get(order.status, order.get_status_display()))
