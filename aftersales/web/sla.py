"""Pages for service-level policies and the company's working hours."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import Region
from aftersales.accounts.permissions import Perm, company_of
from aftersales.calendars import actions as calendar_actions
from aftersales.calendars.selectors import work_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.orders import service_levels
from aftersales.orders.choices import Clock, Priority, ServiceType
from aftersales.orders.models import SlaPolicy
from aftersales.web.shortcuts import apply_errors, page

BLANK = [("", "—")]


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[*BLANK, *Priority.choices], required=False
    )
    service_type = forms.ChoiceField(
        label=_("Service type"), choices=[*BLANK, *ServiceType.choices], required=False
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )
    contract_level = forms.CharField(label=_("Contract level"), max_length=32, required=False)
    respond_minutes = forms.IntegerField(label=_("Respond within (minutes)"), required=False)
    respond_clock = forms.ChoiceField(label=_("Clock"), choices=Clock.choices)
    arrive_minutes = forms.IntegerField(label=_("Arrive within (minutes)"), required=False)
    arrive_clock = forms.ChoiceField(label=_("Clock"), choices=Clock.choices)
    resolve_minutes = forms.IntegerField(label=_("Resolve within (minutes)"), required=False)
    resolve_clock = forms.ChoiceField(label=_("Clock"), choices=Clock.choices)
    rank = forms.IntegerField(label=_("Rank"), min_value=0, initial=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(company_id=user.company_id)  # type: ignore[attr-defined]


@page(Perm.SLA_EDIT)
def policy_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    policies = SlaPolicy.objects.filter(company_id=company_of(user)).select_related("region")
    return render(request, "web/orders/sla.html", {"policies": policies})


@page(Perm.SLA_EDIT)
def policy_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    policy = get_visible(SlaPolicy.objects.filter(company_id=company_of(user)), pk) if pk else None
    initial: dict[str, Any] = {}
    if policy is not None:
        initial = {f: getattr(policy, f) for f in service_levels.POLICY_FIELDS if f != "region"}
        initial["region"] = policy.region_id
    form = PolicyForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            service_levels.sla_policy_save(actor=user, policy=policy, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("sla-list")
    title = policy.label if policy else _("New service-level policy")
    return render(request, "web/form.html", {"form": form, "title": title})


class HoursForm(forms.Form):
    intervals = forms.CharField(
        label=_("Working intervals"),
        help_text=_("e.g. 09:00-12:00, 13:00-18:00"),
        max_length=200,
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Working weekdays"),
        choices=[
            ("0", _("Monday")),
            ("1", _("Tuesday")),
            ("2", _("Wednesday")),
            ("3", _("Thursday")),
            ("4", _("Friday")),
            ("5", _("Saturday")),
            ("6", _("Sunday")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )


@page(Perm.CALENDAR_EDIT)
def hours_edit(request: AuthedRequest) -> HttpResponse:
    user = request.user
    cal = work_calendar(company_of(user))
    initial = {
        "intervals": ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in cal.intervals),
        "weekdays": [str(d) for d in sorted(cal.weekdays)],
    }
    form = HoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        pairs = []
        for chunk in form.cleaned_data["intervals"].split(","):
            start, _sep, end = chunk.strip().partition("-")
            pairs.append((start.strip(), end.strip()))
        try:
            calendar_actions.company_hours_set(
                actor=user,
                intervals=pairs,
                weekdays=[int(d) for d in form.cleaned_data["weekdays"]],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("calendar")
    return render(request, "web/form.html", {"form": form, "title": _("Working hours")})
