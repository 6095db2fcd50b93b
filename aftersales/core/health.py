"""GET /healthz: is the database answering, is the queue storage reachable."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.exception("health check: database")
        return False


def _queue_ok() -> bool:
    try:
        HUEY.storage.queue_size()
        return True
    except Exception:
        log.exception("health check: queue")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    parts = {"database": _database_ok(), "queue": _queue_ok()}
    body = {"status": "ok" if all(parts.values()) else "error"}
    body.update({name: "ok" if ok else "error" for name, ok in parts.items()})
    return JsonResponse(body, status=200 if all(parts.values()) else 503)
