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


def test_reading_the_settings_creates_nothing_and_the_command_prepares_the_data_dir(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update({"AFTERSALES_DATA_DIR": str(data), "AFTERSALES_TESTING": "0"})
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='aftersales.settings';"
        "from django.conf import settings; print(settings.DATA_DIR, repr(settings.STATIC_ROOT))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert str(data) in out
    assert not data.exists()  # no folder, no secret written by an import

    subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    secret = data / "secret_key"
    assert (data / "uploads").is_dir() and (data / "staticfiles").is_dir()
    assert len(secret.read_text()) > 50
    assert secret.stat().st_mode & 0o077 == 0  # readable by its owner only
    first = secret.read_text()
    subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "check"], env=env, capture_output=True, check=True
    )
    assert secret.read_text() == first  # generated once


def test_the_default_data_dir_does_not_depend_on_the_current_directory(tmp_path, monkeypatch):
    from aftersales import datadir

    monkeypatch.delenv("AFTERSALES_DATA_DIR", raising=False)
    here = datadir.path()
    monkeypatch.chdir(tmp_path)
    assert datadir.path() == here
    assert here == datadir.PACKAGE_DIR.parent / "var"  # the source checkout's var/
    monkeypatch.setenv("AFTERSALES_DATA_DIR", str(tmp_path / "x"))
    assert datadir.path() == tmp_path / "x"


def test_processes_starting_at_once_share_one_whole_secret(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from aftersales import datadir

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: datadir.prepare(tmp_path), range(16)))
    keys = {datadir.secret_key(tmp_path)}
    assert len(keys) == 1 and len(keys.pop()) > 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key", "staticfiles", "uploads"]
