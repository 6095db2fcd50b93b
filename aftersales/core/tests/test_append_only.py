"""History rows cannot be changed or removed, through the ORM or (PostgreSQL) by any SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from aftersales.core.append_only import history_tables
from aftersales.core.models import AppendOnlyError, AuditEntry


def test_every_event_table_is_a_history_table():
    tables = history_tables()
    assert "core_auditentry" in tables
    assert "orders_orderevent" in tables
    assert "customers_meterreading" in tables


@pytest.mark.django_db
def test_orm_refuses_update_and_delete():
    entry = AuditEntry.objects.create(action="x", object_type="t", object_id="1")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="y")
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE {t} SET action = 'forged'", "DELETE FROM {t}"])
def test_postgresql_refuses_update_and_delete_by_plain_sql(statement):
    AuditEntry.objects.create(action="x", object_type="t", object_id="1")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(t="core_auditentry"))
    assert AuditEntry.objects.get().action == "x"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_has_the_trigger_on_every_history_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = 'aftersales_append_only'"
        )
        covered = {row[0] for row in cursor.fetchall()}
    assert set(history_tables()) <= covered


@pytest.mark.django_db
def test_redact_rewrites_text_of_a_history_row_and_nothing_else():
    from aftersales.core.append_only import redact

    entry = AuditEntry.objects.create(action="x", object_type="t", object_id="1", reason="张三")
    with transaction.atomic():
        redact(AuditEntry, entry.pk, reason="***")
    assert AuditEntry.objects.get().reason == "***"
    with pytest.raises(ValueError, match="only text"):
        redact(AuditEntry, entry.pk, at=None)


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_lets_only_the_redaction_through():
    from aftersales.core.append_only import redact

    entry = AuditEntry.objects.create(action="x", object_type="t", object_id="1", reason="张三")
    with transaction.atomic():
        redact(AuditEntry, entry.pk, reason="***")
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE core_auditentry SET action = 'forged'")
    assert AuditEntry.objects.values_list("action", "reason").get() == ("x", "***")
