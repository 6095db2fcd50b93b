"""A form field's widget with Bootstrap's classes (web/_field.html, so every form on
web/form.html looks like the rest of the app): form-control, form-select or form-check-input,
is-invalid when the field has errors; a list of checkboxes or radio buttons as form-check rows."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


def css_class(widget: forms.Widget) -> str:
    """Bootstrap's class for a widget ("" for one with no visible input of its own)."""
    if isinstance(widget, forms.HiddenInput):
        return ""
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):  # and CheckboxSelectMultiple
        return "form-check-input"
    if isinstance(widget, forms.Select):  # and SelectMultiple, NullBooleanSelect
        return "form-select"
    if getattr(widget, "input_type", "") == "range":
        return "form-range"
    return "form-control"


def _joined(*classes: str) -> str:
    seen: list[str] = []
    for css in classes:
        for name in css.split():
            if name not in seen:
                seen.append(name)
    return " ".join(seen)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    """A single checkbox (its label after it), not a list of them."""
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def styled(field: BoundField) -> SafeString:
    """The field's widget with Bootstrap's classes added to its own."""
    widget = field.field.widget
    css = css_class(widget)
    if not css:
        return SafeString(field.as_widget())
    css = _joined(str(widget.attrs.get("class", "")), css, "is-invalid" if field.errors else "")
    if isinstance(widget, forms.RadioSelect):
        return _options(field, widget, css)
    return SafeString(field.as_widget(attrs={"class": css}))


def _options(field: BoundField, widget: forms.RadioSelect, css: str) -> SafeString:
    """Each choice of a radio or checkbox list as a form-check with its own label."""
    attrs = field.build_widget_attrs({"class": css}, widget)
    if field.auto_id:
        attrs["id"] = field.auto_id
    options = [
        BoundWidget(widget, option, field.form.renderer)
        for option in widget.subwidgets(field.html_name, field.value(), attrs=attrs)
    ]
    rows = format_html_join(
        "",
        '<div class="form-check form-check-inline">{} '
        '<label class="form-check-label" for="{}">{}</label></div>',
        (
            (option.tag(wrap_label=False), option.id_for_label, option.choice_label)
            for option in options
        ),
    )
    return format_html(
        '<div id="{}" role="group" aria-label="{}">{}</div>',
        field.auto_id or "",
        field.label or "",
        rows,
    )
