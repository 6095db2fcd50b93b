"""How the field-work events read on a timeline: a label per action and a short detail from
the event's payload (plain data in, text out)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.fieldwork.choices import Cause, PaymentMethod, PhotoKind, Result

ACTION_LABELS = {
    "eta": gettext_lazy("On the way, arrival expected"),
    "check_in": gettext_lazy("Checked in on site"),
    "call_attempt": gettext_lazy("Call to the customer tried"),
    "notice": gettext_lazy("Appointment called off"),
    "condition": gettext_lazy("Condition check signed"),
    "diagnosis": gettext_lazy("Diagnosis"),
    "acknowledged": gettext_lazy("Customer acknowledged: not a product fault"),
    "photos": gettext_lazy("Photos"),
    "part_used": gettext_lazy("Part used"),
    "quote": gettext_lazy("Quote"),
    "quote_accepted": gettext_lazy("Quote accepted"),
    "payment": gettext_lazy("Payment received"),
    "finish": gettext_lazy("Visit finished"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _choice(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def detail(action: str, p: dict[str, Any]) -> str:
    """A one-line summary of what the event recorded."""
    if action == "eta" and p.get("eta"):
        moment = parse_datetime(p["eta"])
        return timezone.localtime(moment).strftime("%H:%M") if moment else ""
    if action == "check_in" and p.get("distance_m") is not None:
        return _("%(m)s m from the address") % {"m": p["distance_m"]}
    if action == "call_attempt":
        return str(p.get("attempts", ""))
    if action == "notice":
        return _("late notice") if p.get("late_notice") else ""
    if action == "condition":
        return "; ".join(
            [
                _("complete") if p.get("complete") else _("not complete"),
                _("signs of tampering") if p.get("tampered") else _("no signs of tampering"),
                *([p["notes"]] if p.get("notes") else []),
            ]
        )
    if action == "diagnosis":
        codes = " ".join(p.get("fault_codes") or [])
        return f"{_choice(Cause, p.get('cause'))} {codes}".strip()
    if action == "photos":
        return f"{_choice(PhotoKind, p.get('kind'))} ×{len(p.get('photos') or [])}"
    if action == "part_used":
        old = f" ({_('old')} {p['old_serial']})" if p.get("old_serial") else ""
        return f"{p.get('name', '')} ×{p.get('quantity', '')}{old}"
    if action in ("quote", "quote_accepted"):
        return f"¥{p.get('total', '')}"
    if action == "payment":
        return f"{p.get('receipt', '')} ¥{p.get('amount', '')} {_choice(PaymentMethod, p.get('method'))}"
    if action == "finish":
        rating = f" · {p['rating']}★" if p.get("rating") else ""
        return f"{_choice(Result, p.get('result'))}{rating}"
    return ""
