"""`aftersales demo --orders N [--seed S]`: generate a realistic Chinese demo data set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Generate demo data: company, regions, stations, staff, customers, units, catalog."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--orders", type=int, default=0, help="Historical service orders.")
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument(
            "--open-orders",
            type=int,
            default=14,
            help="Open orders at the first station for its next working day (to dispatch).",
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        from aftersales.accounts.models import Company
        from aftersales.demo.generator import generate

        if Company.objects.exists():
            raise CommandError("The database already has data; demo data goes into an empty one.")
        summary = generate(
            seed=options["seed"],
            customers=options["customers"],
            orders=options["orders"],
            open_orders=options["open_orders"],
        )
        for key, value in summary.items():
            self.stdout.write(f"  {key}: {value}")
