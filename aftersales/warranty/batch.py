"""The nightly warranty batch: evaluate every unit of a company with the engine and write the
end of its warranty period (`InstalledUnit.warranty_until`), so that lists can flag units whose
warranty expires soon. Reads in chunks by id; policies are resolved once per product model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from aftersales.core import clock
from aftersales.customers.models import InstalledUnit
from aftersales.warranty import engine
from aftersales.warranty.actions import (
    policy_for_unit,
    repairs_of,
    statutory_day_off,
    unit_facts,
)

CHUNK = 2000


def warranty_batch(
    *, company_id: int, today: dt.date | None = None, limit: int | None = None
) -> dict[str, Any]:
    """Returns {"units": n, "updated": n, "undetermined": n, "no_documents": n,
    "expiring_30_days": n}; a unit without voucher and invoice is outside 三包 (no end)."""
    today = today or clock.today()
    policies: dict[int, engine.Policy] = {}
    stats = {
        "units": 0,
        "updated": 0,
        "undetermined": 0,
        "no_documents": 0,
        "expiring_30_days": 0,
    }
    day_off = statutory_day_off(company_id)
    after = 0
    fault = engine.FaultFacts(performance=False)
    while True:
        rows = list(
            InstalledUnit.objects.filter(company_id=company_id, pk__gt=after)
            .order_by("pk")
            .select_related("product_model")[:CHUNK]
        )
        if not rows:
            break
        after = rows[-1].pk
        repairs = repairs_of([u.pk for u in rows])
        # Units given as an exchange keep the first unit's 7/15-day windows.
        replacing = set(
            InstalledUnit.objects.filter(replaced_by_id__in=[u.pk for u in rows]).values_list(
                "replaced_by_id", flat=True
            )
        )
        changed = []
        for unit in rows:
            policy = policies.get(unit.product_model_id)
            if policy is None:
                policy = policies[unit.product_model_id] = policy_for_unit(unit)
            facts = unit_facts(
                unit, repairs=repairs.get(unit.pk, []), follow_exchanges=unit.pk in replacing
            )
            try:
                result = engine.evaluate(policy, facts, fault, today, is_day_off=day_off)
                ends = result.period_ends
                if result.rule in ("void.no_documents", "car.no_documents"):
                    stats["no_documents"] += 1
                until = max(
                    (
                        v
                        for k, v in ends.items()
                        if k == "whole_unit"
                        or k.startswith("component:")
                        or k in ("sanbao", "repair_warranty")
                    ),
                    default=None,
                )
            except engine.WarrantyInputError:
                until = None
                stats["undetermined"] += 1
            if until is not None and today <= until <= today + dt.timedelta(days=30):
                stats["expiring_30_days"] += 1
            if unit.warranty_until != until:
                unit.warranty_until = until
                changed.append(unit)
        with transaction.atomic():
            InstalledUnit.objects.bulk_update(changed, ["warranty_until"], batch_size=500)
        stats["units"] += len(rows)
        stats["updated"] += len(changed)
        if limit is not None and stats["units"] >= limit:
            break
    return stats
