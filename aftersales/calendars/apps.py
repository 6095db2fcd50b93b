from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "aftersales.calendars"
    label = "calendars"
