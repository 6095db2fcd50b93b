"""`aftersales warranty_batch`: evaluate every unit and write its warranty end date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aftersales.accounts.models import Company
from aftersales.warranty.batch import warranty_batch


class Command(BaseCommand):
    help = "Evaluate every unit's warranty and write the end of its period (nightly job)."

    def handle(self, *args: Any, **options: Any) -> None:
        for company in Company.objects.all():
            stats = warranty_batch(company_id=company.pk)
            self.stdout.write(f"{company.name}: {stats}")
