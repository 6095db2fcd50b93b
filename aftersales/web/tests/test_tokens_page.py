"""The tokens page sets a token's scope and last day when creating it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from aftersales.accounts.models import ApiToken
from aftersales.core import clock

pytestmark = pytest.mark.django_db


def test_a_read_only_token_with_a_last_day_is_created_from_the_page(login, people):
    client = login(people["agent"])
    page = client.get("/tokens/").content.decode()
    assert 'name="scope"' in page and 'name="expires"' in page and "只读" in page
    last = clock.today() + dt.timedelta(days=30)
    response = client.post("/tokens/", {"name": "报表", "scope": "read", "expires": last})
    html = response.content.decode()
    assert 'data-testid="new-token"' in html and "只读" in html
    token = ApiToken.objects.get(name="报表")
    assert token.scope == "read"
    assert clock.localtime().tzinfo is not None
    assert token.expires_at.astimezone(clock.localtime().tzinfo).date() == last + dt.timedelta(
        days=1
    )
    key = html.split('data-testid="new-token">')[1].split("<")[0]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/orders").status_code == 200
    assert api.post("/api/v1/customers", {}, content_type="application/json").status_code == 403


def test_a_token_without_choices_is_full_and_never_ends(login, people):
    login(people["agent"]).post("/tokens/", {"name": "集成"})
    token = ApiToken.objects.get(name="集成")
    assert token.scope == "full" and token.expires_at is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires": "2020-01-01"}, "过期时间必须晚于当前时间"),
        ({"expires": "not a day"}, "请以日期填写最后有效日"),
        ({"scope": "admin"}, ""),
    ],
)
def test_bad_choices_are_refused_on_the_page(login, people, fields, message):
    response = login(people["agent"]).post("/tokens/", {"name": "坏", **fields})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="form-errors"' in html
    assert message in html
    assert not ApiToken.objects.filter(name="坏").exists()
