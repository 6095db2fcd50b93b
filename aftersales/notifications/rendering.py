"""Message templates per event and language, and quiet hours: pure functions of plain data.

A template is a subject and a body with `{name}` placeholders. A placeholder the context does
not give stays as it is (a template edited by a manager never makes sending fail)."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from typing import Any

# The events messages are sent for, with the variables their templates may use.
EVENTS: dict[str, tuple[str, ...]] = {
    "appointment": ("number", "day", "start", "end"),
    "eta": ("number", "technician", "eta"),
    "no_show": ("number",),
    "cannot_keep": ("number",),
    "report": ("number", "link"),
    "survey": ("number", "link", "days"),
    "complaint_received": ("number", "due"),
    "complaint_outcome": ("number", "outcome"),
    "otp": ("code", "minutes"),
    "maintenance_due": ("number", "plan", "start", "end"),
    "contract_renewal": ("number", "ends_on"),
    "campaign": ("number", "name", "serial"),
}
# Events whose messages need the customer's consent to surveys / marketing; all others are
# service messages about the customer's own orders.
PURPOSE = {"survey": "survey"}
# Events whose text is a secret: the body is cleared once the channel has it.
SECRET = frozenset({"otp"})
# Events sent at once even in quiet hours (the customer is waiting for them).
URGENT = frozenset({"otp", "eta", "no_show", "cannot_keep"})

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("appointment", "zh-hans"): (
        "上门服务预约",
        "工单{number}：服务工程师将于{day} {start}至{end}上门，请保持电话畅通。",
    ),
    ("appointment", "en"): (
        "Your service appointment",
        "Order {number}: a technician will come on {day} between {start} and {end}.",
    ),
    ("eta", "zh-hans"): (
        "服务工程师已出发",
        "工单{number}：{technician}已出发，预计{eta}左右到达。",
    ),
    ("eta", "en"): (
        "Your technician is on the way",
        "Order {number}: {technician} is on the way and expects to arrive at about {eta}.",
    ),
    ("no_show", "zh-hans"): (
        "上门未遇",
        "工单{number}：服务工程师已上门但未能联系到您，我们将致电重新预约。",
    ),
    ("no_show", "en"): (
        "We missed you",
        "Order {number}: our technician came but could not reach you. We will call to book a new visit.",
    ),
    ("cannot_keep", "zh-hans"): (
        "您的预约需要改期",
        "工单{number}：服务工程师无法按约上门，我们将致电重新预约时间。",
    ),
    ("cannot_keep", "en"): (
        "Your appointment has to move",
        "Order {number}: our technician cannot come as agreed. We will call to book a new time.",
    ),
    ("report", "zh-hans"): (
        "您的维修服务单",
        "工单{number}已完工。您的维修服务单（客户联）：{link}",
    ),
    ("report", "en"): (
        "Your service report",
        "Order {number} is completed. Your copy of the service report: {link}",
    ),
    ("survey", "zh-hans"): (
        "服务满意度回访",
        "工单{number}已完工，请您在{days}天内为本次服务评价：{link}",
    ),
    ("survey", "en"): (
        "How was our service?",
        "Order {number} is completed. Please rate the service within {days} days: {link}",
    ),
    ("complaint_received", "zh-hans"): (
        "投诉已受理",
        "您的投诉{number}已受理，我们将于{due}前答复您。",
    ),
    ("complaint_received", "en"): (
        "Your complaint is received",
        "Your complaint {number} is received; we will answer by {due}.",
    ),
    ("complaint_outcome", "zh-hans"): ("投诉处理结果", "您的投诉{number}处理结果：{outcome}"),
    ("complaint_outcome", "en"): (
        "The outcome of your complaint",
        "Your complaint {number}: {outcome}",
    ),
    ("otp", "zh-hans"): ("登录验证码", "您的验证码是{code}，{minutes}分钟内有效，请勿告诉他人。"),
    ("otp", "en"): (
        "Your sign-in code",
        "Your code is {code}. It is valid for {minutes} minutes; do not share it.",
    ),
    ("maintenance_due", "zh-hans"): (
        "保养提醒",
        "您的设备已到保养时间（{plan}，工单{number}），建议{start}至{end}上门，我们将与您预约时间。",
    ),
    ("maintenance_due", "en"): (
        "Your maintenance is due",
        "Your unit's {plan} service is due (order {number}) between {start} and {end}; "
        "we will call to book the visit.",
    ),
    ("campaign", "zh-hans"): (
        "服务通知：{name}",
        "您的设备（序列号{serial}）在{name}范围内，我们已为您登记服务工单{number}，将与您预约免费上门。",
    ),
    ("campaign", "en"): (
        "Service notice: {name}",
        "Your unit {serial} is covered by {name}. We registered order {number} and will call "
        "to book a free visit.",
    ),
    ("contract_renewal", "zh-hans"): (
        "服务合同即将到期",
        "您的服务合同{number}将于{ends_on}到期，请联系我们续签。",
    ),
    ("contract_renewal", "en"): (
        "Your service contract ends soon",
        "Your service contract {number} ends on {ends_on}; contact us to renew it.",
    ),
}


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(text: str, context: dict[str, Any]) -> str:
    """`text` with its {placeholders} filled from `context`; unknown ones kept, braces that
    are not placeholders kept, no attribute or index access."""
    out = []
    for literal, name, spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is None:
            continue
        if not name.isidentifier():  # {0}, {a.b}, {a[0]}: not ours, kept literally
            out.append("{" + name + (":" + spec if spec else "") + "}")
            continue
        out.append(str(_Keep(context)[name]))
    return "".join(out)


def template_for(
    event: str, language: str, custom: dict[tuple[str, str], tuple[str, str]] | None = None
) -> tuple[str, str]:
    """The (subject, body) for an event in a language: the company's own, else the default,
    else the default in Chinese."""
    for key in ((event, language), (event, "zh-hans")):
        if custom and key in custom:
            return custom[key]
        if key in DEFAULTS:
            return DEFAULTS[key]
    raise KeyError(event)


@dataclass(frozen=True)
class QuietHours:
    start: dt.time  # e.g. 21:00
    end: dt.time  # e.g. 08:00 (the next morning when end <= start)

    def contains(self, moment: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def send_after(local_now: dt.datetime, quiet: QuietHours | None, event: str) -> dt.datetime:
    """When a message may go out: now, or at the end of the quiet hours it falls in (urgent
    events go at once)."""
    if quiet is None or event in URGENT or not quiet.contains(local_now.time()):
        return local_now
    end = local_now.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local_now:
        end += dt.timedelta(days=1)
    return end


def backoff(attempts: int, base_minutes: int = 1, cap_minutes: int = 240) -> dt.timedelta:
    """The wait before the next try after `attempts` failed ones: 1, 2, 4, 8 ... minutes,
    never more than the cap."""
    return dt.timedelta(minutes=min(cap_minutes, base_minutes * 2 ** max(0, attempts - 1)))
