"""API authentication: a bearer token (Authorization: Bearer as_...) or the web session.

A token has a scope (`read`: GET only, a write is 403 `read_only_token`; `full`) and may
expire. A request with neither (or with a token that is unknown, revoked, expired or of an
inactive user) is answered 401 `unauthenticated`, reads and writes alike; the session's CSRF check applies only
to a request that does carry a signed-in session (then a missing CSRF token is a 403)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from aftersales.accounts.choices import TokenScope
from aftersales.accounts.models import ApiToken
from aftersales.core.errors import PermissionDenied

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # key_hash is unique: one row at most, no ORDER BY (`first()` would add one).
        found = list(
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(token), revoked=False)
            .order_by()[:1]
        )
        row = found[0] if found else None
        if row is None or not row.user.is_active:
            return None
        if row.expires_at is not None and row.expires_at <= timezone.now():
            return None
        if row.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise PermissionDenied(
                "read_only_token", _("This token may only read; use a token with full access.")
            )
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class SessionCookie(APIKeyCookie):
    """Django's session, with its CSRF check only once there is a signed-in user."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            return request.user
        return None


AUTH = [BearerToken(), SessionCookie()]
