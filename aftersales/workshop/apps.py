from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales.workshop"
    verbose_name = _("Workshop repair")

    def ready(self) -> None:
        from aftersales.warranty.actions import REPAIR_STAY_HOOKS
        from aftersales.workshop import notices
        from aftersales.workshop.actions import repair_stay

        notices.register()
        if repair_stay not in REPAIR_STAY_HOOKS:
            REPAIR_STAY_HOOKS.append(repair_stay)
