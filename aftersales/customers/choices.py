from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    # A private person (个人客户).
    PERSON = "person", _("Person")
    # A company, shop or institution (单位客户).
    ORGANISATION = "organisation", _("Organisation")


class UnitUse(models.TextChoices):
    """What a unit is used for (the household-car 三包 rule excludes taxi and other commercial
    use)."""

    PRIVATE = "private", _("Private use")
    COMMERCIAL = "commercial", _("Taxi or other commercial use")


class UnitStatus(models.TextChoices):
    # Installed and working at the customer's site.
    IN_SERVICE = "in_service", _("In service")
    # Taken back to the workshop for repair.
    IN_WORKSHOP = "in_workshop", _("In workshop")
    # Exchanged for a new unit under 三包; the new unit has its own record.
    EXCHANGED = "exchanged", _("Exchanged")
    # Returned to the seller under 三包.
    RETURNED = "returned", _("Returned")
    # Scrapped or no longer in use.
    RETIRED = "retired", _("Retired")


class ConsentPurpose(models.TextChoices):
    # Messages about the customer's own service orders.
    SERVICE = "service", _("Service messages")
    # Follow-up calls and satisfaction surveys.
    SURVEY = "survey", _("Surveys and follow-up")
    # Marketing messages.
    MARKETING = "marketing", _("Marketing")


class ConsentChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    PORTAL = "portal", _("Portal")
    PAPER = "paper", _("Paper form")
    EMAIL = "email", _("E-mail")


class MeterKind(models.TextChoices):
    # 里程: a vehicle's odometer, in km.
    KM = "km", _("Kilometres")
    # 运行小时: an engine's or machine's hour meter.
    HOURS = "hours", _("Running hours")


class MeterSource(models.TextChoices):
    # Read by the technician on a visit (or at the workshop).
    VISIT = "visit", _("Visit")
    # Told by the customer (phone, portal).
    CUSTOMER = "customer", _("Customer")
    # Entered by staff from a document.
    STAFF = "staff", _("Staff")
    # Brought in by a data import.
    IMPORT = "import", _("Import")
