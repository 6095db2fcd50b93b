"""The history file: JSON Lines, one record or event per line (docs/history-import.md).

Pure: this module parses and checks rows (schema, references, times in order) and knows nothing
of the database. The caller passes the external ids the company already has (`known`), and gets
back one `Check` per line: what the row is, and why it is refused if it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

BEIJING = ZoneInfo("Asia/Shanghai")

# Order event actions the file may carry, and the words a person reads for them.
EVENT_ACTIONS = {
    "triage": _("Triaged"),
    "dispatch": _("Dispatched to a station"),
    "redispatch": _("Moved to another station"),
    "assign": _("Technician assigned"),
    "accept": _("Accepted"),
    "depart": _("Departed"),
    "check_in": _("Checked in on site"),
    "call": _("Customer called"),
    "no_show": _("Customer absent"),
    "decline": _("Assignment declined"),
    "cannot_keep": _("Appointment cannot be kept"),
    "diagnosis": _("Diagnosis recorded"),
    "part_used": _("Part used"),
    "charge": _("Charges quoted"),
    "payment": _("Payment"),
    "pause_parts": _("Paused: waiting for parts"),
    "pause_customer": _("Paused: waiting for the customer"),
    "resume": _("Resumed"),
    "complete": _("Completed"),
    "close": _("Closed"),
    "cancel": _("Cancelled"),
    "reopen": _("Reopened"),
}
COMPLAINT_STEPS = {
    "investigate": _("Investigation started"),
    "propose": _("Solution proposed"),
    "feedback_accepted": _("Customer accepted the solution"),
    "feedback_rejected": _("Customer rejected the solution"),
    "escalate": _("Escalated"),
    "close": _("Closed"),
}
ARTICLE_STEPS = {
    "submit": _("Submitted for review"),
    "return": _("Returned to the author"),
    "publish": _("Published"),
    "retire": _("Retired"),
    "restore": _("Restored as a draft"),
}
# A workshop job's steps (送修 / 寄修): the job's verbs, and what the bench and the counter record.
WORKSHOP_STEPS = {
    "receive": _("Mail-in unit received"),
    "diagnose": _("Bench diagnosis started"),
    "diagnosis": _("Bench diagnosis recorded"),
    "quote": _("Quote sent"),
    "accept_quote": _("Quote accepted"),
    "decline_quote": _("Quote declined"),
    "confirm_warranty": _("Warranty confirmed"),
    "wait_parts": _("Waiting for parts"),
    "parts_arrived": _("Parts arrived"),
    "start_repair": _("Repair started"),
    "part_used": _("Part used on the bench"),
    "finish_repair": _("Repair done"),
    "qc_pass": _("Quality check passed"),
    "qc_fail": _("Quality check failed"),
    "payment": _("Payment"),
    "hand_over": _("Handed over at the counter"),
    "ship_back": _("Shipped back"),
    "deliver": _("Delivered back"),
    "cancel": _("Mail-in request cancelled"),
}
WORKSHOP_ROUTES = frozenset({"counter", "courier", "visit"})
RETURN_METHODS = frozenset({"pickup", "ship"})
WORKSHOP_NEEDS_REASON = frozenset({"decline_quote", "wait_parts", "qc_fail", "cancel"})
ARTICLE_TYPES = frozenset({"solution", "case", "answer"})
# Event actions that need a reason, as the live flow asks.
NEEDS_REASON = frozenset(
    {"pause_parts", "pause_customer", "cancel", "reopen", "decline", "cannot_keep"}
)
RESULTS = frozenset({"fixed", "replaced_part", "not_fixed"})
CAUSES = frozenset({"product_fault", "not_product_fault"})

KIND_LABELS = {
    "customer": pgettext_lazy("history kind", "Customer"),
    "address": pgettext_lazy("history kind", "Address"),
    "unit": pgettext_lazy("history kind", "Unit"),
    "reading": pgettext_lazy("history kind", "Meter reading"),
    "order": pgettext_lazy("history kind", "Order"),
    "event": pgettext_lazy("history kind", "Order event"),
    "follow_up": pgettext_lazy("history kind", "Follow-up"),
    "complaint": pgettext_lazy("history kind", "Complaint"),
    "complaint_step": pgettext_lazy("history kind", "Complaint step"),
    "maintenance": pgettext_lazy("history kind", "Maintenance service done"),
    "workshop": pgettext_lazy("history kind", "Workshop job"),
    "workshop_step": pgettext_lazy("history kind", "Workshop step"),
    "article": pgettext_lazy("history kind", "Knowledge article"),
    "article_step": pgettext_lazy("history kind", "Article step"),
}


@dataclass(frozen=True)
class Spec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # field -> the kind of record it names by external id
    refs: Mapping[str, str] = field(default_factory=dict)
    # the reference whose history this row continues (times must not go back along it)
    parent: str = ""


SPECS: dict[str, Spec] = {
    "customer": Spec(("name", "phone"), ("type", "email", "address", "postcode", "notes")),
    "address": Spec(("customer", "line"), ("postcode", "default"), {"customer": "customer"}),
    "unit": Spec(
        ("customer", "model", "serial"),
        (
            "category",
            "purchase_date",
            "invoice_date",
            "installation_date",
            "voucher_no",
            "address",
        ),
        {"customer": "customer", "address": "address"},
    ),
    "reading": Spec(("unit", "meter", "value"), ("note",), {"unit": "unit"}, parent="unit"),
    "order": Spec(
        ("customer",),
        ("unit", "service_type", "priority", "channel", "fault", "fault_code", "address"),
        {"customer": "customer", "unit": "unit", "address": "address"},
    ),
    "event": Spec(
        ("order", "action"),
        (
            "station",
            "technician",
            "reason",
            "result",
            "diagnosis",
            "cause",
            "work_done",
            "fault_codes",
            "new_order",
            "part",
            "quantity",
            "serial",
            "old_serial",
            "items",
            "amount",
            "method",
            "reference",
        ),
        {"order": "order"},
        parent="order",
    ),
    "follow_up": Spec(("order", "answers"), (), {"order": "order"}, parent="order"),
    "complaint": Spec(
        ("customer", "category", "severity", "description"),
        ("order", "source"),
        {"customer": "customer", "order": "order"},
    ),
    "complaint_step": Spec(
        ("complaint", "action"), ("text",), {"complaint": "complaint"}, parent="complaint"
    ),
    # A completed order of the unit that was its planned service (the plan counts from it).
    "maintenance": Spec(("unit", "order"), (), {"unit": "unit", "order": "order"}, parent="order"),
    # A unit repaired at a station's workshop (brought to the counter, mailed in, or taken
    # back from a visit), and the job's steps at their times.
    "workshop": Spec(
        ("order", "station", "route"),
        ("return_method", "return_address", "condition"),
        {"order": "order"},
        parent="order",
    ),
    "workshop_step": Spec(
        ("job", "action"),
        (
            "by",
            "reason",
            "condition",
            "accessories",
            "diagnosis",
            "cause",
            "work_done",
            "fault_codes",
            "items",
            "part",
            "quantity",
            "serial",
            "old_serial",
            "amount",
            "method",
            "reference",
            "picked_up_by",
            "carrier",
            "tracking_no",
        ),
        {"job": "workshop"},
        parent="job",
    ),
    # A knowledge article (a draft at its time) and the steps of its review, at theirs.
    "article": Spec(
        ("type", "title"),
        ("body", "language", "category", "models", "fault_codes", "parts", "tags", "author"),
    ),
    "article_step": Spec(
        ("article", "action"), ("reason",), {"article": "article"}, parent="article"
    ),
}
BASE_FIELDS = ("kind", "id", "at")
# Kinds whose id may be left out: it is made from the parent, the action and the time.
DERIVED_ID = {
    "reading": "meter",
    "event": "action",
    "follow_up": "",
    "complaint_step": "action",
    "maintenance": "",
    "workshop_step": "action",
    "article_step": "action",
}

MESSAGES = {
    "bad_json": _("The line is not valid JSON: %(detail)s."),
    "not_object": _("The line must be a JSON object."),
    "unknown_kind": _("Unknown record kind “%(value)s”."),
    "missing": _("Missing field “%(field)s”."),
    "unknown_field": _("Unknown field “%(field)s”."),
    "bad_time": _("“%(field)s” is not a date and time (ISO 8601)."),
    "bad_date": _("“%(field)s” is not a date (YYYY-MM-DD)."),
    "bad_value": _("“%(field)s” has a value this import does not know: %(value)s."),
    "duplicate_id": _("The id “%(value)s” is already used on line %(line)s."),
    "unknown_ref": _(
        "“%(field)s” names %(kind)s “%(value)s”, which is neither in the file before this line nor imported before."
    ),
    "ref_refused": _("“%(field)s” names a row that was refused (line %(line)s)."),
    "time_back": _(
        "The time %(at)s is before the previous step of %(value)s (%(before)s, line %(line)s)."
    ),
    "reason_needed": _("This step needs a reason."),
    "imported": _("Already imported: nothing to do."),
    "action_refused": _("Refused by the system: %(detail)s"),
    "gap": _(
        "The source lacks a step the live flow needs (%(detail)s): recorded as a gap, nothing invented."
    ),
}


@dataclass
class Check:
    """One line of the file, checked."""

    line: int
    kind: str = ""
    external_id: str = ""
    at: dt.datetime | None = None
    row: dict[str, Any] = field(default_factory=dict)
    # (code, params) of every problem; a row with any is refused
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    already: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, code: str, **params: Any) -> None:
        self.problems.append((code, params))


def message(code: str, params: Mapping[str, Any]) -> str:
    """A problem in the user's language."""
    text = MESSAGES.get(code, MESSAGES["action_refused"])
    words = {k: (str(KIND_LABELS[v]) if k == "kind" else v) for k, v in params.items()}
    return str(text) % words


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 moment; without an offset it is Beijing time. Stored in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:  # a date alone: nine in the morning, Beijing time
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(9))
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_lines(text: str) -> list[tuple[int, Any]]:
    """(line number, decoded value or the JSON error) for every non-blank line."""
    out: list[tuple[int, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append((number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            out.append((number, exc))
    return out


def _schema(check: Check, row: Any) -> None:
    if isinstance(row, json.JSONDecodeError):
        check.refuse("bad_json", detail=f"{row.msg} ({row.colno})")
        return
    if not isinstance(row, dict):
        check.refuse("not_object")
        return
    check.row = row
    kind = str(row.get("kind"))
    spec = SPECS.get(kind)
    if spec is None:
        check.refuse("unknown_kind", value=kind[:40])
        return
    check.kind = kind
    for name in row:
        if name not in BASE_FIELDS and name not in spec.required and name not in spec.optional:
            check.refuse("unknown_field", field=str(name)[:40])
    for name in spec.required:
        if row.get(name) in (None, "", [], {}):
            check.refuse("missing", field=name)
    check.at = parse_time(row.get("at"))
    if check.at is None:
        check.refuse("missing" if row.get("at") in (None, "") else "bad_time", field="at")
    ext = row.get("id")
    if ext in (None, "") and kind in DERIVED_ID and check.at is not None:
        parent = str(row.get(spec.parent or "order", ""))
        tail = str(row.get(DERIVED_ID[kind], "")) if DERIVED_ID[kind] else kind
        ext = f"{parent}/{tail}/{check.at.isoformat()}"
    if ext in (None, ""):
        check.refuse("missing", field="id")
    else:
        check.external_id = str(ext)[:100]
    _values(check, kind, row)


def _values(check: Check, kind: str, row: dict[str, Any]) -> None:
    for name in ("purchase_date", "invoice_date", "installation_date"):
        if row.get(name) not in (None, "") and parse_date(row.get(name)) is None:
            check.refuse("bad_date", field=name)
    if kind == "reading":
        if row.get("meter") not in ("km", "hours"):
            check.refuse("bad_value", field="meter", value=str(row.get("meter"))[:40])
        if not isinstance(row.get("value"), int | float | str):
            check.refuse("bad_value", field="value", value=str(row.get("value"))[:40])
    if kind == "event":
        action = _step(check, row, EVENT_ACTIONS, NEEDS_REASON, charge="charge")
        if action == "complete" and row.get("result", "fixed") not in RESULTS:
            check.refuse("bad_value", field="result", value=str(row.get("result"))[:40])
        if action in ("dispatch", "redispatch") and not row.get("station"):
            check.refuse("missing", field="station")
        if action == "assign" and not row.get("technician"):
            check.refuse("missing", field="technician")
        if action == "reopen" and not row.get("new_order"):
            check.refuse("missing", field="new_order")
    if kind == "workshop":
        if row.get("route") not in WORKSHOP_ROUTES:
            check.refuse("bad_value", field="route", value=str(row.get("route"))[:40])
        if row.get("return_method", "pickup") not in RETURN_METHODS:
            check.refuse(
                "bad_value", field="return_method", value=str(row.get("return_method"))[:40]
            )
    if kind == "workshop_step":
        _workshop_step(check, row)
    if kind == "follow_up" and not isinstance(row.get("answers"), dict):
        check.refuse("bad_value", field="answers", value=str(row.get("answers"))[:40])
    if kind == "complaint_step" and row.get("action") not in COMPLAINT_STEPS:
        check.refuse("bad_value", field="action", value=str(row.get("action"))[:40])
    if kind == "article":
        if row.get("type") not in ARTICLE_TYPES:
            check.refuse("bad_value", field="type", value=str(row.get("type"))[:40])
        for name in ("models", "fault_codes", "parts"):
            entries = row.get(name, [])
            if not isinstance(entries, list) or not all(
                _code_entry(e, qualified=name != "parts") for e in entries
            ):
                check.refuse("bad_value", field=name, value=str(entries)[:40])
    if kind == "article_step":
        if row.get("action") not in ARTICLE_STEPS:
            check.refuse("bad_value", field="action", value=str(row.get("action"))[:40])
        if row.get("action") in ("return", "retire") and not str(row.get("reason") or "").strip():
            check.refuse("reason_needed")


def _step(
    check: Check,
    row: dict[str, Any],
    known: Mapping[str, Any],
    needs_reason: frozenset[str],
    *,
    charge: str,
) -> Any:
    """The checks an order's and a workshop job's steps share; returns the action."""
    action = row.get("action")
    if action not in known:
        check.refuse("bad_value", field="action", value=str(action)[:40])
    if action in needs_reason and not str(row.get("reason") or "").strip():
        check.refuse("reason_needed")
    if action == "diagnosis" and row.get("cause", "product_fault") not in CAUSES:
        check.refuse("bad_value", field="cause", value=str(row.get("cause"))[:40])
    if action == charge and not isinstance(row.get("items"), list):
        check.refuse("missing", field="items")
    if action == "payment" and row.get("amount") in (None, ""):
        check.refuse("missing", field="amount")
    if action == "part_used" and not row.get("part"):
        check.refuse("missing", field="part")
    return action


def _workshop_step(check: Check, row: dict[str, Any]) -> None:
    action = _step(check, row, WORKSHOP_STEPS, WORKSHOP_NEEDS_REASON, charge="quote")
    if action == "ship_back":
        for name in ("carrier", "tracking_no"):
            if not str(row.get(name) or "").strip():
                check.refuse("missing", field=name)
    if not isinstance(row.get("accessories", []), list):
        check.refuse("bad_value", field="accessories", value=str(row.get("accessories"))[:40])


def _code_entry(entry: Any, *, qualified: bool) -> bool:
    """A code in an article's list: a bare code, or (models and fault codes, unique per product
    category) `{"category": ..., "code": ...}`."""
    if isinstance(entry, str | int) and not isinstance(entry, bool):
        return str(entry).strip() != ""
    return (
        qualified
        and isinstance(entry, dict)
        and set(entry) == {"category", "code"}
        and all(isinstance(v, str) and v.strip() for v in entry.values())
    )


def check_rows(rows: Iterable[tuple[int, Any]], known: set[tuple[str, str]]) -> list[Check]:
    """Check every line: schema, references (to a row before it, or to an id the company
    already has), and times in order along each order's, unit's and complaint's history.

    `known` holds (kind, external id) pairs already imported; such a row is marked `already`
    (applying it changes nothing)."""
    checks: list[Check] = []
    seen: dict[tuple[str, str], Check] = {}
    # (kind, id) -> (time, line) of the last step along that history
    last: dict[tuple[str, str], tuple[dt.datetime, int]] = {}
    # a workshop job's id -> its order's (a job's steps move its order along too)
    order_of_job: dict[str, str] = {}
    for number, row in rows:
        check = Check(line=number)
        checks.append(check)
        _schema(check, row)
        if not check.kind or not check.external_id:
            continue
        key = (check.kind, check.external_id)
        if key in seen:
            check.refuse("duplicate_id", value=check.external_id, line=seen[key].line)
            continue
        seen[key] = check
        spec = SPECS[check.kind]
        for name, kind in spec.refs.items():
            value = check.row.get(name)
            if value in (None, ""):
                continue
            ref = (kind, str(value))
            if ref in seen:
                if not seen[ref].ok:
                    check.refuse("ref_refused", field=name, line=seen[ref].line)
            elif ref not in known:
                check.refuse("unknown_ref", field=name, kind=kind, value=value)
        if check.kind == "event" and check.row.get("action") == "reopen":
            # the new order is a record of its own: its id must be free
            new = ("order", str(check.row.get("new_order")))
            if new in seen:
                check.refuse("duplicate_id", value=new[1], line=seen[new].line)
            else:
                seen[new] = check
        if check.at is not None:
            along = (
                [(spec.refs[spec.parent], str(check.row.get(spec.parent)))] if spec.parent else []
            )
            if check.kind == "workshop":
                order_of_job[check.external_id] = str(check.row.get("order"))
            elif check.kind == "workshop_step" and str(check.row.get("job")) in order_of_job:
                along.append(("order", order_of_job[str(check.row.get("job"))]))
            for ref in along:
                if ref in last and check.at < last[ref][0]:
                    check.refuse(
                        "time_back",
                        at=check.at.isoformat(),
                        value=ref[1],
                        before=last[ref][0].isoformat(),
                        line=last[ref][1],
                    )
                    break  # once: a step of a job goes back along its order too
            if check.ok:
                for ref in [*along, key]:
                    last[ref] = (check.at, number)
                if check.kind == "event" and check.row.get("action") == "reopen":
                    last[("order", str(check.row.get("new_order")))] = (check.at, number)
        if check.ok and key in known:
            check.already = True
    return checks
