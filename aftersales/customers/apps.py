from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _search_structures(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from aftersales.customers.search import ensure_search_structures

    ensure_search_structures(connections[using])


class CustomersConfig(AppConfig):
    name = "aftersales.customers"
    label = "customers"

    def ready(self) -> None:
        # The substring indexes of customers/search.py, after every migrate (see there why).
        post_migrate.connect(_search_structures, sender=self)
