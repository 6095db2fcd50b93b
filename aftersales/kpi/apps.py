from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales.kpi"
    verbose_name = _("Performance and assessment")

    def ready(self) -> None:
        from aftersales.core.audit_labels import VALUE_LABELS
        from aftersales.kpi.formulas import BY_CODE
        from aftersales.kpi.selectors import kpi_name

        # a KPI code in the audit trail (a frozen snapshot's) reads as the KPI's name
        VALUE_LABELS["kpi"] = lambda code: kpi_name(BY_CODE[code]) if code in BY_CODE else code
