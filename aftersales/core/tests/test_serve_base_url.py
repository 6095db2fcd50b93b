"""`aftersales serve` gives links to customers its own address unless AFTERSALES_BASE_URL is
set (links in messages must lead somewhere)."""

import socket

import pytest

from aftersales.core.management.commands.serve import use_base_url

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - a host name given to serve, not bound here


@pytest.fixture
def clean_env(monkeypatch, settings):
    # Both are put back after the test: the environment variable and the setting.
    monkeypatch.setenv("AFTERSALES_BASE_URL", "")
    monkeypatch.delenv("AFTERSALES_BASE_URL")
    settings.AFTERSALES_BASE_URL = settings.AFTERSALES_BASE_URL
    return monkeypatch


def test_the_server_address_is_used_when_no_base_url_is_given(clean_env, settings):
    import os

    assert use_base_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert settings.AFTERSALES_BASE_URL == "http://127.0.0.1:8123"
    assert os.environ["AFTERSALES_BASE_URL"] == "http://127.0.0.1:8123"


def test_every_interface_means_the_machines_name(clean_env):
    assert use_base_url(EVERY_INTERFACE, 80) == f"http://{socket.gethostname()}:80"


def test_an_ipv6_address_is_bracketed(clean_env):
    assert use_base_url("::1", 8000) == "http://[::1]:8000"


def test_a_given_base_url_wins(clean_env, settings):
    clean_env.setenv("AFTERSALES_BASE_URL", "https://service.example.cn/")
    assert use_base_url(EVERY_INTERFACE, 8000) == "https://service.example.cn"
    assert settings.AFTERSALES_BASE_URL == "https://service.example.cn"
