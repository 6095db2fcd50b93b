from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from aftersales.core import append_only

        # After the last app's migrations: every history table exists by then.
        post_migrate.connect(append_only.install, dispatch_uid="aftersales-append-only")
