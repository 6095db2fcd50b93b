"""Demo data of the workshop: the first station's counter and bench with a few jobs at
different steps (received, diagnosis, in repair, waiting for the quality check by another
technician), a mail-in request on its way, loaners. Called from the demo generator."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.customers.models import InstalledUnit
from aftersales.workshop import actions


def demo_workshop(company: Any, station: Any, signature: str) -> int:
    """Returns the number of workshop jobs made (0 when the station has no people)."""
    desk = User.objects.filter(company=company, role=Role.STATION_MANAGER, station=station).first()
    techs = list(
        User.objects.filter(company=company, role=Role.TECHNICIAN, station=station).order_by("id")
    )
    manager = User.objects.filter(company=company, role=Role.SERVICE_MANAGER).first()
    units = list(
        InstalledUnit.objects.filter(customer__company=company, customer__station=station)
        .exclude(orders__status__in=["registered", "triaged", "dispatched", "assigned"])
        .select_related("customer")
        .order_by("id")[:5]
    )
    if desk is None or manager is None or len(techs) < 2 or len(units) < 5:
        return 0
    with transaction.atomic():
        actions.station_workshop_update(
            actor=manager,
            station=station,
            mail_in_address=f"{station.name}维修中心（收件请注明寄修单号）",
            mail_in_recipient=f"{station.name}维修中心",
            mail_in_phone="400-800-0000",
            qc_by_other=True,
        )
        if not (manager.station_id or manager.region_id):
            # Storage fees after 30 free days (the turnaround keeps its default, 3 days).
            actions.workshop_settings_update(actor=manager, storage_fee_per_day="2.00")
        pool = [
            actions.loaner_save(actor=manager, station=station, name=name, serial=serial)
            for name, serial in (("备用机 A", "LOAN-001"), ("备用机 B", "LOAN-002"))
        ]
        for purpose in ("drop_off", "drop_off", "pickup"):
            actions.ticket_take(actor=desk, station=station, purpose=purpose)
        actions.ticket_call_next(actor=desk, station=station, desk="1")
        made = []
        for i, unit in enumerate(units[:4]):
            job, _code = actions.counter_intake(
                actor=desk,
                station=station,
                customer=unit.customer_id,
                unit=unit.pk,
                fault_description=("开机无反应", "显示屏闪烁", "异响", "不制冷")[i],
                condition="外观完好，轻微使用痕迹",
                accessories=["电源线"],
                signature=signature,
                allow_duplicate=True,
            )
            made.append(job)
        actions.loaner_lend(actor=desk, job=made[0], loaner=pool[0], deposit="200")
        bench = techs[0]
        for job, until in zip(made[1:], ("diagnose", "in_repair", "quality_check"), strict=True):
            actions.job_step(actor=bench, job=job, verb="diagnose")
            actions.bench_diagnosis(
                actor=bench, job=job, diagnosis="主板供电异常", cause="product_fault"
            )
            if until == "diagnose":
                continue
            job.refresh_from_db()
            job.warranty_decision = "free_repair"  # the demo's units are under 三包
            job.save(update_fields=["warranty_decision"])
            actions.job_step(actor=bench, job=job, verb="confirm_warranty")
            actions.job_step(actor=bench, job=job, verb="start_repair")
            if until == "in_repair":
                continue
            actions.job_step(actor=bench, job=job, verb="finish_repair")
        mail = actions.mail_in_request(
            actor=desk,
            station=station,
            customer=units[4].customer_id,
            unit=units[4].pk,
            fault_description="无法充电",
            return_address=units[4].customer.name + " 的地址",
            allow_duplicate=True,
        )
        actions.inbound_shipment_record(
            actor=desk, job=mail, carrier="顺丰速运", tracking_no="SF1000000001", weight_kg="1.5"
        )
    return len(made) + 1
