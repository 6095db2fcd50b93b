"""Backup and restore of the whole system: the database and the uploaded files, in one archive.

An archive is a gzipped tar with `manifest.json` (format, time, database vendor, the applied
migrations), the database (`database.sqlite3`: SQLite's online backup API, consistent while the
system runs; `database.pgdump`: `pg_dump --format=custom`) and `uploads/` (the files of the
local upload storage; with object storage the bucket is backed up by its own means).

Restore writes the database back (SQLite: the file, with the system stopped; PostgreSQL:
`pg_restore --clean --if-exists` into `DATABASE_URL`'s database) and the uploads, then checks
the invariants. A restore refuses an archive of another vendor or a newer schema than the code
knows (run the matching release, then upgrade).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.loader import MigrationLoader

FORMAT = 1


class BackupError(Exception):
    pass


def _uploads_root() -> Path | None:
    location = getattr(default_storage, "location", None)
    return Path(location) if location else None


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["-h", s.get("HOST") or "localhost", "-p", str(s.get("PORT") or 5432)]
    if s.get("USER"):
        args += ["-U", s["USER"]]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def applied_migrations() -> list[str]:
    loader = MigrationLoader(connection)
    return sorted(f"{app}.{name}" for app, name in loader.applied_migrations)


def backup(target: Path) -> dict[str, Any]:
    """Write an archive to `target`; returns its manifest."""
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "vendor": connection.vendor,
        "migrations": applied_migrations(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if connection.vendor == "sqlite":
            db_file = work / "database.sqlite3"
            connection.ensure_connection()
            dest = sqlite3.connect(db_file)
            try:
                connection.connection.backup(dest)
            finally:
                dest.close()
        elif connection.vendor == "postgresql":
            db_file = work / "database.pgdump"
            args, env = _pg_env()
            subprocess.run(
                [
                    "pg_dump",
                    *args,
                    "--format=custom",
                    "--no-owner",
                    "-f",
                    str(db_file),
                    connection.settings_dict["NAME"],
                ],
                check=True,
                env=env,
                capture_output=True,
            )
        else:
            raise BackupError(f"no backup for {connection.vendor}")
        uploads = _uploads_root()
        with tarfile.open(target, "w:gz") as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_file, arcname=db_file.name)
            if uploads and uploads.exists():
                tar.add(uploads, arcname="uploads")
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError("not an Aftersales backup (no manifest)")
        manifest: dict[str, Any] = json.loads(member.read())
    return manifest


def restore(
    archive: Path, *, sqlite_path: Path | None = None, uploads_to: Path | None = None
) -> dict[str, Any]:
    """Restore `archive` into the configured database (or, for SQLite, into `sqlite_path`) and
    the uploads into `uploads_to` (default: the upload storage). Returns the manifest."""
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')}")
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"this backup is of a {manifest['vendor']} database; the system runs on "
            f"{connection.vendor}"
        )
    known = {
        f"{app}.{name}"
        for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    newer = sorted(set(manifest["migrations"]) - known)
    if newer:
        raise BackupError(
            "the backup has migrations this release does not know: " + ", ".join(newer[:5])
        )
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, filter="data")
        work = Path(tmp)
        if connection.vendor == "sqlite":
            target = sqlite_path or Path(connection.settings_dict["NAME"])
            connection.close()
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(work / "database.sqlite3", target)
        else:
            args, env = _pg_env()
            subprocess.run(
                [
                    "pg_restore",
                    *args,
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "-d",
                    connection.settings_dict["NAME"],
                    str(work / "database.pgdump"),
                ],
                check=True,
                env=env,
                capture_output=True,
            )
        uploads = uploads_to or _uploads_root()
        if uploads is not None and (work / "uploads").exists():
            shutil.copytree(work / "uploads", uploads, dirs_exist_ok=True)
    return manifest
