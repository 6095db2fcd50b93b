"""The GB/T 27922-2011 self-assessment as a PDF: the score, the star level and the gap to the
next, the points per first-level indicator, and every item with its answer, points and
evidence (Chinese in the PDF standard's Chinese font, as the service report)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from aftersales.fieldwork.report import HEAD, SECTION, SMALL, _grid, _p
from aftersales.kpi import gbt27922


def _points(item: Mapping[str, Any], answer: str) -> str:
    if answer == "na":
        return "—"
    share = {"yes": Decimal(1), "partly": Decimal("0.5")}.get(answer, Decimal(0))
    return f"{(Decimal(str(item['points'])) * share).normalize():f} / {item['points']}"


def self_assessment_pdf(
    *,
    company: str,
    table: Sequence[Mapping[str, Any]],
    answers: Mapping[str, Mapping[str, str]],
    result: gbt27922.Result,
    level: str,
    next_level: str,
    answer_labels: Mapping[str, str],
    groups: Mapping[str, str],
    zh: bool,
    saved: Any,
) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("GB/T 27922 self-assessment"),
    )
    width = A4[0] - 30 * mm
    when = timezone.localtime(saved.saved_at).strftime("%Y-%m-%d %H:%M")
    by = saved.saved_by.get_full_name() or saved.saved_by.username
    score = "—" if result.score is None else f"{result.score}"
    story: list[Any] = [
        _p(_("GB/T 27922 self-assessment"), HEAD),
        _p(f"{company} · {_('saved')} {when} · {by}", SMALL),
        Spacer(1, 4 * mm),
        _grid(
            [
                [_("Score"), score, _("Level"), level],
                [
                    _("Points earned"),
                    f"{result.earned.normalize():f} / {result.applicable.normalize():f}",
                    _("Next level"),
                    (
                        _("%(level)s: %(score)s more (about %(points)s points)")
                        % {
                            "level": next_level,
                            "score": result.gap_score,
                            "points": result.gap_points.normalize(),
                        }
                        if next_level
                        else "—"
                    ),
                ],
            ],
            [width * 0.16, width * 0.3, width * 0.16, width * 0.38],
        ),
        _p(_("Score = points earned / applicable points × 100"), SMALL),
        _p(_("By first-level indicator"), SECTION),
        _grid(
            [[_("Indicator"), _("Points earned"), _("Applicable points")]]
            + [
                [groups.get(g, g), f"{e.normalize():f}", f"{a.normalize():f}"]
                for g, (e, a) in result.by_group.items()
            ],
            [width * 0.5, width * 0.25, width * 0.25],
            header=True,
        ),
    ]
    for group, title in groups.items():
        items = [i for i in table if i["group"] == group]
        if not items:
            continue
        rows = [[_("Item"), _("Answer"), _("Points"), _("Evidence")]]
        for item in items:
            entry = answers.get(item["code"]) or {}
            answer = entry.get("answer", "no")
            rows.append(
                [
                    item["zh"] if zh else item["en"],
                    answer_labels.get(answer, answer),
                    _points(item, answer),
                    entry.get("evidence", ""),
                ]
            )
        story += [
            _p(title, SECTION),
            _grid(rows, [width * 0.38, width * 0.12, width * 0.12, width * 0.38], header=True),
        ]
    doc.build(story)
    return out.getvalue()
