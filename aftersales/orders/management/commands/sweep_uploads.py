"""Stored upload files no row refers to: listed (dry run, the default) or deleted (--apply)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aftersales.orders.orphans import sweep_orphan_uploads


class Command(BaseCommand):
    help = "List stored upload files no row refers to (older than the grace period); --apply deletes them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grace-hours", type=int, default=None)
        parser.add_argument("--apply", action="store_true", help="delete them")

    def handle(self, *args: Any, **options: Any) -> None:
        report = sweep_orphan_uploads(grace_hours=options["grace_hours"], apply=options["apply"])
        self.stdout.write(json.dumps(report.as_dict(), indent=1))
