"""Pages for the company's warranty (三包) policies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of
from aftersales.catalog.models import MainComponent, ProductCategory, ProductModel
from aftersales.core.errors import ApplicationError
from aftersales.core.selectors import get_visible
from aftersales.core.validation import ValidationFailed
from aftersales.warranty import engine
from aftersales.warranty.actions import NOT_WEAR_PARTS, warranty_policy_save
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
        label=_("Car: exchange and return period (months)"),
        min_value=engine.CAR.car_months,
        max_value=240,
        required=False,
        help_text=_("At least 24 months (the rule); empty: the rule."),
    )
    car_km = forms.IntegerField(
        label=_("Car: exchange and return period (km)"),
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

    def policy_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in CAR_FIELDS:  # empty: the rule's value
            if data.get(name) is None:
                data[name] = getattr(engine.CAR, name)
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


def _styled(form: forms.Form) -> None:
    """Bootstrap classes and an aria-label (the column header) on every cell of a row."""
    for field in form.fields.values():
        css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        field.widget.attrs.update({"class": css, "aria-label": str(field.label)})


class ComponentRowForm(forms.Form):
    """One main component and its warranty in months (a row of the policy page)."""

    component = forms.ChoiceField(label=_("Main component"), required=False)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=240, required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        _styled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("component") and not data.get("months"):
            self.add_error("months", _("Give the months of this component."))
        return data


PART_CODE_HELP = _("Letters, digits and _, as on the parts used (e.g. battery).")


def _part_code(value: str) -> str:
    code = (value or "").strip()
    if code and (len(code) > 40 or not code.replace("_", "").isalnum()):
        raise forms.ValidationError(PART_CODE_HELP)
    return code


class AccessoryRowForm(forms.Form):
    """One accessory (by its part code) and its own period in months."""

    code = forms.CharField(label=_("Accessory code"), max_length=40, required=False)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=240, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_code(self) -> str:
        return _part_code(self.cleaned_data.get("code", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("code") and not data.get("months"):
            self.add_error("months", _("Give the months of this accessory."))
        return data


class WearPartRowForm(forms.Form):
    """One wear part of a car (by its part code): months and km (empty km: no km limit)."""

    code = forms.CharField(label=_("Wear part code"), max_length=40, required=False)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=120, required=False)
    km = forms.IntegerField(label=_("km"), min_value=0, max_value=1_000_000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_code(self) -> str:
        code = _part_code(self.cleaned_data.get("code", ""))
        if code in NOT_WEAR_PARTS:
            raise forms.ValidationError(
                _("%(code)s is a main system under the car rule, not a wear part.") % {"code": code}
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("code") and not data.get("months"):
            self.add_error("months", _("Give the months of this wear part."))
        return data


class BaseRows(forms.BaseFormSet):
    """Rows keyed by `key` (each key once; a row without it is ignored)."""

    key = "component"
    twice = _("Each main component once.")

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for row in self.forms:
            code = row.cleaned_data.get(self.key)
            if code and code in seen:
                raise forms.ValidationError(self.twice)
            seen.add(code or "")

    def value(self, data: dict[str, Any]) -> Any:
        return data["months"]

    def stored(self) -> dict[str, Any]:
        """The rows as the policy stores them: code -> period."""
        return {
            row.cleaned_data[self.key]: self.value(row.cleaned_data)
            for row in self.forms
            if row.cleaned_data.get(self.key) and row.cleaned_data.get("months")
        }


class BaseAccessoryRows(BaseRows):
    key = "code"
    twice = _("Each accessory once.")


class BaseWearPartRows(BaseRows):
    key = "code"
    twice = _("Each wear part once.")

    def value(self, data: dict[str, Any]) -> Any:
        return [data["months"], data.get("km") or 0]


def _rows(form: type[forms.Form], formset: type[BaseRows]) -> Any:
    return forms.formset_factory(form, formset=formset, extra=3, max_num=50, absolute_max=60)


ComponentRows = _rows(ComponentRowForm, BaseRows)
AccessoryRows = _rows(AccessoryRowForm, BaseAccessoryRows)
WearPartRows = _rows(WearPartRowForm, BaseWearPartRows)


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
def policy_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    policies = list(
        WarrantyPolicy.objects.filter(company_id=company_of(user)).select_related(
            "category", "product_model"
        )
    )
    # Main components by their names (a policy stores their codes).
    names: dict[tuple[int | None, str], str] = {
        (c.category_id, c.code): c.name
        for c in MainComponent.objects.filter(category__company_id=company_of(user))
    }
    any_name = {code: name for (_cat, code), name in names.items()}
    rows = []  # (policy, [(component name, months)])
    for p in policies:
        category_id = p.category_id or (p.product_model.category_id if p.product_model else None)
        components = [
            (names.get((category_id, code)) or any_name.get(code) or code, months)
            for code, months in (p.components or {}).items()
        ]
        rows.append((p, components))
    return render(request, "web/warranty/policies.html", {"policies": rows})


@page(Perm.WARRANTY_EDIT)
def policy_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    policy = (
        get_visible(WarrantyPolicy.objects.filter(company_id=company_of(user)), pk) if pk else None
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
            "windows_restart_on_exchange": policy.windows_restart_on_exchange,
            "car_use_rate": policy.car_use_rate,
            **{name: getattr(policy, name) for name in CAR_FIELDS},
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
    stored = {
        "components": dict(policy.components or {}) if policy else {},
        "accessories": dict(policy.accessories or {}) if policy else {},
        "wear_parts": dict(policy.wear_parts or {}) if policy else {},
    }
    initial_rows = {
        "components": [{"component": c, "months": m} for c, m in stored["components"].items()],
        "accessories": [{"code": c, "months": m} for c, m in stored["accessories"].items()],
        "wear_parts": [
            {"code": c, "months": p[0], "km": p[1] or None} for c, p in stored["wear_parts"].items()
        ],
    }
    kinds: dict[str, tuple[Any, dict[str, Any]]] = {
        "components": (
            ComponentRows,
            {"choices": component_choices(company_of(user), stored["components"])},
        ),
        "accessories": (AccessoryRows, {}),
        "wear_parts": (WearPartRows, {}),
    }
    rows: dict[str, Any] = {}
    posted: set[str] = set()
    for name, (cls, kwargs) in kinds.items():
        if request.method == "POST" and f"{name}-TOTAL_FORMS" in request.POST:
            posted.add(name)
        rows[name] = cls(
            request.POST if name in posted else None,
            prefix=name,
            initial=initial_rows[name],
            form_kwargs=kwargs,
        )
    rows_valid = all(rows[name].is_valid() for name in posted)
    if request.method == "POST" and form.is_valid() and rows_valid:
        fields = form.policy_fields()
        # Rows a client does not send (`<name>-TOTAL_FORMS` missing) stay as they are.
        for name in kinds:
            fields[name] = rows[name].stored() if name in posted else stored[name]
        if not form.errors:
            try:
                warranty_policy_save(actor=user, policy=policy, **fields)
            except ApplicationError as exc:
                if isinstance(exc, ValidationFailed):  # a rows' error goes under its table
                    for name in kinds:
                        if name in exc.errors:
                            rows[name].non_form_errors().append(str(exc.errors.pop(name)))
                apply_errors(form, exc)
            else:
                return redirect("warranty-policies")
    title = policy.name if policy else _("New warranty policy")
    return render(
        request, "web/warranty/policy_form.html", {"form": form, "rows": rows, "title": title}
    )
