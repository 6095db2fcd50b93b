"""Helpers for the browser tests."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, user: Any) -> None:
    """Log `user` in on the login page (any earlier session's cookies dropped first), with
    the password every test user has."""
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    # Each role lands on its own work page (some with a query, e.g. /orders/?queue=open).
    page.wait_for_url(lambda url: "/login/" not in url)
