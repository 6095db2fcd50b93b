"""What every page view needs: login, a permission check, rule errors shown as pages."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.permissions import require
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.validation import ValidationFailed
from aftersales.orders import uploads

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
                return error_page(request, exc)

        return login_required(wrapper)

    return decorate


def posted_version(request: HttpRequest) -> int | None:
    """The record's `version` a form posted with it, or None when the form sent none (the
    action then does not check it). Anything but a whole number is refused (422), not a 500."""
    version = request.POST.get("version")
    if not version:
        return None
    try:
        return int(version)
    except ValueError:
        raise ValidationFailed(
            {"version": gettext("Someone else changed this record; reload it and try again.")}
        ) from None


def error_page(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """A refused request as a page with the error's status (403, 404, 409...)."""
    return render(
        request,
        "web/error.html",
        {"code": exc.code, "message": exc.message, "status": exc.status},
        status=exc.status,
    )


def stored_image(row: Any) -> HttpResponse:
    """An uploaded image (attachment, photo, signature) from outside the static root: never
    sniffed as anything else, cached only by the user's browser. The caller checked scope."""
    if row is None:
        raise NotFound("not_found", _("Not found."))
    try:
        data = uploads.open_stored(row.stored_name)
    except FileNotFoundError:
        raise NotFound("not_found", _("Not found.")) from None
    response = HttpResponse(data, content_type=getattr(row, "content_type", "image/png"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


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


def day_param(value: str | None) -> dt.date:
    """A `?day=YYYY-MM-DD` parameter, or today (local) when missing or not a date."""
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return clock.today()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local_time(moment: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as a list or an export shows it: local time, minutes; "" for none."""
    return timezone.localtime(moment).strftime(fmt) if moment else ""


# Rows in one export of a list (a last row says when more were left out).
EXPORT_LIMIT = 10_000


def export_rows(
    rows: Iterable[Sequence[Any]], *, limit: int, capped_at: int | None = None
) -> Iterator[Sequence[Any]]:
    """At most `limit` rows of an export (give it `limit + 1`), then, if the list was cut
    short, a last row that says so: at `capped_at` rows (a capped short-name search) or at
    `limit` (more rows than one export holds). Nothing is dropped silently."""
    for count, row in enumerate(rows):
        if count == limit:
            capped_at = limit
            break
        yield row
    if capped_at is not None:
        yield [
            gettext(
                "Only the first %(n)s rows are exported: refine the search or the filters "
                "to export every match."
            )
            % {"n": capped_at}
        ]


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
