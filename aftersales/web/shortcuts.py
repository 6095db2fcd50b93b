"""What every page view needs: login, a permission check, rule errors shown as pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftersales.accounts.permissions import require
from aftersales.core.errors import ApplicationError
from aftersales.core.validation import ValidationFailed

View = Callable[..., HttpResponse]


def page(perm: str | None = None) -> Callable[[View], View]:
    """Login required, then `perm` required; an ApplicationError becomes an error page with
    its status (403, 404, 409...) instead of a 500."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if perm is not None:
                    require(request.user, perm)
                return view(request, *args, **kwargs)
            except ApplicationError as exc:
                return render(
                    request,
                    "web/error.html",
                    {"code": exc.code, "message": exc.message, "status": exc.status},
                    status=exc.status,
                )

        return login_required(wrapper)

    return decorate


def apply_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Put an action's field errors on the form (unknown fields become form-wide errors)."""
    if isinstance(exc, ValidationFailed):
        for field, message in exc.errors.items():
            target = field if field in form.fields else None
            if target is None and f"{field}_id" in form.fields:
                target = f"{field}_id"
            form.add_error(target, str(message))
    else:
        form.add_error(None, str(exc.message))


def flash_error(request: HttpRequest, exc: ApplicationError) -> None:
    """A refused action on a page that redirects: the message, with the field messages."""
    detail = ""
    if isinstance(exc, ValidationFailed):
        detail = " ".join(str(m) for m in exc.errors.values())
    messages.error(request, f"{exc.message} {detail}".strip())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
