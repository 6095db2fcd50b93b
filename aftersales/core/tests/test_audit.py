import pytest

from aftersales.core.models import AppendOnlyError, AuditEntry
from aftersales.customers import actions


def test_customer_update_records_who_and_what_changed(data, agent) -> None:
    actions.customer_update(actor=agent, customer=data["c1"], version=1, name="张三丰")
    entry = AuditEntry.objects.filter(action="customer.update").get()
    assert entry.actor == agent
    assert entry.changes == {"name": ["张三", "张三丰"]}
    assert entry.object_id == str(data["c1"].pk)


def test_audit_entries_cannot_be_changed_or_deleted(data) -> None:
    entry = AuditEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
