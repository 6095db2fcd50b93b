"""`aftersales check_invariants`: exit 1 and name the rows when an invariant is broken."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aftersales.core.invariants import broken, violations


class Command(BaseCommand):
    help = "Check the data's invariants (orders' created events, stock levels = ledger)."

    def handle(self, *args: Any, **options: Any) -> None:
        bad = broken(violations())
        if bad:
            raise CommandError("invariants broken: " + json.dumps(bad))
        self.stdout.write("invariants: all kept")
