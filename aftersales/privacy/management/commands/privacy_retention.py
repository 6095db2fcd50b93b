"""Which customers the retention period would anonymise (dry run), or anonymise them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aftersales.privacy.actions import retention_days, retention_run


class Command(BaseCommand):
    help = "Dry run (default): list customers inactive beyond the retention period. --apply: anonymise them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="override the setting")
        parser.add_argument("--apply", action="store_true", help="anonymise (irreversible)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else retention_days()
        if days <= 0:
            self.stderr.write("No retention period: set AFTERSALES_RETENTION_DAYS or --days.")
            return
        report = retention_run(days=days, apply=options["apply"])
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
