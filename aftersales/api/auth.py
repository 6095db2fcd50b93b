"""API authentication: a bearer token (Authorization: Bearer as_...) or the web session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from aftersales.accounts.models import ApiToken


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(token), revoked=False)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


AUTH = [BearerToken(), django_auth]
