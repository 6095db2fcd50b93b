"""Assessment (考核) scoring: a pure core, plain data in, a score with its arithmetic out.

A scheme is data:

    {
      "subject": "station" | "technician",
      "items": [
        {"code": "ftf", "name": "一次修复率", "weight": "30", "kpi": "first_time_fix",
         "bands": [["90", "100"], ["85", "80"], ["80", "60"], ["0", "0"]]},
        {"code": "attitude", "name": "服务态度", "weight": "10", "manual": true, "max": "100"}
      ],
      "rules": [
        {"code": "complaints", "name": "有效投诉", "kpi": "complaint_rate", "per": "-2",
         "cap": "-20"},
        {"code": "praise", "name": "客户表扬", "manual": true, "per": "1", "cap": "5"}
      ],
      "grades": [["90", "A"], ["80", "B"], ["70", "C"], ["0", "D"]]
    }

Bands: for a KPI where higher is better, the first band whose threshold the value reaches
(thresholds from high to low); where lower is better, the first band whose threshold the
value does not exceed (thresholds from low to high). An item with no figure for the period is
not scored and its weight is shared among the others (the arithmetic says so). A rule adds
`per` points for each unit of its count (a KPI's numerator, e.g. valid complaints, or a
manual count), capped at `cap`. Score = weighted items (four places each) + rules +
adjustments, rounded once to two places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aftersales.kpi.formulas import BY_CODE

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")


class SchemeError(ValueError):
    """The scheme's data is not usable (unknown KPI, no items, bad band)."""


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def check_scheme(scheme: Mapping[str, Any]) -> list[str]:
    """Problems with a scheme's data ([] when usable)."""
    try:
        return _check(scheme)
    except (AttributeError, TypeError, KeyError, ValueError, ArithmeticError):
        return ["definition"]


def _check(scheme: Mapping[str, Any]) -> list[str]:
    problems = []
    if scheme.get("subject") not in ("station", "technician"):
        problems.append("subject")
    items = scheme.get("items") or []
    if not items:
        problems.append("items")
    codes = set()
    for item in items:
        code = item.get("code")
        if not code or code in codes:
            problems.append(f"items.{code}")
        codes.add(code)
        try:
            if _d(item.get("weight", "0")) <= 0:
                problems.append(f"items.{code}.weight")
        except ArithmeticError:
            problems.append(f"items.{code}.weight")
        if not item.get("manual"):
            if item.get("kpi") not in BY_CODE:
                problems.append(f"items.{code}.kpi")
            if not item.get("bands"):
                problems.append(f"items.{code}.bands")
    for rule in scheme.get("rules") or []:
        if not rule.get("manual") and rule.get("kpi") not in BY_CODE:
            problems.append(f"rules.{rule.get('code')}.kpi")
    grades = scheme.get("grades")
    if not grades:
        problems.append("grades")
    else:
        for threshold, _grade in grades:
            _d(threshold)
    for item in items:
        for threshold, points in item.get("bands") or []:
            _d(threshold), _d(points)
    return problems


@dataclass(frozen=True)
class Figure:
    """One KPI's frozen figure for the subject (from a snapshot)."""

    numerator: Decimal
    denominator: Decimal
    value: Decimal | None


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    kind: str  # item / rule / adjustment
    detail: str  # the arithmetic, in plain words and numbers
    points: Decimal  # what this line adds to the score


@dataclass(frozen=True)
class Score:
    total: Decimal
    grade: str
    lines: tuple[Line, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": str(self.total),
            "grade": self.grade,
            "lines": [
                {
                    "code": ln.code,
                    "name": ln.name,
                    "kind": ln.kind,
                    "detail": ln.detail,
                    "points": str(ln.points),
                }
                for ln in self.lines
            ],
        }


def band_points(kpi: str, value: Decimal, bands: Sequence[Sequence[Any]]) -> tuple[Decimal, str]:
    """Points for a KPI value by the scheme's bands, and the band that gave them."""
    higher = BY_CODE[kpi].direction == "higher"
    table = sorted(((_d(t), _d(p)) for t, p in bands), key=lambda b: b[0], reverse=higher)
    for threshold, points in table:
        if (value >= threshold) if higher else (value <= threshold):
            return points, (f"≥ {threshold}" if higher else f"≤ {threshold}")
    return Decimal(0), "—"


def grade_of(total: Decimal, grades: Sequence[Sequence[Any]]) -> str:
    for threshold, grade in sorted(((_d(t), g) for t, g in grades), key=lambda g: -g[0]):
        if total >= threshold:
            return str(grade)
    return str(grades[-1][1]) if grades else ""


