from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "aftersales.dispatch"
    label = "dispatch"

    def ready(self) -> None:
        # Imported here: models and tasks cannot be imported before the app registry is ready.
        from aftersales.dispatch.tasks import after_intake  # noqa: PLC0415
        from aftersales.orders.actions import AFTER_INTAKE_HOOKS  # noqa: PLC0415

        if after_intake not in AFTER_INTAKE_HOOKS:
            AFTER_INTAKE_HOOKS.append(after_intake)
