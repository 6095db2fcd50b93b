"""The generic form (web/form.html, web/_field.html): Bootstrap's classes on every widget, the
label above it with a capital, errors and help text as Bootstrap shows them."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.template.loader import render_to_string


class SampleForm(forms.Form):
    name = forms.CharField(label="name", help_text="As on the invoice.")
    notes = forms.CharField(label="notes", widget=forms.Textarea, required=False)
    kind = forms.ChoiceField(label="kind", choices=[("a", "A"), ("b", "B")])
    day = forms.DateField(label="day", widget=forms.DateInput(attrs={"type": "date"}))
    price = forms.DecimalField(label="price", min_value=0)
    active = forms.BooleanField(label="active", required=False)
    weekdays = forms.MultipleChoiceField(
        label="weekdays", choices=[("0", "Mon"), ("1", "Tue")], widget=forms.CheckboxSelectMultiple
    )
    wide = forms.CharField(label="wide", widget=forms.TextInput(attrs={"class": "font-monospace"}))
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def _render(form: forms.Form) -> str:
    return "".join(render_to_string("web/_field.html", {"field": field}) for field in form)


def _tag(html: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)
    assert match, field_id
    return match.group(0)


def _classes(tag: str) -> set[str]:
    match = re.search(r'class="([^"]*)"', tag)
    return set(match.group(1).split()) if match else set()


def test_every_widget_gets_bootstrap_classes_and_labels_start_with_a_capital() -> None:
    html = _render(SampleForm(initial={"weekdays": ["1"]}))
    for field_id in ["id_name", "id_notes", "id_day", "id_price", "id_wide"]:
        assert "form-control" in _classes(_tag(html, field_id)), field_id
    assert "form-select" in _classes(_tag(html, "id_kind"))
    assert "form-check-input" in _classes(_tag(html, "id_active"))
    assert {"font-monospace", "form-control"} <= _classes(_tag(html, "id_wide"))  # its own kept
    # A checkbox list: each choice a form-check with its own label.
    for n in ("0", "1"):
        assert "form-check-input" in _classes(_tag(html, f"id_weekdays_{n}"))
    assert 'class="form-check-label" for="id_weekdays_1">Tue</label>' in html
    assert 'value="1" class="form-check-input" id="id_weekdays_1" checked' in html
    # Labels above their input (form-label), with a capital first letter.
    assert '<label class="form-label d-block" for="id_name">Name</label>' in html
    assert '<label class="form-check-label" for="id_active">Active</label>' in html
    assert ">Weekdays</label>" in html
    assert 'class="form-text" id="id_name_helptext"' in html
    assert 'aria-describedby="id_name_helptext"' in _tag(html, "id_name")
    # A hidden field is only its input: no label, no margin box.
    assert '<input type="hidden" name="token" id="id_token">' in html
    assert ">Token</label>" not in html
    assert "is-invalid" not in html and "invalid-feedback" not in html


def test_errors_mark_the_widget_invalid_and_show_under_it() -> None:
    form = SampleForm(
        data={"name": "", "kind": "a", "day": "x", "price": "-1", "weekdays": [], "wide": "x"}
    )
    assert not form.is_valid()
    html = _render(form)
    for field_id in ["id_name", "id_day", "id_price", "id_weekdays_0"]:
        assert {"is-invalid"} <= _classes(_tag(html, field_id)), field_id
    assert "is-invalid" not in _classes(_tag(html, "id_notes"))
    assert "is-invalid" not in _classes(_tag(html, "id_kind"))
    assert html.count('<div class="invalid-feedback d-block">') == 4


def test_generic_form_page_is_styled_with_capitalised_english_labels(data, agent, login) -> None:
    client = login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    agent.language = "en"
    agent.save(update_fields=["language"])
    html = client.get(f"/customers/{data['c1'].pk}/edit/").content.decode()
    assert "form-control" in _classes(_tag(html, "id_name"))
    assert "form-select" in _classes(_tag(html, "id_kind"))
    labels = re.findall(r'<label class="form-label d-block" for="id_\w+">([^<]+)</label>', html)
    assert "Messages by" in labels and "Language" in labels, labels
    assert all(label[0] == label[0].upper() for label in labels), labels
    html = client.get(f"/units/{data['u1'].pk}/edit/").content.decode()
    assert "form-select" in _classes(_tag(html, "id_product_model"))
    assert "form-control" in _classes(_tag(html, "id_purchase_date"))
