"""The background import: takes the import's id and applies (or resumes) it."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.imports import actions


@db_task()
def history_import_task(import_id: int) -> int:
    try:
        done = actions.history_import_apply(import_id=import_id)
    except Exception as exc:  # the row says it stopped; a resume continues after its last batch
        actions.history_import_failed(import_id=import_id, error=repr(exc))
        raise
    return done.done
