"""Follow-up (回访) and complaint (投诉) rules as pure functions of plain data.

- every completed order gets one follow-up task, due within the hours configured for its
  service type;
- a follow-up script is a list of questions; answers are checked against it;
- "not fixed" reopens the order; a satisfaction at or below the threshold, or a reported
  overcharge, opens one complaint;
- complaint deadlines by severity count working time; escalation steps at the deadline and at
  multiples of it; a complaint from a customer with another one in the window is a repeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# Hours after completion by service type (calendar hours); `default` for the rest.
DEFAULT_DUE_HOURS = {"default": 48, "installation": 72, "maintenance": 72, "consultation": 24}
# Working minutes to resolve a complaint, by severity.
DEFAULT_COMPLAINT_MINUTES = {"high": 8 * 60, "medium": 24 * 60, "low": 72 * 60}
# A complaint escalates one level each time this share of its deadline passes again.
ESCALATION_STEPS = (1.0, 1.5, 2.0)  # level 1 at the deadline, 2 at 1.5×, 3 at 2×

QUESTION_KINDS = ("yes_no", "score", "text")
DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {"code": "fixed", "kind": "yes_no", "zh-hans": "故障是否已排除？", "en": "Is the fault fixed?"},
    {
        "code": "on_time",
        "kind": "yes_no",
        "zh-hans": "工程师是否按约定时间上门？",
        "en": "Did the technician come on time?",
    },
    {
        "code": "polite",
        "kind": "yes_no",
        "zh-hans": "工程师是否礼貌、规范？",
        "en": "Was the technician polite?",
    },
    {
        "code": "charged_correctly",
        "kind": "yes_no",
        "zh-hans": "收费是否合理、有凭证？",
        "en": "Were you charged correctly, with a receipt?",
    },
    {
        "code": "satisfaction",
        "kind": "score",
        "zh-hans": "对本次服务的满意度（1–5）",
        "en": "Your satisfaction (1–5)",
    },
    {"code": "comment", "kind": "text", "zh-hans": "其他意见", "en": "Anything else?"},
]
# Questions the system acts on (the script may add others, never drop these).
REQUIRED_CODES = ("fixed", "satisfaction")


def due_hours(service_type: str, table: dict[str, int] | None = None) -> int:
    table = {**DEFAULT_DUE_HOURS, **(table or {})}
    return int(table.get(service_type, table["default"]))


def follow_up_due(
    completed_at: dt.datetime, service_type: str, table: dict[str, int] | None = None
) -> dt.datetime:
    return completed_at + dt.timedelta(hours=due_hours(service_type, table))


def check_script(questions: Any) -> list[str]:
    """Problems with a follow-up script (empty when it is usable)."""
    problems = []
    if not isinstance(questions, list) or not questions:
        return ["the script needs at least one question"]
    codes = set()
    for q in questions:
        if not isinstance(q, dict) or not str(q.get("code", "")).isidentifier():
            problems.append("each question needs a code (letters, digits, _)")
            continue
        if q["code"] in codes:
            problems.append(f"question {q['code']} appears twice")
        codes.add(q["code"])
        if q.get("kind") not in QUESTION_KINDS:
            problems.append(f"question {q['code']}: kind is yes_no, score or text")
        if not (q.get("zh-hans") or q.get("en")):
            problems.append(f"question {q['code']}: no text")
    for code in REQUIRED_CODES:
        if code not in codes:
            problems.append(f"the script must ask {code}")
    return problems


def clean_answers(
    questions: list[dict[str, Any]], raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers by code, errors by code). yes_no → bool, score → 1..5, text → ≤ 1000 chars;
    every yes_no and score question must be answered."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in questions:
        code, kind = q["code"], q["kind"]
        value = raw.get(code)
        if kind == "text":
            text = str(value or "").strip()
            if len(text) > 1000:
                errors[code] = "too_long"
            answers[code] = text
        elif kind == "yes_no":
            parsed = {
                True: True,
                False: False,
                "yes": True,
                "no": False,
                "1": True,
                "0": False,
            }.get(value if isinstance(value, bool) else str(value).lower())
            if parsed is None:
                errors[code] = "required"
            else:
                answers[code] = parsed
        else:
            try:
                score = int(str(value))
            except (TypeError, ValueError):
                score = 0
            if not 1 <= score <= 5:
                errors[code] = "score"
            else:
                answers[code] = score
    return answers, errors


@dataclass(frozen=True)
class Consequences:
    reopen: bool
    complaint: bool
    complaint_category: str  # "" when no complaint
    reasons: tuple[str, ...]


def consequences(answers: dict[str, Any], low_score: int) -> Consequences:
    """What a follow-up result sets off: "not fixed" reopens the order; a satisfaction at or
    below `low_score` or "not charged correctly" opens a complaint (charges first)."""
    reasons = []
    overcharge = answers.get("charged_correctly") is False
    low = isinstance(answers.get("satisfaction"), int) and answers["satisfaction"] <= low_score
    if overcharge:
        reasons.append("overcharge")
    if low:
        reasons.append("low_score")
    category = (
        "charges"
        if overcharge
        else ("attitude" if answers.get("polite") is False else "quality")
        if low
        else ""
    )
    return Consequences(
        reopen=answers.get("fixed") is False,
        complaint=bool(reasons),
        complaint_category=category,
        reasons=tuple(reasons),
    )


def complaint_minutes(severity: str, table: dict[str, int] | None = None) -> int:
    table = {**DEFAULT_COMPLAINT_MINUTES, **(table or {})}
    return int(table[severity])


def escalation_level(elapsed_minutes: float, goal_minutes: int) -> int:
    """The escalation level a complaint should have after `elapsed_minutes` of working time
    against a goal of `goal_minutes` (0 before the deadline)."""
    level = 0
    for step, ratio in enumerate(ESCALATION_STEPS, start=1):
        if elapsed_minutes >= goal_minutes * ratio:
            level = step
    return level


def is_repeat(previous: list[dt.datetime], now: dt.datetime, window_days: int = 90) -> bool:
    """A complaint is a repeat when the same customer complained within the window before."""
    return any(now - dt.timedelta(days=window_days) <= at <= now for at in previous)


# The complaint lifecycle: action -> (from statuses, to status).
OPEN_COMPLAINT = frozenset(
    {"received", "investigating", "solution_proposed", "customer_feedback", "escalated"}
)
COMPLAINT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    # Someone takes it up (again, after an escalation).
    "investigate": (frozenset({"received", "escalated"}), "investigating"),
    # A solution is put to the customer.
    "propose": (frozenset({"investigating"}), "solution_proposed"),
    # The customer's answer: accepted → feedback recorded; rejected → investigate again.
    "feedback_accepted": (frozenset({"solution_proposed"}), "customer_feedback"),
    "feedback_rejected": (frozenset({"solution_proposed"}), "investigating"),
    # Handed to the next level (by hand; the deadline raises the level by itself too).
    "escalate": (OPEN_COMPLAINT - {"escalated"}, "escalated"),
    # The outcome is told to the customer and the complaint closed.
    "close": (frozenset({"customer_feedback"}), "closed"),
}
