"""Pages for the company's warranty (三包) policies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.permissions import Perm
from aftersales.catalog.models import MainComponent, ProductCategory, ProductModel
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.warranty import engine
from aftersales.warranty.actions import warranty_policy_save
from aftersales.warranty.models import KIND_CHOICES, WarrantyPolicy
from aftersales.web.shortcuts import apply_errors, page

CAR_FIELDS = (
    "car_months",
    "car_km",
    "car_repair_months",
    "car_repair_km",
    "car_loaner_after_days",
    "car_max_repair_days",
    "car_max_same_fault_repairs",
)
SPAN_HELP = _("Positions in the serial, e.g. 2-4 (first character = 0)")


def _span(text: str) -> list[int] | None:
    text = (text or "").strip()
    if not text:
        return None
    start, _sep, end = text.partition("-")
    return [int(start), int(end)]


class WarrantyPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Rule"), choices=KIND_CHOICES)
    category = forms.ModelChoiceField(
        label=_("Product category"), queryset=ProductCategory.objects.none(), required=False
    )
    product_model = forms.ModelChoiceField(
        label=_("Product model"), queryset=ProductModel.objects.none(), required=False
    )
    whole_unit_months = forms.IntegerField(label=_("Whole unit (months)"), min_value=1, initial=12)
    accessories = forms.CharField(
        label=_("Accessories (months)"),
        required=False,
        help_text=_("e.g. battery:6, charger:12, headset:3"),
    )
    start_event = forms.ChoiceField(
        label=_("Period starts at"),
        choices=[
            ("invoice", _("Invoice date")),
            ("sale", _("Sale date")),
            ("delivery", _("Delivery date")),
            ("installation", _("Installation date")),
        ],
    )
    return_days = forms.IntegerField(label=_("Return window (days)"), min_value=0, initial=7)
    exchange_days = forms.IntegerField(label=_("Exchange window (days)"), min_value=0, initial=15)
    repair_count_threshold = forms.IntegerField(
        label=_("Repairs before exchange"), min_value=1, initial=2
    )
    max_repair_days = forms.IntegerField(label=_("Max repair days"), min_value=1, initial=30)
    max_parts_wait_days = forms.IntegerField(
        label=_("Max days waiting for parts"), min_value=1, initial=90
    )
    windows_restart_on_exchange = forms.BooleanField(
        label=_("The 7/15-day windows restart on an exchange (more than the law)"),
        required=False,
    )
    void_without_documents = forms.BooleanField(
        label=_("Void without voucher and invoice"), required=False
    )
    car_use_rate = forms.DecimalField(
        label=_("Car: use compensation rate n"),
        min_value=Decimal(0),
        max_value=Decimal("0.005"),
        decimal_places=5,
        initial=Decimal("0.005"),
        required=False,
        help_text=_("A car return owes price × km ÷ 1000 × n; at most 0.005 (0.5 %)."),
    )
    car_months = forms.IntegerField(
        label=_("Car: 三包 period (months)"),
        min_value=engine.CAR.car_months,
        max_value=240,
        required=False,
        help_text=_("At least 24 months (the rule); empty: the rule."),
    )
    car_km = forms.IntegerField(
        label=_("Car: 三包 period (km)"),
        min_value=engine.CAR.car_km,
        required=False,
        help_text=_("At least 50,000 km; empty: the rule."),
    )
    car_repair_months = forms.IntegerField(
        label=_("Car: repair warranty (months)"),
        min_value=engine.CAR.car_repair_months,
        max_value=240,
        required=False,
        help_text=_("At least 36 months; empty: the rule."),
    )
    car_repair_km = forms.IntegerField(
        label=_("Car: repair warranty (km)"),
        min_value=engine.CAR.car_repair_km,
        required=False,
        help_text=_("At least 60,000 km; empty: the rule."),
    )
    car_loaner_after_days = forms.IntegerField(
        label=_("Car: loaner after repair days"),
        min_value=0,
        max_value=engine.CAR.car_loaner_after_days,
        required=False,
        help_text=_("At most 5 (a loaner from day 6); empty: the rule."),
    )
    car_max_repair_days = forms.IntegerField(
        label=_("Car: cumulative repair days before exchange or return"),
        min_value=1,
        max_value=engine.CAR.car_max_repair_days,
        required=False,
        help_text=_("At most 30; empty: the rule."),
    )
    car_max_same_fault_repairs = forms.IntegerField(
        label=_("Car: repairs of the same fault before exchange or return"),
        min_value=1,
        max_value=engine.CAR.car_max_same_fault_repairs,
        required=False,
        help_text=_("At most 4; empty: the rule."),
    )
    wear_parts = forms.CharField(
        label=_("Car: wear parts (months/km)"),
        required=False,
        help_text=_("e.g. pads:12/30000, wipers:6 (no km: no km limit)"),
    )
    serial_year = forms.CharField(label=_("Serial: year"), required=False, help_text=SPAN_HELP)
    serial_month = forms.CharField(label=_("Serial: month"), required=False)
    serial_week = forms.CharField(label=_("Serial: week"), required=False)
    shipping_allowance_days = forms.IntegerField(
        label=_("Shipping allowance (days)"), min_value=0, initial=30
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.filter(  # type: ignore[attr-defined]
            company_id=user.company_id
        )
        self.fields["product_model"].queryset = ProductModel.objects.filter(  # type: ignore[attr-defined]
            category__company_id=user.company_id
        )

    def _months(self, data: dict[str, Any], name: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in (data.pop(name) or "").split(","):
            if chunk.strip():
                code, _sep, months = chunk.partition(":")
                try:
                    out[code.strip()] = int(months)
                except ValueError:
                    self.add_error(name, _("Write code:months, separated by commas."))
        return out

    def _wear_parts(self, data: dict[str, Any]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for chunk in (data.pop("wear_parts") or "").split(","):
            if chunk.strip():
                code, _sep, period = chunk.partition(":")
                months, _sep, km = period.partition("/")
                try:
                    out[code.strip()] = [int(months), int(km or 0)]
                except ValueError:
                    self.add_error("wear_parts", _("Write code:months/km, separated by commas."))
        return out

    def policy_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["wear_parts"] = self._wear_parts(data)
        for name in CAR_FIELDS:  # empty: the rule's value
            if data.get(name) is None:
                data[name] = getattr(engine.CAR, name)
        data["accessories"] = self._months(data, "accessories")
        if data.get("car_use_rate") is None:
            data["car_use_rate"] = Decimal("0.005")
        try:
            year = _span(data.pop("serial_year"))
            month = _span(data.pop("serial_month"))
            week = _span(data.pop("serial_week"))
        except ValueError:
            self.add_error("serial_year", SPAN_HELP)
            year = month = week = None
        data["serial_format"] = (
            {
                "year": year,
                **({"month": month} if month else {}),
                **({"week": week} if week else {}),
            }
            if year
            else None
        )
        return data


class ComponentRowForm(forms.Form):
    """One main component and its warranty in months (a row of the policy page)."""

    component = forms.ChoiceField(label=_("Main component"), required=False)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=240, required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["component"]
        field.choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        field.widget.attrs.update({"class": "form-select", "aria-label": str(field.label)})
        months = self.fields["months"]
        months.widget.attrs.update({"class": "form-control", "aria-label": str(months.label)})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("component") and not data.get("months"):
            self.add_error("months", _("Give the months of this component."))
        return data


class BaseComponentRows(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for row in self.forms:
            code = row.cleaned_data.get("component")
            if code and code in seen:
                raise forms.ValidationError(_("Each main component once."))
            seen.add(code or "")

    def months(self) -> dict[str, int]:
        """The rows as the policy stores them: component code -> months."""
        return {
            row.cleaned_data["component"]: row.cleaned_data["months"]
            for row in self.forms
            if row.cleaned_data.get("component") and row.cleaned_data.get("months")
        }


ComponentRows = forms.formset_factory(
    ComponentRowForm, formset=BaseComponentRows, extra=3, max_num=50, absolute_max=60
)


def component_choices(company_id: int, stored: dict[str, int]) -> list[tuple[str, str]]:
    """The company's main components by name (a code shared by several categories shows its
    names together); a stored code no longer in the catalogue keeps its row."""
    names: dict[str, list[str]] = {}
    for code, name in (
        MainComponent.objects.filter(category__company_id=company_id)
        .order_by("name")
        .values_list("code", "name")
    ):
        if name not in names.setdefault(code, []):
            names[code].append(name)
    for code in stored:
        names.setdefault(code, [code])
    return sorted(((code, " / ".join(n)) for code, n in names.items()), key=lambda c: c[1])


@page(Perm.WARRANTY_EDIT)
def policy_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    policies = list(
        WarrantyPolicy.objects.filter(company_id=user.company_id).select_related(
            "category", "product_model"
        )
    )
    # Main components by their names (a policy stores their codes).
    names = {
        (c.category_id, c.code): c.name
        for c in MainComponent.objects.filter(category__company_id=user.company_id)
    }
    any_name = {code: name for (_cat, code), name in names.items()}
    for p in policies:
        category_id = p.category_id or (p.product_model.category_id if p.product_model else None)
        p.component_rows = [
            (names.get((category_id, code)) or any_name.get(code) or code, months)
            for code, months in (p.components or {}).items()
        ]
    return render(request, "web/warranty/policies.html", {"policies": policies})


@page(Perm.WARRANTY_EDIT)
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    policy = (
        get_visible(WarrantyPolicy.objects.filter(company_id=user.company_id), pk) if pk else None
    )
    initial: dict[str, Any] = {}
    if policy is not None:
        fmt = policy.serial_format or {}
        initial = {
            "name": policy.name,
            "kind": policy.kind,
            "category": policy.category_id,
            "product_model": policy.product_model_id,
            "whole_unit_months": policy.whole_unit_months,
            "accessories": ", ".join(f"{k}:{v}" for k, v in (policy.accessories or {}).items()),
            "windows_restart_on_exchange": policy.windows_restart_on_exchange,
            "car_use_rate": policy.car_use_rate,
            **{name: getattr(policy, name) for name in CAR_FIELDS},
            "wear_parts": ", ".join(
                f"{k}:{v[0]}/{v[1]}" if v[1] else f"{k}:{v[0]}"
                for k, v in (policy.wear_parts or {}).items()
            ),
            "start_event": policy.start_event,
            "return_days": policy.return_days,
            "exchange_days": policy.exchange_days,
            "repair_count_threshold": policy.repair_count_threshold,
            "max_repair_days": policy.max_repair_days,
            "max_parts_wait_days": policy.max_parts_wait_days,
            "void_without_documents": policy.void_without_documents,
            "serial_year": "-".join(map(str, fmt.get("year") or [])),
            "serial_month": "-".join(map(str, fmt.get("month") or [])),
            "serial_week": "-".join(map(str, fmt.get("week") or [])),
            "shipping_allowance_days": policy.shipping_allowance_days,
        }
    form = WarrantyPolicyForm(request.POST or None, initial=initial, user=user)
    stored = dict(policy.components or {}) if policy is not None else {}
    kwargs = {"choices": component_choices(user.company_id, stored)}
    posted_rows = request.method == "POST" and "components-TOTAL_FORMS" in request.POST
    rows = ComponentRows(
        request.POST if posted_rows else None,
        prefix="components",
        initial=[{"component": c, "months": m} for c, m in stored.items()],
        form_kwargs=kwargs,
    )
    if request.method == "POST" and form.is_valid() and (not posted_rows or rows.is_valid()):
        fields = form.policy_fields()
        # Without the rows (a client that does not send them), the components stay as they are.
        fields["components"] = rows.months() if posted_rows else stored
        if not form.errors:
            try:
                warranty_policy_save(actor=user, policy=policy, **fields)
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("warranty-policies")
    title = policy.name if policy else _("New warranty policy")
    return render(
        request, "web/warranty/policy_form.html", {"form": form, "rows": rows, "title": title}
    )
