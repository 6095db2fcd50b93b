"""Read helpers shared by every app's selectors: lookup in a scoped queryset, keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import NotFound

M = TypeVar("M", bound=Model)


def get_visible(qs: QuerySet[Any], pk: Any) -> Any:
    """The row with this id if the (already scoped) queryset has it; 404 otherwise, so that an
    id from another station looks exactly like an id that does not exist."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("not_found", _("Not found.")) from None
    # At most one row: no ORDER BY to build or run (`first()` would add one).
    found = list(qs.filter(pk=pk).order_by()[:1])
    if not found:
        raise NotFound("not_found", _("Not found."))
    return found[0]


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_after: int | None
    has_previous: bool


def keyset_page(qs: QuerySet[Any], *, after: Any = None, size: int = 25) -> Page[Any]:
    """Newest first, `size` rows with id below `after`. Uses the (scope, id) indexes, so the
    cost does not grow with the table the way OFFSET and COUNT do."""
    size = max(1, min(int(size), 200))
    try:
        after_id = int(after) if after not in (None, "") else None
    except (TypeError, ValueError):
        after_id = None
    if after_id is not None:
        qs = qs.filter(pk__lt=after_id)
    rows = list(qs.order_by("-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        items=rows,
        next_after=rows[-1].pk if more and rows else None,
        has_previous=after_id is not None,
    )


# A search matches at most this many rows; past that, refine the search.
SEARCH_CAP = 5000


def matching_ids(
    first: QuerySet[Any], *more: QuerySet[Any], cap: int = SEARCH_CAP, newest: bool = False
) -> list[Any]:
    """The ids matched by a UNION of indexed lookups (each a `.values("pk")` queryset), read
    into a list, at most `cap`. Filtering by a list of ids lets PostgreSQL fetch those rows by
    primary key; with the UNION as a subquery it may instead walk the whole table in id order
    (measured: 330 ms at 1M units for a serial prefix, against 20 ms).

    `newest`: the highest `cap` ids, each once, so a capped search always keeps the same (the
    newest) rows — for searches whose matches are bounded (a name's customers, the orders of
    capped units). Without it the database stops at the first `cap` matches in any order: a
    short serial or phone prefix may match most of the table, which must not be sorted."""
    if newest:
        union = first.union(*more) if more else first
        return list(union.values_list("pk", flat=True).order_by("-pk")[:cap])
    union = first.union(*more, all=True) if more else first
    return list(union.values_list("pk", flat=True)[:cap])


def as_id(value: Any) -> int:
    """An object's id, or a number given as text; -1 (matches no row) for anything else."""
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
