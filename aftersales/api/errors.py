"""Every API error is {"code": ..., "message": ...} (plus "details" where useful), 4xx."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from aftersales.core.errors import ApplicationError


def _body(code: str, message: Any, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = _stringify(details)
    return body


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stringify(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return api.create_response(
            request, _body(exc.code, exc.message, exc.details), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = {}
        for err in exc.errors:
            loc = [
                str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")
            ]
            fields[".".join(loc) or "body"] = err.get("msg", "")
        return api.create_response(
            request,
            _body("invalid", _("Some fields are not valid."), {"fields": fields}),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            _body("unauthenticated", _("Please sign in or send a valid token.")),
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and "parse" in str(exc).lower():
            body = _body("malformed_json", _("The request body is not valid JSON."))
        elif exc.status_code == 403:
            body = _body("forbidden", _("You do not have permission to do this."))
        else:
            body = _body("http_error", str(exc))
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, _body("not_found", _("Not found.")), status=404)
