"""Every string is translated to zh-hans and the compiled catalogue matches the sources."""

import shutil
import subprocess
import sys
from pathlib import Path

import aftersales

PACKAGE = Path(aftersales.__file__).parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _catalogues(root):
    """The project's catalogue and each app's own (apps may keep their strings in
    `<app>/locale/`, which Django loads after LOCALE_PATHS)."""
    return sorted(root.glob("locale/zh_Hans/LC_MESSAGES/django.po")) + sorted(
        root.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")
    )


def _entries(text):
    """(msgid, msgstr, flags) for each entry of a .po file."""
    entries, msgid, msgstr, flags, current = [], None, None, "", None
    for line in text.splitlines() + [""]:
        if line.startswith("#,"):
            flags = line
        elif line.startswith("msgid "):
            msgid, current = line[6:].strip('"'), "id"
        elif line.startswith("msgstr "):
            msgstr, current = line[7:].strip('"'), "str"
        elif line.startswith('"') and current:
            if current == "id":
                msgid += line.strip('"')
            else:
                msgstr += line.strip('"')
        elif not line.strip() and msgid is not None:
            entries.append((msgid, msgstr, flags))
            msgid, msgstr, flags, current = None, None, "", None
    return entries


def test_every_message_has_a_chinese_translation():
    entries = [e for po in _catalogues(PACKAGE) for e in _entries(po.read_text()) if e[0]]
    assert len(entries) > 200
    untranslated = [m for m, s, f in entries if not s or "fuzzy" in f]
    assert untranslated == []


def test_catalogue_is_up_to_date_with_the_source(tmp_path):
    """makemessages on the current source finds no message missing from the .po file."""
    target = tmp_path / "aftersales"
    shutil.copytree(
        PACKAGE,
        target,
        ignore=shutil.ignore_patterns("tests", "conftest.py", "__pycache__", "static"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aftersales.cli",  # the entry point prepares the data directory
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=*/tests/*",
            "--ignore=conftest.py",
        ],
        cwd=target,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "DJANGO_SETTINGS_MODULE": "aftersales.settings",
            "AFTERSALES_DATA_DIR": str(tmp_path / "var"),
            "PYTHONPATH": str(tmp_path),
        },
    )
    fresh = {m for po in _catalogues(target) for m, _s, _f in _entries(po.read_text()) if m}
    translated = {
        m for po in _catalogues(PACKAGE) for m, s, _f in _entries(po.read_text()) if m and s
    }
    assert len(fresh) > 200
    assert fresh - translated == set()
