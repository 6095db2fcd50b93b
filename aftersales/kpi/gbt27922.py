"""GB/T 27922-2011 《商品售后服务评价体系》 self-assessment: a pure core.

The point table is company data (a default below, editable): three first-level indicators
(售后服务体系, 商品服务, 顾客服务), each with second-level items and their points. Each item
is answered yes / partly / no / not applicable, with evidence. Score = points earned / points
of the applicable items × 100 (yes earns all, partly half, no nothing; not applicable leaves
the item out); ≥ 70 compliant, ≥ 80 three stars, ≥ 90 four stars, ≥ 95 five stars. The gap
to the next level is the score still missing and the points that would close it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

ANSWERS = ("yes", "partly", "no", "na")
SHARE = {"yes": Decimal(1), "partly": Decimal("0.5"), "no": Decimal(0)}
# (minimum score, level code), best first
LEVELS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(95), "five_stars"),
    (Decimal(90), "four_stars"),
    (Decimal(80), "three_stars"),
    (Decimal(70), "compliant"),
)
TWO = Decimal("0.01")

# code, first-level indicator, names (zh, en), points, evidence key the system can fill
DEFAULT_TABLE: tuple[dict[str, Any], ...] = (
    {"code": "1.1", "group": "system", "zh": "组织机构", "en": "Organisation", "points": 5},
    {"code": "1.2", "group": "system", "zh": "人员配置", "en": "Staffing", "points": 5},
    {
        "code": "1.3",
        "group": "system",
        "zh": "服务资源（网点、设施、备件）",
        "en": "Resources (stations, facilities, spare parts)",
        "points": 5,
    },
    {"code": "1.4", "group": "system", "zh": "服务制度", "en": "Service rules", "points": 5},
    {"code": "1.5", "group": "system", "zh": "服务监督", "en": "Supervision", "points": 5},
    {"code": "1.6", "group": "system", "zh": "服务改进", "en": "Improvement", "points": 5},
    {"code": "1.7", "group": "system", "zh": "服务文化", "en": "Service culture", "points": 5},
    {
        "code": "1.8",
        "group": "system",
        "zh": "人员培训",
        "en": "Staff training",
        "points": 5,
        "evidence": "training_hours",
    },
    {"code": "2.1", "group": "product", "zh": "商品信息", "en": "Product information", "points": 5},
    {"code": "2.2", "group": "product", "zh": "技术支持", "en": "Technical support", "points": 5},
    {
        "code": "2.3",
        "group": "product",
        "zh": "配送与安装",
        "en": "Delivery and installation",
        "points": 5,
    },
    {
        "code": "2.4",
        "group": "product",
        "zh": "维修服务",
        "en": "Repair service",
        "points": 10,
        "evidence": "first_time_fix",
    },
    {
        "code": "2.5",
        "group": "product",
        "zh": "质量保证（三包）",
        "en": "Quality assurance (三包)",
        "points": 5,
    },
    {
        "code": "2.6",
        "group": "product",
        "zh": "备件供应与旧件返还",
        "en": "Spare parts and old-part returns",
        "points": 5,
        "evidence": "old_part_return_on_time",
    },
    {
        "code": "2.7",
        "group": "product",
        "zh": "废旧商品回收",
        "en": "Take-back of waste products",
        "points": 5,
    },
    {
        "code": "3.1",
        "group": "customer",
        "zh": "顾客关系与回访",
        "en": "Customer relations and follow-up",
        "points": 10,
        "evidence": "follow_up_rate",
    },
    {
        "code": "3.2",
        "group": "customer",
        "zh": "投诉处理",
        "en": "Complaint handling",
        "points": 10,
        "evidence": "complaints",
    },
)
GROUPS = {
    "system": ("售后服务体系", "After-sales service system"),
    "product": ("商品服务", "Product service"),
    "customer": ("顾客服务", "Customer service"),
}


@dataclass(frozen=True)
class Result:
    earned: Decimal
    applicable: Decimal
    score: Decimal | None
    level: str  # "" below 70
    next_level: str  # "" at five stars
    gap_score: Decimal  # score still missing for the next level
    gap_points: Decimal  # points still to earn for it (applicable items unchanged)
    by_group: dict[str, tuple[Decimal, Decimal]]  # group -> (earned, applicable)


def level_of(score: Decimal | None) -> str:
    if score is None:
        return ""
    for minimum, level in LEVELS:
        if score >= minimum:
            return level
    return ""


def evaluate(table: Sequence[Mapping[str, Any]], answers: Mapping[str, str]) -> Result:
    """Score a point table; `answers` maps item codes to yes / partly / no / na (an item
    with no answer counts as applicable and not met)."""
    earned = applicable = Decimal(0)
    by_group: dict[str, list[Decimal]] = {}
    for item in table:
        answer = answers.get(item["code"], "no")
        if answer == "na":
            continue
        points = Decimal(str(item["points"]))
        got = points * SHARE.get(answer, Decimal(0))
        earned += got
        applicable += points
        group = by_group.setdefault(item.get("group", ""), [Decimal(0), Decimal(0)])
        group[0] += got
        group[1] += points
    score = (earned * 100 / applicable).quantize(TWO, ROUND_HALF_UP) if applicable else None
    level = level_of(score)
    nxt = ""
    minimum = Decimal(0)
    if score is not None:
        higher = [(m, lv) for m, lv in reversed(LEVELS) if score < m]
        if higher:
            minimum, nxt = higher[0]
    gap_score = gap_points = Decimal(0)
    if nxt and score is not None:
        gap_score = (minimum - score).quantize(TWO)
        needed = minimum * applicable / 100 - earned
        # answers move in half points (partly): round up to the next half point
        half_points = (needed * 2).to_integral_value(ROUND_CEILING)
        gap_points = half_points / 2 if needed > 0 else Decimal(0)
    return Result(
        earned,
        applicable,
        score,
        level,
        nxt,
        gap_score,
        gap_points,
        {k: (v[0], v[1]) for k, v in by_group.items()},
    )


def suggest(evidence_key: str, value: Decimal | None, count: int | None = None) -> str:
    """The answer the system's own figures suggest for an item ("" when it has none)."""
    if evidence_key == "complaints":
        return "yes" if count else ""
    if value is None:
        return ""
    thresholds = {
        "training_hours": (Decimal(40), Decimal(20)),
        "first_time_fix": (Decimal(90), Decimal(75)),
        "old_part_return_on_time": (Decimal(95), Decimal(80)),
        "follow_up_rate": (Decimal(90), Decimal(60)),
    }
    full, half = thresholds.get(evidence_key, (Decimal(100), Decimal(50)))
    if value >= full:
        return "yes"
    if value >= half:
        return "partly"
    return "no"
