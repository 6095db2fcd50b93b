"""No page and no API answer shows a customer's full phone number where the role should see it
masked (138****5678).

Every page of the demo reachable from each role's menu is walked (one language), and the main
API lists and details are read with each role's token. The rule:
- a role without the right to reveal a number (finance, department head, administrator) never
  receives a full number, not even in a link;
- a role with the right (agent, dispatcher, technician, station manager, service manager) sees
  the number masked in the text; the full number is only in a call link (`href="tel:..."`) on
  the pages made for calling (the technician's day and visit, the follow-up call), and behind
  the audited "show number" button;
- the API never includes a full number (the reveal operation is audited and not read here).
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.customers.models import Contact, Customer
from aftersales.web.navigation import landing_url, menu_for
from aftersales.web.tests import page_sweep

pytestmark = pytest.mark.django_db

TEL_LINK = re.compile(r'href="tel:[^"]*"')
API_READS = (
    "/customers?limit=50",
    "/orders?limit=50",
    "/units?limit=50",
    "/complaints",
    "/follow-ups",
)


@pytest.fixture
def demo(settings, tmp_path):
    from aftersales.demo.generator import generate

    settings.DATA_DIR = tmp_path
    generate(seed=4, customers=24, orders=24, open_orders=6)
    return json.loads((tmp_path / "demo_accounts.json").read_text())


def _phones() -> set[str]:
    phones = set(Customer.objects.exclude(phone="").values_list("phone", flat=True))
    phones |= set(Contact.objects.values_list("phone", flat=True))
    return {p for p in phones if len(p) >= 7}


def _leaks(text: str, phones: set[str]) -> list[str]:
    return sorted(p for p in phones if p in text)


def test_no_page_or_api_answer_shows_a_full_number_the_role_should_see_masked(demo, api):
    phones = _phones()
    assert phones
    found: dict[tuple[str, str], list[str]] = {}
    walked = 0
    for account in demo:
        if account["role"] == "portal":
            continue
        user = User.objects.get(username=account["username"])
        may_call = has_perm(user, Perm.PHONE_REVEAL)
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        start = [landing_url(user), "/"] + [e["url"] for g in menu_for(user) for e in g["entries"]]
        for path, html in page_sweep.crawl(client, start, per_shape=1, limit=80):
            walked += 1
            shown = TEL_LINK.sub("", html) if may_call else html
            leaks = _leaks(shown, phones)
            if leaks:
                found[(account["role"], page_sweep.shape(path))] = leaks
        reader = api(user)
        for path in API_READS:
            response = reader.get(path)
            if response.status_code == 200:
                leaks = _leaks(response.content.decode(), phones)
                if leaks:
                    found[(account["role"], "api " + path)] = leaks
    assert walked > 100
    assert found == {}
