from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    # 建议: computed, waiting for the dispatcher's review.
    PROPOSED = "proposed", _("Proposed")
    # 已下达: committed; the assignments went through the order actions.
    COMMITTED = "committed", _("Committed")
    # 已过期: an order changed after the proposal was computed; it can no longer be committed.
    STALE = "stale", _("Stale")
    # 已放弃: the dispatcher threw it away.
    DISCARDED = "discarded", _("Discarded")


# Order statuses the day plan may (re)assign, and statuses whose technician is kept.
PLANNABLE = frozenset({"triaged", "dispatched", "assigned", "reopened", "registered"})
KEEP_TECHNICIAN = frozenset({"accepted"})
STARTED = frozenset({"en_route", "on_site"})

REASON_TEXT = {
    "skill": _("No working technician has the skills needed."),
    "territory": _("No qualified technician covers this address."),
    "locked": _("Locked to a technician who is not working this day."),
    "window": _("No qualified technician can reach it inside its window during the shift."),
    "capacity": _("Qualified technicians are fully booked with more urgent or nearer visits."),
    "no_location": _("The address has no coordinates."),
}

# Why a technician cannot take an order (the candidates list).
REFUSAL_LABELS = {
    "skill": _("lacks the skill"),
    "territory": _("outside their territory"),
    "not_working": _("not working that day"),
    "locked": _("locked to someone else"),
    "no_profile": _("no working hours set"),
}
