from django.apps import AppConfig


class PartsConfig(AppConfig):
    name = "aftersales.parts"
    label = "parts"
    verbose_name = "parts"
