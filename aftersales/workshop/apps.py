from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales.workshop"
    verbose_name = _("Workshop repair")

    def ready(self) -> None:
        from aftersales.workshop import notices

        notices.register()
