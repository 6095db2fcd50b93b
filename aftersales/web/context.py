"""What every page's template needs: the staff menu by role, whether a portal customer is in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aftersales.web.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    portal_signed_in = bool(session and session.get("portal"))
    if user is None or not user.is_authenticated:
        return {"menu": [], "portal_signed_in": portal_signed_in}
    return {"menu": menu_for(user, request.path), "portal_signed_in": portal_signed_in}
