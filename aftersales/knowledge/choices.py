"""Article kinds, statuses and the lifecycle (a `Machine` of the transition kernel)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.transitions import Machine


class Kind(models.TextChoices):
    # 故障解决方案: per category/model and fault code: symptom, cause, checks, fix, parts, time.
    SOLUTION = "solution", _("Fault solution")
    # 服务案例: a real order written up: what happened, what was done, what was learned.
    CASE = "case", _("Service case")
    # 客户问答: usage and care questions the hotline answers.
    ANSWER = "answer", _("Customer answer")


class Status(models.TextChoices):
    # 草稿: being written; visible to its author and the reviewers only.
    DRAFT = "draft", _("Draft")
    # 待审核: handed in for review by the service manager.
    IN_REVIEW = "in_review", _("In review")
    # 已发布: readable by everyone in the company, suggested at intake and on site.
    PUBLISHED = "published", _("Published")
    # 已停用: no longer valid (model discontinued, better fix known); kept for history.
    RETIRED = "retired", _("Retired")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")


S = Status

LIFECYCLE = Machine(
    name="article",
    statuses=dict(Status.choices),
    table={
        "submit": (frozenset({S.DRAFT}), S.IN_REVIEW),
        "return": (frozenset({S.IN_REVIEW}), S.DRAFT),
        "publish": (frozenset({S.DRAFT, S.IN_REVIEW}), S.PUBLISHED),
        "retire": (frozenset({S.PUBLISHED}), S.RETIRED),
        "restore": (frozenset({S.RETIRED}), S.DRAFT),
    },
    needs_reason=frozenset({"return", "retire"}),
    labels={
        "submit": _("Submit for review"),
        "return": _("Return to the author"),
        "publish": _("Publish"),
        "retire": _("Retire"),
        "restore": _("Restore as a draft"),
    },
)

# Verbs only a reviewer (the service manager) may take; an author may submit their draft.
REVIEWER_VERBS = frozenset({"return", "publish", "retire", "restore"})

# Event actions that are not transitions.
EVENT_LABELS = {
    "created": _("Created"),
    "edited": _("Edited"),
    "featured": _("Marked as a featured case"),
    "unfeatured": _("No longer a featured case"),
    "feedback": _("Feedback"),
    **LIFECYCLE.labels,
}