def score(
    scheme: Mapping[str, Any],
    figures: Mapping[str, Figure | None],
    manual: Mapping[str, Any] | None = None,
    adjustments: Sequence[tuple[Decimal, str]] = (),
) -> Score:
    """The subject's score: `figures` maps a KPI code to its frozen figure (None: no data),
    `manual` maps manual items' and rules' codes to the points or counts entered."""
    manual = manual or {}
    lines: list[Line] = []
    scored: list[tuple[dict[str, Any], Decimal]] = []
    unscored: list[str] = []
    for item in scheme["items"]:
        code, name = item["code"], item.get("name", item["code"])
        if item.get("manual"):
            entered = manual.get(code)
            if entered is None:
                unscored.append(name)
                continue
            cap = _d(item.get("max", "100"))
            points = min(max(_d(entered), Decimal(0)), cap) * 100 / cap
            scored.append(({**item, "detail": f"{_d(entered)} / {cap}"}, points))
            continue
        fig = figures.get(item["kpi"])
        if fig is None or fig.value is None:
            unscored.append(name)
            continue
        points, band = band_points(item["kpi"], fig.value, item["bands"])
        detail = f"{fig.value} ({fig.numerator}/{fig.denominator}) {band}"
        scored.append(({**item, "detail": detail}, points))
    weights = sum((_d(i["weight"]) for i, _p in scored), Decimal(0))
    for item, points in scored:
        share = _d(item["weight"]) / weights if weights else Decimal(0)
        added = (points * share).quantize(FOUR, ROUND_HALF_UP)
        lines.append(
            Line(
                item["code"],
                item.get("name", item["code"]),
                "item",
                f"{item['detail']} → {points} × {(share * 100).quantize(TWO)}%",
                added,
            )
        )
    if unscored:
        lines.append(Line("unscored", ", ".join(unscored), "note", "—", Decimal(0)))
    for rule in scheme.get("rules") or []:
        code, name = rule["code"], rule.get("name", rule["code"])
        if rule.get("manual"):
            count = _d(manual.get(code, 0))
        else:
            fig = figures.get(rule["kpi"])
            count = fig.numerator if fig is not None else Decimal(0)
        per = _d(rule["per"])
        added = count * per
        if rule.get("cap") is not None:
            cap = _d(rule["cap"])
            added = max(added, cap) if per < 0 else min(added, cap)
        added = added.quantize(TWO, ROUND_HALF_UP) + 0  # no "-0.00"
        cap_text = ""
        if rule.get("cap") is not None:
            cap_text = f" ({'≥' if per < 0 else '≤'} {rule['cap']})"
        lines.append(Line(code, name, "rule", f"{count} × {per}{cap_text}", added))
    for points, reason in adjustments:
        lines.append(Line("adjustment", reason, "adjustment", reason, _d(points).quantize(TWO)))
    total = sum((ln.points for ln in lines), Decimal(0)).quantize(TWO, ROUND_HALF_UP)
    return Score(total, grade_of(total, scheme.get("grades") or []), tuple(lines))


DEFAULT_SCHEME: dict[str, Any] = {
    "subject": "station",
    "items": [
        {
            "code": "satisfaction",
            "name": "满意度 Satisfaction",
            "weight": "25",
            "kpi": "satisfaction",
            "bands": [["95", "100"], ["90", "85"], ["85", "70"], ["0", "40"]],
        },
        {
            "code": "resolution_time",
            "name": "修复时长 Resolution time",
            "weight": "20",
            "kpi": "mttr_working",
            "bands": [["8", "100"], ["16", "85"], ["24", "70"], ["100000", "40"]],
        },
        {
            "code": "first_time_fix",
            "name": "一次修复率 First-time fix",
            "weight": "20",
            "kpi": "first_time_fix",
            "bands": [["90", "100"], ["85", "85"], ["80", "70"], ["0", "40"]],
        },
        {
            "code": "response",
            "name": "及时响应率 Timely response",
            "weight": "20",
            "kpi": "timely_response",
            "bands": [["95", "100"], ["90", "85"], ["80", "70"], ["0", "40"]],
        },
        {
            "code": "attitude",
            "name": "服务态度 Service attitude",
            "weight": "15",
            "manual": True,
            "max": "100",
        },
    ],
    "rules": [
        {
            "code": "complaints",
            "name": "有效投诉 Valid complaints",
            "kpi": "complaint_rate",
            "per": "-2",
            "cap": "-20",
        },
        {
            "code": "praise",
            "name": "客户表扬 Commendations",
            "manual": True,
            "per": "1",
            "cap": "5",
        },
    ],
    "grades": [["90", "A"], ["80", "B"], ["70", "C"], ["0", "D"]],
}
