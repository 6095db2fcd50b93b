"""Under /api/ every error is JSON `{code, message}` in the caller's language, also the ones no
endpoint produces: an unknown path (404), a method the path does not take (405, with `Allow`),
a body over the size limit (413), a malformed request (400) and, should one ever happen, a
server error (500, without details)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _message(status: int) -> tuple[str, str]:
    if status == 404:
        return "not_found", _("Not found.")
    if status == 405:
        return "method_not_allowed", _("This method is not allowed here.")
    if status == 413:
        return "too_large", _("The request body is too large.")
    if status == 401:
        return "unauthenticated", _("Please sign in or send a valid token.")
    if status == 403:
        return "forbidden", _("You do not have permission to do this.")
    if status >= 500:
        return "server_error", _("Something went wrong on our side. Please try again later.")
    return "bad_request", _("The request is not valid.")


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if _is_json(response) or getattr(response, "streaming", False):
            return response
        code, message = _message(response.status_code)
        replaced = JsonResponse(
            {"code": code, "message": str(message)},
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX) and isinstance(exc, RequestDataTooBig):
            code, message = _message(413)
            return JsonResponse({"code": code, "message": str(message)}, status=413)
        return None
