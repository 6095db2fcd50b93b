"""Fill the monthly rollup from the daily rows already there (the job keeps it from now on)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations
from django.db.models import Sum
from django.db.models.functions import TruncMonth

COARSE = (
    "station_id",
    "region_id",
    "model_id",
    "fault_code_id",
    "category_id",
    "service_type",
)


def fill(apps, schema_editor):
    daily = apps.get_model("kpi", "KpiDaily")
    monthly = apps.get_model("kpi", "KpiMonthly")
    for company_id in daily.objects.values_list("company_id", flat=True).distinct():
        monthly.objects.filter(company_id=company_id).delete()
        rows = (
            daily.objects.filter(company_id=company_id)
            .annotate(m=TruncMonth("day"))
            .values("kpi", "m", *COARSE)
            .annotate(n=Sum("num"), d=Sum("den"), c=Sum("count"))
            .order_by()
        )
        batch = []
        for r in rows.iterator():
            month = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
            batch.append(
                monthly(
                    company_id=company_id,
                    kpi=r["kpi"],
                    month=month,
                    num=r["n"] or Decimal(0),
                    den=r["d"] or Decimal(0),
                    count=r["c"] or 0,
                    **{c: r[c] for c in COARSE},
                )
            )
            if len(batch) >= 2000:
                monthly.objects.bulk_create(batch)
                batch = []
        monthly.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("kpi", "0008_assessment_events_on_the_kernel")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
