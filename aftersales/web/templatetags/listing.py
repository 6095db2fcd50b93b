"""Links of paged lists that keep the list's filters."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_without(context: dict[str, Any], *names: str) -> str:
    """The current page's query string without `names` (e.g. the page cursor), so that a
    link to another page keeps every filter, not only the search."""
    request = context.get("request")
    if request is None:
        return ""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return str(params.urlencode())
