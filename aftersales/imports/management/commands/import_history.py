"""`aftersales import-history FILE [--dry-run] [--company CODE]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from aftersales.accounts.models import Company
from aftersales.imports import actions, replay


class Command(BaseCommand):
    help = (
        "Import a company's history from a JSON Lines file (docs/history-import.md): every "
        "row replayed through the live actions at its own time. --dry-run reports per row what "
        "would happen and writes nothing. A second run of the same file changes nothing; a "
        "run stopped half-way resumes after the last committed row."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--company", help="the company's code (needed if there are several)")
        parser.add_argument("--batch", type=int, default=actions.BATCH)
        parser.add_argument("--language", default="zh-hans", help="of the report (zh-hans, en)")
        parser.add_argument("--quiet", action="store_true", help="only the summary")
        parser.add_argument(
            "--staff",
            action="append",
            default=[],
            metavar="SOURCE=USERNAME",
            help="a technician's name in the file and their username here (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        companies = Company.objects.all()
        if options["company"]:
            companies = companies.filter(code=options["company"])
        if companies.count() != 1:
            raise CommandError("name the company with --company CODE")
        company = companies.get()
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = replay.import_actor(company)
        staff = dict(pair.split("=", 1) for pair in options["staff"] if "=" in pair)
        with translation.override(options["language"]):
            if options["dry_run"]:
                report = actions.history_check(
                    actor=actor, text=path.read_text(encoding="utf-8-sig"), staff=staff
                )
                for row in report.rows:
                    if not options["quiet"] or row.outcome in ("refuse", "gap"):
                        self._row(row)
                self.stdout.write(
                    f"create {report.count('create')} skip {report.count('skip')} "
                    f"gap {report.count('gap')} refuse {report.count('refuse')}"
                )
                return
            data = path.read_bytes()
            # The same file stopped half-way resumes after its last committed row.
            job = actions.unfinished_import(company=company, data=data) or (
                actions.history_import_create(actor=actor, name=path.name, data=data, staff=staff)
            )
            try:
                done = actions.history_import_apply(
                    import_id=job.pk,
                    batch=options["batch"],
                    on_row=None if options["quiet"] else self._row,
                )
            except Exception as exc:
                actions.history_import_failed(import_id=job.pk, error=repr(exc))
                raise
            self.stdout.write(
                f"import {done.pk}: rows {done.total} applied {done.applied} "
                f"skipped {done.skipped} gaps {done.gaps} refused {done.refused}"
            )

    def _row(self, row: actions.RowReport) -> None:
        text = " ".join(row.messages)
        self.stdout.write(f"{row.line}\t{row.kind}\t{row.external_id}\t{row.outcome}\t{text}")
