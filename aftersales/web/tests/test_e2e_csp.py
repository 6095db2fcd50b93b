"""Every page of the page sweep, loaded in Chromium: no Content-Security-Policy violation (an
inline script, an event-handler attribute, a foreign source) and no console error or uncaught
script error, for every kind of page each role reaches from its menu."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from aftersales.accounts.models import User
from aftersales.web.navigation import landing_url, menu_for
from aftersales.web.tests import page_sweep

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Reports each violation into a list the test reads after the page has loaded.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));
"""


@pytest.fixture
def demo(settings, tmp_path):
    from aftersales.demo.generator import generate

    settings.DATA_DIR = tmp_path
    generate(seed=2, customers=20, orders=16, open_orders=4)
    return json.loads((tmp_path / "demo_accounts.json").read_text())


def _pages(demo: list[dict]) -> dict[str, tuple[User, str]]:
    """One path of each kind of page (its shape), with a role that reaches it."""
    out: dict[str, tuple[User, str]] = {}
    for account in demo:
        if account["role"] == "portal":
            continue
        user = User.objects.get(username=account["username"])
        client = Client()
        client.force_login(user)
        start = [landing_url(user), "/"] + [e["url"] for g in menu_for(user) for e in g["entries"]]
        for path, _html in page_sweep.crawl(client, start, per_shape=1, limit=60):
            out.setdefault(page_sweep.shape(path), (user, path))
    return out


def test_every_page_loads_without_csp_violations_or_console_errors(demo, browser, live_server):
    pages = _pages(demo)
    assert len(pages) > 40
    problems: list[str] = []
    by_user: dict[int, list[str]] = {}
    users: dict[int, User] = {}
    for user, path in pages.values():
        by_user.setdefault(user.pk, []).append(path)
        users[user.pk] = user
    for pk, paths in by_user.items():
        client = Client()
        client.force_login(users[pk])
        context = browser.new_context(locale="zh-CN", base_url=live_server.url)
        context.set_default_timeout(20000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        context.add_init_script(LISTEN)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        for path in paths:
            errors.clear()
            page.goto(path, wait_until="load")
            page.wait_for_timeout(0)  # let queued listeners run; no timing is asserted
            violations = page.evaluate("window.__csp || []")
            for v in violations:
                problems.append(f"{users[pk].role} {path}: CSP {v}")
            for e in errors:
                problems.append(f"{users[pk].role} {path}: console {e}")
        context.close()
    assert problems == [], "\n".join(problems[:50])
