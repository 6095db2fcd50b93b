"""History tables are append-only in the database too, not only in the ORM.

`AppendOnlyModel` refuses updates and deletes made through Django. On PostgreSQL a trigger on
every history table (audit entries, every entity's events) also refuses an UPDATE or DELETE
made by any other client: a psql session, a report tool with write access, a buggy script.
The triggers are (re)installed after every `migrate` (Django's post_migrate signal), so a
history table added by a new app is covered without a migration of its own. TRUNCATE (the
test suite's flush, a restore) is a table operation and is not refused.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, models, router

from aftersales.core.models import AppendOnlyModel

FUNCTION = "aftersales_append_only"
TRIGGER = "aftersales_append_only"
# The one sanctioned change to a history row: masking personal data in it (PIPL anonymisation,
# `privacy/redact.py`). Set for the statement only (SET LOCAL), inside the anonymising
# transaction; deletes stay refused.
REDACTING = "aftersales.redacting"


def history_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, AppendOnlyModel) and model._meta.managed and not model._meta.proxy
    )


def install(using: str = "default", **_kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF TG_OP = 'UPDATE' AND "
            f"coalesce(current_setting('{REDACTING}', true), '') = 'on' THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'history rows are append-only (%: %)', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        existing = set()
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = %s",
            [TRIGGER],
        )
        existing = {row[0] for row in cursor.fetchall()}
        for table in history_tables():
            if table in existing:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )


def redact(model: type[models.Model], pk: Any, **changes: Any) -> None:
    """Rewrite text columns of one history row (masking personal data, never facts): the ORM's
    refusal is bypassed with a plain queryset and, on PostgreSQL, the trigger lets this one
    UPDATE through. Call inside a transaction."""
    connection = connections[router.db_for_write(model)]
    text = {
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    }
    if not set(changes) <= text:
        raise ValueError("only text columns of a history row may be redacted")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [REDACTING])
    try:
        models.QuerySet(model).filter(pk=pk).update(**changes)
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', true)", [REDACTING])
