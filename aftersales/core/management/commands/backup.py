"""`aftersales backup [FILE]`: the database and the uploads in one archive (core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from aftersales.core.backup import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one .tar.gz archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="archive to write (default: a dated name)")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"] or f"aftersales-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        manifest = backup(target)
        self.stdout.write(
            f"backup written: {target} ({manifest['vendor']}, "
            f"{len(manifest['migrations'])} migrations)"
        )
