"""Types shared by the API's schemas: an id the database can hold (a 64-bit integer), so a
larger number is a 422 naming the field instead of a query on a value no row can have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, WithJsonSchema

from aftersales.api.parser import INT_MAX, INT_MIN
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import keyset_page

Id = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]


def known_filter(field: str, value: str, allowed: Iterable[str]) -> None:
    """A list filter's value must be one the list knows ('' = no filter); an unknown one is a
    422 naming the field and the choices, never silently ignored."""
    choices = list(allowed)
    if value and value not in choices:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            status=422,
            details={
                "fields": {
                    field: _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
                }
            },
        )


# A wall-clock time of day ("08:00" or "08:00:00"), documented as such: JSON Schema's
# `format: time` demands a UTC offset, which a shift's or the booking window's time has not.
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "08:00:00"}
    ),
]


class PageParams(Schema):
    """The paging of every list: newest first (by id), `limit` rows; pass `after` = the previous
    page's `next_after` for the next page (`null` on the last page)."""

    after: Id | None = None
    limit: int = Field(50, ge=1, le=200)


def page_of(
    qs: QuerySet[Any], params: PageParams, convert: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """One page of `qs` in the lists' one shape: `{"items": [...], "next_after": id | None}`."""
    page = keyset_page(qs, after=params.after, size=params.limit)
    items = page.items if convert is None else [convert(row) for row in page.items]
    return {"items": items, "next_after": page.next_after}
