"""The 500 handler: a database that is restarting or unreachable answers 503 with
Retry-After (the client may send the same request again), not 500.

Django turns an exception anywhere in a request into the `handler500` view, inside the
`except` block, so the exception is at hand here. The answer touches neither the database nor
templates with context processors (they may need the database): JSON `{code, message}` under
/api/, a short page elsewhere.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    if not database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    log.warning("database unavailable: %s %s answered 503", request.method, request.path)
    message = _("The service is briefly unavailable; please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "unavailable", "message": message}, status=503)
    else:
        response = HttpResponse(
            f'<!doctype html><meta charset="utf-8"><title>503</title><p>{message}</p>',
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
