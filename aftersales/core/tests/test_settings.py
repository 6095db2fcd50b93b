"""Settings: production passes `check --deploy` with no warnings; passwords use argon2."""

import os
import subprocess
import sys


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        "DEBUG": "0",
        "AFTERSALES_HTTPS": "1",
        "SECRET_KEY": "x7" * 40 + "-Kq9!zP",
        "ALLOWED_HOSTS": "service.example.com",
        "AFTERSALES_DATA_DIR": str(tmp_path),
        "AFTERSALES_TESTING": "0",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_argon2_is_the_production_password_hasher(tmp_path):
    env = {**os.environ, "AFTERSALES_DATA_DIR": str(tmp_path), "AFTERSALES_TESTING": "0"}
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='aftersales.settings';"
        "django.setup(); from django.conf import settings;"
        "print(settings.PASSWORD_HASHERS[0]);"
        "print(settings.DATABASES['default']['OPTIONS']['init_command'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in env.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.splitlines()[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "journal_mode=WAL" in out


def test_env_bool_refuses_a_value_it_does_not_know(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from aftersales.settings import env_bool

    for value, expected in (("1", True), ("Yes", True), (" on ", True), ("0", False)):
        monkeypatch.setenv("AFTERSALES_X", value)
        assert env_bool("AFTERSALES_X") is expected
    monkeypatch.setenv("AFTERSALES_X", "")
    assert env_bool("AFTERSALES_X", True) is True
    monkeypatch.setenv("AFTERSALES_X", "ture")
    with pytest.raises(ImproperlyConfigured):
        env_bool("AFTERSALES_X")
