from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales.maintenance"
    verbose_name = _("Maintenance plans and contracts")

    def ready(self) -> None:
        from aftersales.customers.actions import METER_HOOKS
        from aftersales.maintenance.actions import reading_arrived

        if reading_arrived not in METER_HOOKS:
            METER_HOOKS.append(reading_arrived)
