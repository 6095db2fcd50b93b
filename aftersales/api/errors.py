"""Every API error is {"code": ..., "message": ...} (plus "details" where useful), 4xx, with the
message in the caller's language (Accept-Language): rule violations, validation (pydantic's
messages translated), missing credentials (401), numbers out of range, bodies too large."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
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


def _limit(ctx: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in ctx:
            return ctx[name]
    return ""


def validation_message(err: dict[str, Any]) -> str:
    """One pydantic error as a sentence in the active language (pydantic's own are English)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our own validators raise translated messages
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_parsing", "decimal_type")):
        return _("Enter a number.")
    if kind in ("decimal_max_places",):
        return _("At most %(n)s decimal places.") % {"n": _limit(ctx, "decimal_places")}
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("The number has too many digits.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind in ("string_type", "string_unicode", "string_sub_type"):
        return _("Enter text.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": _limit(ctx, "max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": _limit(ctx, "min_length")}
    if kind == "too_long":
        return _("At most %(n)s items.") % {"n": _limit(ctx, "max_length")}
    if kind == "too_short":
        return _("At least %(n)s items.") % {"n": _limit(ctx, "min_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(n)s.") % {"n": _limit(ctx, "ge", "gt")}
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(n)s.") % {"n": _limit(ctx, "le", "lt")}
    if kind.startswith("datetime_"):
        return _("Enter a date and time (ISO 8601, e.g. 2026-05-01T09:00:00+08:00).")
    if kind.startswith("date_"):
        return _("Enter a date (YYYY-MM-DD).")
    if kind.startswith("time_"):
        return _("Enter a time (HH:MM).")
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": _limit(ctx, "expected")}
    if kind in ("model_type", "dict_type", "model_attributes_type", "dataclass_type"):
        return _("Send an object.")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Send a list.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    if kind.startswith("uuid_"):
        return _("Enter a valid UUID.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    return _("This value is not valid.")


def _fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        loc = list(err.get("loc", []))
        if loc and loc[0] in ("form", "file", "header", "cookie"):
            loc = loc[1:]
        loc = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
        fields.setdefault(".".join(loc) or "body", validation_message(err))
    return fields


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return api.create_response(
            request, _body(exc.code, exc.message, exc.details), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(
            request,
            _body("invalid", _("Some fields are not valid."), {"fields": _fields(exc.errors)}),
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
        # The body parser's refusals (not an object, control characters, numbers out of range)
        # arrive wrapped in ninja's "cannot parse" 400: answer them as themselves.
        if isinstance(exc.__cause__, ApplicationError):
            return application_error(request, exc.__cause__)
        if isinstance(exc.__cause__, RequestDataTooBig):
            return too_big(request, exc.__cause__)
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

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # An id or count beyond what the database stores (e.g. 2**63): no such row, no write.
        return api.create_response(
            request, _body("out_of_range", _("A number is out of range.")), status=422
        )

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # PostgreSQL's refusal of a value its column cannot hold (the statement is rolled back).
        return api.create_response(
            request,
            _body("out_of_range", _("A value is out of range or too long.")),
            status=422,
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(
            request, _body("too_large", _("The request body is too large.")), status=413
        )
