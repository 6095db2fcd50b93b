from django.apps import AppConfig


class PartsConfig(AppConfig):
    name = "aftersales.parts"
    label = "parts"
    verbose_name = "parts"

    def ready(self) -> None:
        # Imported here: models cannot be imported before the app registry is ready.
        from aftersales.parts.selectors import replaced_components  # noqa: PLC0415
        from aftersales.warranty.selectors import REPLACED_COMPONENTS_HOOKS  # noqa: PLC0415

        if replaced_components not in REPLACED_COMPONENTS_HOOKS:
            REPLACED_COMPONENTS_HOOKS.append(replaced_components)
