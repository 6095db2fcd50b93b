from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "aftersales.dispatch"
    label = "dispatch"

    def ready(self) -> None:
        # Imported here: models and tasks cannot be imported before the app registry is ready.
        from aftersales.dispatch.tasks import after_bulk_intake, after_intake  # noqa: PLC0415
        from aftersales.orders.actions import (  # noqa: PLC0415
            AFTER_BULK_INTAKE_HOOKS,
            AFTER_INTAKE_HOOKS,
        )

        if after_intake not in AFTER_INTAKE_HOOKS:
            AFTER_INTAKE_HOOKS.append(after_intake)
        if after_bulk_intake not in AFTER_BULK_INTAKE_HOOKS:
            AFTER_BULK_INTAKE_HOOKS.append(after_bulk_intake)
