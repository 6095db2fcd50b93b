"""`aftersales export-history --company CODE [--customer ID] [-o FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aftersales.accounts.models import Company
from aftersales.imports import replay
from aftersales.imports.export import history_export


class Command(BaseCommand):
    help = (
        "Export a company's history (or one customer's) in the history import's JSON Lines "
        "shape (docs/history-import.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--company", help="the company's code (needed if there are several)")
        parser.add_argument("--customer", type=int, help="only this customer's records (PIPL)")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        companies = Company.objects.all()
        if options["company"]:
            companies = companies.filter(code=options["company"])
        if companies.count() != 1:
            raise CommandError("name the company with --company CODE")
        actor = replay.import_actor(companies.get())
        out = history_export(actor=actor, customer=options["customer"])
        if options["output"]:
            Path(options["output"]).write_text(out.text(), encoding="utf-8")
        else:
            sys.stdout.write(out.text())
        self.stderr.write(f"rows {len(out.rows)} steps left out {out.skipped}")
