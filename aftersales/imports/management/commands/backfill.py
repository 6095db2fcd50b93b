"""`aftersales backfill JOB --as-of T` or `--from D --to D [--step-hours H]`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aftersales.imports import backfill, jobs
from aftersales.imports.format import parse_time


class Command(BaseCommand):
    help = (
        "Run a periodic job as of a past moment (--as-of) or at each step of a range "
        "(--from/--to); 'all' runs every job. Times are ISO 8601, Beijing time without an "
        "offset; a date alone is 09:00. Customer messages for the past are kept as suppressed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("job", help="a job name, 'all', or 'list' to list them")
        parser.add_argument("--as-of", dest="as_of")
        parser.add_argument("--from", dest="first")
        parser.add_argument("--to", dest="last")
        parser.add_argument("--step-hours", dest="step", type=float, default=24.0)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["job"]
        if name == "list":
            for job, path in sorted(jobs.PERIODIC_JOBS.items()):
                self.stdout.write(f"{job}\t{path}")
            return
        names = sorted(jobs.PERIODIC_JOBS) if name == "all" else [name]
        for job in names:
            if job not in jobs.PERIODIC_JOBS:
                raise CommandError(f"unknown job {job!r}; 'backfill list' lists them")
        if options["as_of"]:
            moment = parse_time(options["as_of"])
            if moment is None:
                raise CommandError("--as-of is not a date and time (ISO 8601)")
            steps = [moment]
        else:
            first, last = parse_time(options["first"]), parse_time(options["last"])
            if first is None or last is None:
                raise CommandError("give --as-of T, or --from D and --to D")
            steps = backfill.moments(first, last, dt.timedelta(hours=options["step"]))
        for moment in steps:
            for job in names:
                result = backfill.run_as_of(job, moment)
                self.stdout.write(f"{moment.isoformat()} {job}: {result}")
