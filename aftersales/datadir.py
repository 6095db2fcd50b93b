"""The data directory (embedded database, queue, uploads, collected static files, generated
secret): where it is, and preparing it. Importing the settings prepares nothing; the entry
points do (`aftersales` commands, the WSGI application, the test settings, `aftersales.setup()`).

Where: `AFTERSALES_DATA_DIR` when set; otherwise `var/` beside `pyproject.toml` when the package
runs from a source checkout; otherwise `$XDG_DATA_HOME/aftersales` (`~/.local/share/aftersales`).
Never the current directory, so a command started from elsewhere finds the same database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import django

PACKAGE_DIR = Path(__file__).resolve().parent


def path() -> Path:
    configured = os.environ.get("AFTERSALES_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(home).expanduser().resolve() / "aftersales"


def secret_key(where: Path | None = None) -> str:
    """SECRET_KEY from the environment, else the one `prepare()` generated; empty when neither
    exists (Django then refuses to sign anything, naming the setting)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    file = (where or path()) / "secret_key"
    return file.read_text().strip() if file.exists() else ""


def prepare(where: Path | None = None) -> Path:
    """Create the directory and its folders, and generate the secret once (kept readable by
    its owner only) unless SECRET_KEY is set. Idempotent."""
    where = where or path()
    where.mkdir(parents=True, exist_ok=True)
    (where / "staticfiles").mkdir(exist_ok=True)
    (where / "uploads").mkdir(exist_ok=True)
    file = where / "secret_key"
    if not os.environ.get("SECRET_KEY") and not file.exists():
        # Written whole to a private temporary file, then linked into place: the link fails if
        # another process got there first (its key stays), and nobody ever reads a half-written
        # or empty key.
        fd, temporary = tempfile.mkstemp(dir=where, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(64))
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, file)
        finally:
            os.unlink(temporary)
    return where


def setup(settings_module: str = "aftersales.settings") -> None:
    """For scripts (benchmarks, one-off tools): prepare the data directory, then Django."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    prepare()
    django.setup()
