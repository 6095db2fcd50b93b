"""Names of the message events and languages as people read them (settings pages).

Apps that add message events (the workshop) add their names here from `AppConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    "appointment": _("Appointment booked"),
    "eta": _("Technician on the way"),
    "no_show": _("Customer not at home"),
    "cannot_keep": _("Appointment cannot be kept"),
    "report": _("Service report"),
    "survey": _("Satisfaction survey"),
    "complaint_received": _("Complaint received"),
    "complaint_outcome": _("Complaint outcome"),
    "otp": _("Sign-in code"),
    "maintenance_due": _("Maintenance due"),
    "contract_renewal": _("Service contract renewal"),
    "campaign": _("Recall or service campaign"),
}

# Languages in their own names, as the language switcher shows them.
LANGUAGES = {"zh-hans": "简体中文", "en": "English"}
