"""The visit's steps by name, for the phone page (a form) and the API (JSON) alike: each
reads its fields from a form-like object (`get`, `getlist`) and calls one action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aftersales.fieldwork import actions


class Form(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


class JsonForm:
    """A JSON body as a form: lists stay lists, one value reads as a list of one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return default if value is None else value

    def getlist(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]


Step = Callable[[Any, Any, Form, list[Any]], Any]


def _flag(form: Form, name: str) -> bool | None:
    """yes / no from a form's radio buttons, true / false from JSON; anything else None."""
    value = form.get(name)
    if isinstance(value, bool):
        return value
    return {"yes": True, "no": False, "true": True, "false": False}.get(str(value).lower())


STEPS: dict[str, Step] = {
    "accept": lambda user, order, form, files: actions.visit_accept(
        actor=user, order=order, key=form.get("key", "")
    ),
    "decline": lambda user, order, form, files: actions.visit_decline(
        actor=user, order=order, reason=form.get("reason", ""), key=form.get("key", "")
    ),
    "depart": lambda user, order, form, files: actions.visit_depart(
        actor=user, order=order, eta_minutes=form.get("eta_minutes"), key=form.get("key", "")
    ),
    "arrive": lambda user, order, form, files: actions.visit_arrive(
        actor=user,
        order=order,
        latitude=form.get("latitude"),
        longitude=form.get("longitude"),
        accuracy=form.get("accuracy"),
        key=form.get("key", ""),
    ),
    "call": lambda user, order, form, files: actions.visit_call(
        actor=user, order=order, note=form.get("note", ""), key=form.get("key", "")
    ),
    "no_show": lambda user, order, form, files: actions.visit_no_show(
        actor=user, order=order, reason=form.get("reason", ""), key=form.get("key", "")
    ),
    "cannot_keep": lambda user, order, form, files: actions.visit_cannot_keep(
        actor=user,
        order=order,
        reason=form.get("reason", ""),
        late_ok=form.get("late_ok") in ("1", True, "true"),
        key=form.get("key", ""),
    ),
    "pause": lambda user, order, form, files: actions.visit_pause(
        actor=user,
        order=order,
        waiting_for=form.get("waiting_for", ""),
        reason=form.get("reason", ""),
        key=form.get("key", ""),
    ),
    "resume": lambda user, order, form, files: actions.visit_resume(
        actor=user, order=order, key=form.get("key", "")
    ),
    "condition": lambda user, order, form, files: actions.record_condition(
        actor=user,
        order=order,
        complete=_flag(form, "complete"),
        tampered=_flag(form, "tampered"),
        notes=form.get("notes", ""),
        signature=form.get("signature", ""),
        signer_name=form.get("signer_name", ""),
        key=form.get("key", ""),
    ),
    "diagnosis": lambda user, order, form, files: actions.record_diagnosis(
        actor=user,
        order=order,
        diagnosis=form.get("diagnosis", ""),
        cause=form.get("cause", ""),
        work_done=form.get("work_done", ""),
        fault_codes=form.getlist("fault_codes"),
        key=form.get("key", ""),
    ),
    "acknowledge": lambda user, order, form, files: actions.record_acknowledge(
        actor=user,
        order=order,
        signature=form.get("signature", ""),
        signer_name=form.get("signer_name", ""),
        key=form.get("key", ""),
    ),
    "photos": lambda user, order, form, files: actions.record_photos(
        actor=user,
        order=order,
        kind=form.get("kind", ""),
        files=files,
        key=form.get("key", ""),
    ),
    "part": lambda user, order, form, files: actions.record_part_used(
        actor=user,
        order=order,
        part=form.get("part"),
        quantity=form.get("quantity") or 1,
        serial=form.get("serial", ""),
        old_serial=form.get("old_serial", ""),
        key=form.get("key", ""),
    ),
    "quote": lambda user, order, form, files: actions.quote_propose(
        actor=user,
        order=order,
        items=_quote_items(form),
        reason=form.get("reason", ""),
        key=form.get("key", ""),
    ),
    "quote_accept": lambda user, order, form, files: actions.quote_accept(
        actor=user,
        order=order,
        signature=form.get("signature", ""),
        signer_name=form.get("signer_name", ""),
        key=form.get("key", ""),
    ),
    "payment": lambda user, order, form, files: actions.payment_record(
        actor=user,
        order=order,
        method=form.get("method", ""),
        amount=form.get("amount", ""),
        reference=form.get("reference", ""),
        key=form.get("key", ""),
    ),
    "finish": lambda user, order, form, files: actions.visit_finish(
        actor=user,
        order=order,
        result=form.get("result", ""),
        result_note=form.get("result_note", ""),
        taken_to_workshop=form.get("taken_to_workshop") in ("1", True, "true"),
        workshop_note=form.get("workshop_note", ""),
        rating=form.get("rating") or None,
        rating_comment=form.get("rating_comment", ""),
        signature=form.get("signature", ""),
        signer_name=form.get("signer_name", ""),
        key=form.get("key", ""),
    ),
}


def run(step: str, *, actor: Any, order: Any, form: Form, files: list[Any] | None = None) -> Any:
    return STEPS[step](actor, order, form, files or [])


def _quote_items(form: Form) -> list[dict[str, Any]]:
    """Checked fee items and parts with their quantities (`qty_fee_<id>`, `qty_part_<id>`)."""
    items: list[dict[str, Any]] = []
    for value in form.getlist("fee_items"):
        items.append({"fee_item": value, "quantity": form.get(f"qty_fee_{value}") or 1})
    for value in form.getlist("parts"):
        items.append({"part": value, "quantity": form.get(f"qty_part_{value}") or 1})
    return items
