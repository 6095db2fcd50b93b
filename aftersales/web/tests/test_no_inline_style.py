"""The Content-Security-Policy allows no inline style (style-src 'self'): no template may carry a
style attribute or a <style> element, which the browser would refuse. Sizes from data go in
data-style, applied through the CSSOM by static/datastyle.js; fixed ones are classes in
static/aftersales.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.admin import site

import aftersales
from aftersales.core.middleware import policy

ROOT = Path(aftersales.__file__).parent
INLINE = re.compile(r"(?<![\w-])style\s*=|<style[\s>]", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("templates/**/*")
        if p.is_file() and p.suffix in {".html", ".txt", ".xml", ".svg"}
    )


def test_no_template_has_an_inline_style():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE.search(line)
    ]
    assert len(templates()) > 100
    assert found == [], "\n".join(found)


def test_the_policy_allows_no_inline_style_or_script():
    directives = dict(d.strip().split(" ", 1) for d in policy().split(";"))
    assert directives["style-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def test_the_pattern_catches_what_it_should():
    assert INLINE.search('<div style="width: 1px">')
    assert INLINE.search("<STYLE>p {}</STYLE>")
    assert not INLINE.search('<div data-style="width: 1px">')
    assert not INLINE.search('<link rel="stylesheet" href="x.css">')


@pytest.mark.django_db
def test_the_admin_pages_carry_no_inline_style(make_user, login):
    """The Django admin (superusers only) is served under the same policy: its index, every
    registered model's list and add form render without a style attribute or element."""
    admin = make_user("service_manager")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client = login(admin)
    urls = ["/admin/"] + [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/{page}"
        for model in site._registry
        for page in ("", "add/")
    ]
    found = []
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        if response.status_code == 200 and INLINE.search(response.content.decode()):
            found.append(url)
    assert len(urls) >= 5  # auth groups and the lock-out records of django-axes
    assert found == []
