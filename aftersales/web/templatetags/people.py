"""`{{ user|person }}`: a user's full name, else the username, else "System" (no actor)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def person(user: Any) -> str:
    if user is None:
        return _("System")
    return str(user.get_full_name() or user.username)
