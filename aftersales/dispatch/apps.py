from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "aftersales.dispatch"
    label = "dispatch"
