"""A service case written from an order's record (pure: plain data in, text out).

The customer's personal data never reaches the case: the text fields a technician typed
(fault description, diagnosis, work done) are scrubbed of the customer's and contacts' names,
phone numbers (theirs and anything shaped like a phone number), address lines and the unit's
serial number."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Mainland mobiles (1 + 10 digits, optionally spaced or dashed like 138-1234-5678), landlines
# with an area code (021-12345678) and +86 forms.
_PHONE_RE = re.compile(
    r"(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8}|\b\d{7,8}\b"
)
MASK = "＊＊"


def scrub(text: str, *, secrets: Iterable[str]) -> str:
    """`text` without any of `secrets` (names, phones, addresses, serials) and without any
    phone-shaped number."""
    out = text or ""
    for secret in sorted({s.strip() for s in secrets if s and len(s.strip()) >= 2}, key=len)[::-1]:
        out = out.replace(secret, MASK)
        digits = re.sub(r"\D", "", secret)
        if len(digits) >= 7:  # the same number written with spaces or dashes
            pattern = r"[\s-]?".join(re.escape(d) for d in digits)
            out = re.sub(pattern, MASK, out)
    out = _PHONE_RE.sub(MASK, out)
    return out


def secrets_of_name(name: str) -> list[str]:
    """A Chinese full name and the forms people write it in: 张三, 张先生, 张女士, 张师傅."""
    name = (name or "").strip()
    if not name:
        return []
    out = [name]
    if 2 <= len(name) <= 4 and not name.isascii():
        surname = name[0]
        out += [f"{surname}{t}" for t in ("先生", "女士", "小姐", "师傅", "总", "老师", "阿姨")]
    return out


@dataclass(frozen=True)
class VisitNotes:
    diagnosis: str = ""
    cause: str = ""
    work_done: str = ""
    result: str = ""


@dataclass(frozen=True)
class CaseSource:
    """What an order tells, in plain strings (labels already translated)."""

    number: str
    category: str
    model: str
    service_type: str
    fault_description: str
    visits: Sequence[VisitNotes]
    fault_codes: Sequence[str]
    parts: Sequence[str]
    secrets: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Headings:
    """The section headings, translated by the caller."""

    what_happened: str
    diagnosis: str
    cause: str
    work: str
    parts: str
    result: str
    learned: str
    learned_hint: str
    title: str  # with %(model)s and %(fault)s


def case_text(src: CaseSource, h: Headings) -> tuple[str, str]:
    """(title, Markdown body) of the draft case; personal data scrubbed."""

    def clean(text: str) -> str:
        return scrub(text, secrets=src.secrets).strip()

    fault = clean(src.fault_description)
    short = fault.splitlines()[0][:40] if fault else " ".join(src.fault_codes)
    title = h.title % {"model": src.model or src.category, "fault": short}
    lines = [f"## {h.what_happened}", "", fault or "-", ""]
    if src.fault_codes:
        lines += [" ".join(f"`{c}`" for c in src.fault_codes), ""]
    for label, attr in (
        (h.diagnosis, "diagnosis"),
        (h.cause, "cause"),
        (h.work, "work_done"),
        (h.result, "result"),
    ):
        texts = [clean(getattr(v, attr)) for v in src.visits if getattr(v, attr)]
        if texts:
            lines += [f"## {label}", ""]
            lines += [f"- {t}" for t in texts] if len(texts) > 1 else [texts[0]]
            lines.append("")
    if src.parts:
        lines += [f"## {h.parts}", "", *(f"- {p}" for p in src.parts), ""]
    lines += [f"## {h.learned}", "", h.learned_hint, ""]
    return clean(title)[:200], "\n".join(lines).strip() + "\n"
