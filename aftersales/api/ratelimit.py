"""Rate limits on the API: per token (or signed-in user) and per client address, answered with
429 `{code, message}` and `Retry-After`.

A fixed one-minute window counted in the cache: Redis when `REDIS_URL` is set (the limit holds
across every web process and machine), else each process's memory (one machine, a limit per
process). The address is the connection's, or, behind `AFTERSALES_PROXY_COUNT` trusted proxies
that append to `X-Forwarded-For`, the one the outermost proxy saw. A limit of 0 is off.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from aftersales.api.middleware import API_PREFIX

WINDOW_SECONDS = 60
log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    proxies = int(getattr(settings, "AFTERSALES_PROXY_COUNT", 0) or 0)
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def caller_key(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return "t:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:24]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return None


def _over(key: str, limit: int, window: int) -> bool:
    name = f"ratelimit:{key}:{window}"
    cache.add(name, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    return count > limit


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        per_caller = int(getattr(settings, "AFTERSALES_API_RATE_PER_CALLER", 0) or 0)
        per_address = int(getattr(settings, "AFTERSALES_API_RATE_PER_ADDRESS", 0) or 0)
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        checks = []
        caller = caller_key(request)
        if per_caller and caller:
            checks.append((caller, per_caller))
        if per_address:
            checks.append(("a:" + client_address(request), per_address))
        for key, limit in checks:
            try:
                over = _over(key, limit, window)
            except Exception:  # the cache (Redis) away for a moment: serve rather than fail
                log.warning("rate limit not checked: cache unavailable", exc_info=True)
                over = False
            if over:
                retry = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
                response = JsonResponse(
                    {
                        "code": "rate_limited",
                        "message": _("Too many requests; try again in %(seconds)s seconds.")
                        % {"seconds": retry},
                    },
                    status=429,
                    json_dumps_params={"ensure_ascii": False},
                )
                response["Retry-After"] = str(retry)
                return response
        return self.get_response(request)
