"""The transition kernel: one mechanism for every state machine in the system.

An entity with a lifecycle (a statement, a maintenance plan, an article, a workshop job, ...)
declares:

1. its statuses as `TextChoices` in its app's `choices.py`, one comment per state;
2. a `Machine`: the transitions table (verb -> the statuses it may start from, the status it
   leads to), the verbs that must carry a reason, and a label per verb;
3. an event model on the append-only base `TransitionEvent` (below, in `core.models`) with a
   foreign key to the entity;
4. an action per verb (`statement_send`, `article_publish`, ...) that locks the row through the
   app's `lock_objects.py`, checks its own rules, and calls `apply()`, which guards the move
   with the table, saves the status with `update_fields` and writes the event row.

The kernel is pure apart from `apply()` (which takes the model instance and the event model it
is given): the table and the guard take and return plain strings, so they are tested without a
database. A typo in a verb fails at import (`Machine` checks its own table) or with
`unknown_action`, never by silently doing nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from aftersales.core import clock
from aftersales.core.errors import ApplicationError, Conflict, NotFound

if TYPE_CHECKING:
    from aftersales.core.models import TransitionEvent

# A target of None means "back to the status the entity had before" (resume after a pause);
# the caller passes that status to `target()`.
BACK = None


@dataclass(frozen=True)
class Machine:
    """A state machine as data: `table[verb] = (sources, target)`.

    `statuses` lists every legal status (the entity's choices); the table may name no other.
    `needs_reason` lists the verbs that must carry a reason. `labels` gives each verb its
    translated label (what a button or a timeline says); `status_labels` the statuses'.
    """

    name: str
    statuses: Mapping[str, Any]
    table: Mapping[str, tuple[frozenset[str], str | None]]
    needs_reason: frozenset[str] = frozenset()
    labels: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for verb, (sources, target) in self.table.items():
            unknown = set(sources) - set(self.statuses)
            if target is not None and target not in self.statuses:
                unknown.add(target)
            if unknown:
                raise ValueError(f"{self.name}.{verb}: unknown statuses {sorted(unknown)}")
        stray = set(self.needs_reason) - set(self.table)
        if stray:
            raise ValueError(f"{self.name}: needs_reason names unknown verbs {sorted(stray)}")

    def can(self, status: str, verb: str) -> bool:
        entry = self.table.get(verb)
        return entry is not None and status in entry[0]

    def available(self, status: str) -> list[str]:
        """The verbs that may start from `status`, in the table's order."""
        return [verb for verb, (sources, _t) in self.table.items() if status in sources]

    def status_label(self, status: str) -> Any:
        return self.statuses.get(status, status)

    def verb_label(self, verb: str) -> Any:
        return self.labels.get(verb, verb)

    def target(self, status: str, verb: str, *, previous: str | None = None) -> str:
        """The status `verb` leads to from `status`, or an ApplicationError saying why not:
        404 `unknown_action` for a verb not in the table, 409 `illegal_transition` for a verb
        that may not start from `status`."""
        entry = self.table.get(verb)
        if entry is None:
            raise NotFound("unknown_action", _("Unknown action."))
        sources, to = entry
        if status not in sources:
            raise Conflict(
                "illegal_transition",
                _("This cannot be done while the status is “%(status)s”.")
                % {"status": self.status_label(status)},
                details={"status": status, "action": verb, "allowed": self.available(status)},
            )
        if to is None:
            if not previous:
                raise Conflict("illegal_transition", _("There is no status to return to."))
            return previous
        return to

    def check_reason(self, verb: str, reason: str) -> str:
        reason = (reason or "").strip()
        if verb in self.needs_reason and not reason:
            raise ApplicationError(
                "reason_required", _("Please give a reason for this step."), status=422
            )
        return reason


def apply(
    machine: Machine,
    obj: Any,
    verb: str,
    *,
    event_model: type[TransitionEvent],
    subject_field: str,
    actor: Any = None,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    previous: str | None = None,
    status_field: str = "status",
    extra_fields: Iterable[str] = (),
    on_status: Callable[[Any], Iterable[str]] | None = None,
) -> TransitionEvent:
    """Move `obj` (already locked by the caller, inside its transaction) by `verb`.

    Guards with the table, saves the new status (and `extra_fields` the caller set on `obj`,
    plus `version` when the model has one) with `update_fields`, and writes one event row of
    `event_model` pointing at `obj` through `subject_field`. Returns the event.

    `on_status(obj)`, when given, runs once the new status is set and before the save (for
    what follows from the status, such as an order's due times); it returns the names of the
    further fields it set, and may add to `payload` (the event is written after it).
    """
    before = getattr(obj, status_field)
    after = machine.target(before, verb, previous=previous)
    reason = machine.check_reason(verb, reason)
    setattr(obj, status_field, after)
    fields = [status_field, *extra_fields]
    if on_status is not None:
        fields.extend(on_status(obj))
    if hasattr(obj, "version"):
        obj.version = (obj.version or 0) + 1
        fields.append("version")
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        fields.append("updated_at")
    obj.save(update_fields=list(dict.fromkeys(fields)))
    return record(
        event_model,
        subject_field=subject_field,
        subject=obj,
        actor=actor,
        action=verb,
        from_status=before,
        to_status=after,
        reason=reason,
        payload=payload,
        at=at,
    )


def record(
    event_model: type[TransitionEvent],
    *,
    subject_field: str,
    subject: Any,
    actor: Any = None,
    action: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TransitionEvent:
    """Write one event row (a transition, or a step that changes no status: a note, an edit).

    The one event writer for every entity on the kernel."""
    return event_model.objects.create(
        **{subject_field: subject},
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason or "",
        payload=dict(payload or {}),
        at=at or clock.now(),
    )
