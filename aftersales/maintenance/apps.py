from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales.maintenance"
    verbose_name = _("Maintenance plans and contracts")

    def ready(self) -> None:
        from aftersales.customers.actions import METER_HOOKS
        from aftersales.dispatch.actions import BOOKED_HOOKS
        from aftersales.fieldwork.actions import QUOTE_HOOKS
        from aftersales.fieldwork.report import REPORT_SECTIONS
        from aftersales.maintenance.actions import (
            checklist_report_section,
            contract_level_for_unit,
            kit_release,
            kit_reserve,
            quote_coverage,
            reading_arrived,
        )
        from aftersales.orders.actions import CANCEL_HOOKS, CONTRACT_LEVEL_HOOKS

        if reading_arrived not in METER_HOOKS:
            METER_HOOKS.append(reading_arrived)
        if contract_level_for_unit not in CONTRACT_LEVEL_HOOKS:
            CONTRACT_LEVEL_HOOKS.append(contract_level_for_unit)
        if kit_reserve not in BOOKED_HOOKS:
            BOOKED_HOOKS.append(kit_reserve)
        if kit_release not in CANCEL_HOOKS:
            CANCEL_HOOKS.append(kit_release)
        if quote_coverage not in QUOTE_HOOKS:
            QUOTE_HOOKS.append(quote_coverage)
        if checklist_report_section not in REPORT_SECTIONS:
            REPORT_SECTIONS.append(checklist_report_section)
