"""Signing in: repeated wrong passwords lock the account for that address (django-axes), the
right password does not get through a lock; a successful sign-in gets a new session key (no
session fixation) and a new CSRF token; signing out ends the session on the server."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from aftersales.accounts.choices import Role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def _sign_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(make_user):
    user = make_user(Role.AGENT)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _sign_in(client, user.username, "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = _sign_in(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    right = _sign_in(client, user.username, PASSWORD)

    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # Another person at another address is not locked out by this.
    other = make_user(Role.AGENT)
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert _sign_in(elsewhere, other.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(make_user):
    user = make_user(Role.AGENT)
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "wrong")
    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, user.username, "wrong").status_code == 200
    assert _sign_in(client, user.username, PASSWORD).status_code == 302


def test_signing_in_rotates_the_session_key_and_the_csrf_token(make_user):
    user = make_user(Role.AGENT)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    before_key = (
        client.cookies[settings.SESSION_COOKIE_NAME].value
        if settings.SESSION_COOKIE_NAME in client.cookies
        else None
    )
    csrf_before = client.cookies["csrftoken"].value
    # A session planted before sign-in (fixation): its key must not survive.
    session = client.session
    session["planted"] = "x"
    session.save()
    planted_key = session.session_key
    token = page.context["csrf_token"]

    response = client.post(
        "/login/",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    after_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_key not in (planted_key, before_key)
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert client.cookies["csrftoken"].value != csrf_before
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signing_out_ends_the_session_on_the_server(make_user):
    user = make_user(Role.AGENT)
    client = Client()
    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    # The old cookie replayed is not signed in.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/orders/").status_code == 302
