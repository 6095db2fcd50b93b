"""Assessment run statuses and their state machine on the shared transition kernel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.transitions import Machine


class RunStatus(models.TextChoices):
    # 草稿: scored; manual scores and adjustments may be entered.
    DRAFT = "draft", _("Draft")
    # 已复核: checked; sent back to draft or approved.
    REVIEWED = "reviewed", _("Reviewed")
    # 已批准: final; settlement reads it (`selectors.approved_results`).
    APPROVED = "approved", _("Approved")


S = RunStatus

RUN_LIFECYCLE = Machine(
    name="assessment_run",
    statuses=dict(RunStatus.choices),
    table={
        "review": (frozenset({S.DRAFT}), S.REVIEWED),
        "send_back": (frozenset({S.REVIEWED}), S.DRAFT),
        "approve": (frozenset({S.REVIEWED}), S.APPROVED),
    },
    needs_reason=frozenset({"send_back"}),
    labels={
        "review": _("Mark as reviewed"),
        "send_back": _("Send back to draft"),
        "approve": _("Approve"),
    },
)
