"""Every page of the demo, as each role, in zh-hans and en: no internal code where a label
belongs, no interface text of the other language, no server error.

The demo is generated small; the walk follows the links of each page from the role's menu
(two pages of each kind, e.g. two order pages), the same pages in both languages."""

import json

import pytest
from django.conf import settings
from django.test import Client

from aftersales.accounts.models import User
from aftersales.billing.models import FeeRule
from aftersales.customers.models import Customer
from aftersales.web.navigation import landing_url, menu_for
from aftersales.web.tests import page_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    from aftersales.demo.generator import generate

    settings.DATA_DIR = tmp_path
    generate(seed=2, customers=30, orders=24, open_orders=6)
    return json.loads((tmp_path / "demo_accounts.json").read_text())


def _walk(user, language):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    start = [landing_url(user), "/"]
    start += [e["url"] for g in menu_for(user) for e in g["entries"]]
    return page_sweep.crawl(client, start)


def test_no_page_shows_a_code_or_the_other_language(demo):
    messages, codes = page_sweep.catalogue(), page_sweep.choice_codes()
    # Data is not interface text: people's and customers' names may be anything.
    names = (
        {u.get_full_name() for u in User.objects.all()}
        | set(Customer.objects.values_list("name", flat=True))
        # The company's own fee rules are named in its language (data, like a customer).
        | set(FeeRule.objects.values_list("name", flat=True))
    )
    found = {}
    forbidden: list[tuple[str, str, str]] = []
    walked = 0
    for account in demo:
        if account["role"] == "portal":
            continue
        user = User.objects.get(username=account["username"])
        for language in ("zh-hans", "en"):
            checker = page_sweep.Checker(language, messages, codes, allowed=names)
            for path, html in _walk(user, language):
                walked += 1
                assert "server error" not in html[:40], (account["role"], path)
                if html.startswith("<p>forbidden"):
                    forbidden.append((account["role"], path, html))
                    continue
                texts = page_sweep.page_text(html)[0]
                for kind, text in checker.check(texts):
                    found.setdefault((language, kind, text), page_sweep.shape(path))
    assert walked > 300
    assert found == {}, sorted(found.items())
    assert forbidden == [], forbidden


def test_the_checker_finds_codes_and_the_other_language():
    messages = {"Log out": "退出登录", "High priority": "高优先级"}
    zh = page_sweep.Checker("zh-hans", messages, {"high", "paid_repair"})
    en = page_sweep.Checker("en", messages, {"high"})
    texts = [
        "general.period_expired",
        "原因：no_voucher_start_inferred_from_serial",
        "high",
        "High priority",
        "please call the customer",
        "report.pdf",
        "admin@example.com",
        "{order_number}",
        "KFR-35GW",
    ]
    assert [t for _k, t in zh.check(texts)] == [
        "general.period_expired",
        "no_voucher_start_inferred_from_serial",
        "high",
        "High priority",
        "please call the customer",
    ]
    assert [t for _k, t in en.check(["退出登录", "张三", "Log out"])] == ["退出登录"]
