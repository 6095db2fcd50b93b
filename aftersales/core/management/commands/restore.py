"""`aftersales restore FILE`: put an archive of `aftersales backup` back, then check the
invariants. Stop the web and worker processes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database and the uploads from an archive of `aftersales backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="replace the current data")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("This replaces the current database and uploads: add --yes.")
        try:
            manifest = restore(Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored the backup of {manifest['created_at']}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("check_invariants", stdout=self.stdout)
