from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "aftersales.orders"
    label = "orders"

    def ready(self) -> None:
        # Imported here: models and tasks cannot be imported before the app registry is ready.
        from aftersales.calendars.actions import DAYS_CHANGED_HOOKS  # noqa: PLC0415
        from aftersales.orders.tasks import days_changed  # noqa: PLC0415

        if days_changed not in DAYS_CHANGED_HOOKS:
            DAYS_CHANGED_HOOKS.append(days_changed)
