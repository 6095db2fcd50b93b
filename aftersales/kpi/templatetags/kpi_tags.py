"""`{% kpi_home_figures %}`: the user's own figures for this month (a technician their own
work, a station manager their station, the head the company), for a home page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from aftersales.accounts.permissions import Perm, has_perm
from aftersales.core import clock
from aftersales.kpi import dashboards

register = template.Library()

HOME = ("first_time_fix", "timely_response", "satisfaction", "mttr_working")


@register.inclusion_tag("web/kpi/_home_figures.html", takes_context=True)
def kpi_home_figures(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not has_perm(user, Perm.KPI_VIEW):
        return {"figures": []}
    today = clock.today()
    period = (today.replace(day=1), today)
    return {"figures": dashboards.headline(user, period, {}, HOME), "period": period}


@register.simple_tag
def field_input(name: str, value: Any, label: Any, error: Any = None) -> str:
    """A small labelled input of the scheme editor (one of a row's repeated fields), marked
    and explained when the row has an error there."""
    return format_html(
        '<label class="form-label small mb-0 d-block w-100">{label}'
        '<input class="form-control form-control-sm{invalid}" name="{name}" value="{value}">'
        "</label>{feedback}",
        label=label,
        invalid=" is-invalid" if error else "",
        name=name,
        value=value if value is not None else "",
        feedback=format_html('<div class="invalid-feedback d-block">{}</div>', error)
        if error
        else "",
    )
