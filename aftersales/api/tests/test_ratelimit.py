"""API rate limits: per token and per address, 429 with Retry-After, in the caller's language."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from aftersales.accounts import actions as org


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _token(user):
    return org.api_token_create(actor=user, name="rl")[1]


@override_settings(AFTERSALES_API_RATE_PER_CALLER=3, AFTERSALES_API_RATE_PER_ADDRESS=0)
def test_a_token_over_its_limit_gets_429_with_retry_after(client, agent, make_user):
    key = _token(agent)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    codes = [client.get("/api/v1/me", **headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and "秒" in body["message"]
    assert 1 <= int(refused["Retry-After"]) <= 61
    # Another caller has a limit of its own.
    other = _token(make_user("agent"))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


@override_settings(AFTERSALES_API_RATE_PER_CALLER=0, AFTERSALES_API_RATE_PER_ADDRESS=2)
def test_an_address_over_its_limit_gets_429_whoever_asks(client, agent, make_user):
    first, second = _token(agent), _token(make_user("agent"))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 429
    # Another address is not held back.
    other = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


@override_settings(
    AFTERSALES_API_RATE_PER_CALLER=0, AFTERSALES_API_RATE_PER_ADDRESS=1, AFTERSALES_PROXY_COUNT=1
)
def test_behind_a_proxy_the_forwarded_address_counts(client, agent):
    key = _token(agent)
    for address, expected in (("1.1.1.1", 200), ("2.2.2.2", 200), ("1.1.1.1", 429)):
        response = client.get(
            "/api/v1/me",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}",
        )
        assert response.status_code == expected


@override_settings(AFTERSALES_API_RATE_PER_CALLER=1, AFTERSALES_API_RATE_PER_ADDRESS=1)
def test_pages_are_not_limited(client):
    assert {client.get("/login/").status_code for _ in range(3)} == {200}
