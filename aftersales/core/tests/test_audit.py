import pytest

from aftersales.core.models import AppendOnlyError, AuditEntry
from aftersales.customers import actions


def test_customer_update_records_who_and_what_changed(data, agent) -> None:
    actions.customer_update(actor=agent, customer=data["c1"], version=1, name="张三丰")
    entry = AuditEntry.objects.filter(action="customer.update").get()
    assert entry.actor == agent
    # A customer's personal values are masked: the trail is append-only and outlives an
    # anonymisation, so it must not hold them in full.
    assert entry.changes == {"name": ["张*", "张**"]}
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


def test_personal_values_in_audit_changes_are_masked(data, agent) -> None:
    actions.customer_update(
        actor=agent, customer=data["c1"], version=1, phone="13912345678", email="zs@example.com"
    )
    actions.contact_add(actor=agent, customer=data["c1"], name="李四", phone="13700002222")
    entries = {e.action: e.changes for e in AuditEntry.objects.all()}
    text = str(entries)
    assert "13912345678" not in text and "13700002222" not in text and "李四" not in text
    assert "zs@example.com" not in text
    assert entries["customer.update"]["phone"][1] == "139****5678"
    assert entries["customer.update"]["email"][1] == "z***@example.com"
