"""Pages show labels, never keys: the audit trail (and its filters), the warranty engine's
rules and warnings, message events, customer-facing statuses, the service department's words."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone, translation

from aftersales.core.audit import audit_record
from aftersales.core.audit_labels import action_label, audit_rows, field_label, value_label
from aftersales.warranty import engine, explain

pytestmark = pytest.mark.django_db


def test_audit_entries_read_as_labels(data, agent):
    with translation.override("zh-hans"):
        assert action_label("unit.update", "customers.installedunit") == "修改：设备档案"
        assert action_label("customer.reveal_phone", "customers.customer") == "查看完整电话"
        assert field_label("accounts.user", "role") == "角色"
        assert value_label("accounts.user", "role", "dispatcher") == "调度员"
        assert value_label("x.y", "is_active", True) == "是"
        assert field_label("x.y", "nothing_like_this") == "其他信息"
    with translation.override("en"):
        assert action_label("stock_level.set", "parts.stocklevel") == "Set: stock level"


def test_the_audit_page_filters_by_person_record_and_date(login, people, data, agent):
    manager = people["service_manager"]
    audit_record(
        actor=manager, action="customer.update", obj=data["c1"], changes={"name": ["a", "b"]}
    )
    audit_record(
        actor=agent, action="unit.update", obj=data["u1"], changes={"voucher_no": [None, "SB-1"]}
    )
    client = login(manager)
    page = client.get(f"/audit/?actor={manager.pk}").content.decode()
    assert "修改：客户" in page and "修改：设备档案" not in page
    page = client.get("/audit/?object_type=customers.installedunit").content.decode()
    assert "修改：设备档案" in page and "SB-1" in page and "修改：客户" not in page
    page = client.get(f"/audit/?object_type=customers.customer&object_id={data['c1'].pk}")
    assert "修改：客户" in page.content.decode()
    today = timezone.localdate()
    later = (today + dt.timedelta(days=1)).isoformat()
    assert "修改：客户" not in client.get(f"/audit/?since={later}").content.decode()
    page = client.get(f"/audit/?since={today.isoformat()}&until={today.isoformat()}")
    assert "修改：客户" in page.content.decode()
    assert client.get("/audit/?since=not-a-date&actor=x").status_code == 200


def test_audit_rows_keep_values_of_fields_without_choices(data, agent):
    entry = audit_record(
        actor=agent, action="unit.update", obj=data["u1"], changes={"voucher_no": [None, "SB-2"]}
    )
    (row,) = audit_rows([entry])
    assert (row.changes[0].before, row.changes[0].after) == ("—", "SB-2")


def test_every_rule_and_warning_of_the_warranty_engine_has_a_label():
    source = Path(engine.__file__).read_text()
    rules = set(re.findall(r'"((?:general|car|void)\.[a-z0-9_]+)"', source))
    assert rules
    assert rules <= set(explain.RULES)
    warnings = set(re.findall(r'warnings\.append\("([a-z0-9_]+)"\)', source))
    assert warnings <= set(explain.WARNINGS)
    with translation.override("zh-hans"):
        text = str(explain.RULES["general.period_expired"])
        assert text and "period_expired" not in text and re.search(r"[\u4e00-\u9fff]", text)


def test_every_message_event_has_a_label():
    from aftersales.notifications import labels, rendering

    assert set(rendering.EVENTS) <= set(labels.EVENTS)


def test_a_service_department_reads_its_own_words(data):
    from aftersales.fieldwork.choices import QuoteStatus
    from aftersales.orders.models import ServiceOrder

    with translation.override("zh-hans"):
        assert str(QuoteStatus.ACCEPTED.label) == "已确认"
        assert str(ServiceOrder._meta.get_field("unit").verbose_name) == "设备"


def test_the_customer_sees_customer_facing_statuses(data, people, new_order):
    from aftersales.web.templatetags.portal_labels import customer_status

    order = new_order()
    order.status = "dispatched"
    with translation.override("zh-hans"):
        assert customer_status(order) == "已派至服务网点"
        assert customer_status(order) != order.get_status_display()


def test_default_service_levels_are_named_in_the_readers_language(data):
    from aftersales.orders.models import SlaPolicy

    policy = SlaPolicy(name="High priority")
    with translation.override("zh-hans"):
        assert policy.label == "高优先级"
    assert SlaPolicy(name="大客户").label == "大客户"


def test_an_escalation_on_the_order_page_names_its_target(login, people, new_order):
    from aftersales.orders.actions import order_event
    from aftersales.orders.choices import EventKind

    order = new_order()
    order_event(
        order,
        actor=None,
        kind=EventKind.ESCALATION,
        action="escalate",
        payload={"target": "arrive", "level": 2, "due": None, "breached": True},
    )
    client = login(people["service_manager"])
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "到场 · 等级 2" in page or "到场 · 级别 2" in page, page[page.find("升级") :][:200]
    assert ": arrive" not in page


def test_every_audited_field_has_a_label_in_chinese():
    """The fields the actions record in the audit trail (their snapshots) are named in the
    reader's language, not by their code ("respond clock")."""
    from aftersales.catalog.actions import PART_FIELDS
    from aftersales.core.audit_labels import _model
    from aftersales.customers.actions import CUSTOMER_FIELDS, UNIT_FIELDS
    from aftersales.dispatch.actions import SETTINGS_FIELDS as DISPATCH
    from aftersales.feedback.actions import SETTINGS_FIELDS as FEEDBACK
    from aftersales.fieldwork.actions import FEE_FIELDS
    from aftersales.fieldwork.actions import SETTINGS_FIELDS as FIELD
    from aftersales.maintenance.actions import CONTRACT_FIELDS, PLAN_FIELDS
    from aftersales.orders.actions import EDIT_FIELDS
    from aftersales.orders.service_levels import POLICY_FIELDS
    from aftersales.workshop.actions import SETTING_FIELDS as WORKSHOP

    audited = {
        "catalog.part": PART_FIELDS,
        "customers.customer": CUSTOMER_FIELDS,
        "customers.installedunit": UNIT_FIELDS,
        "dispatch.dispatchsettings": DISPATCH,
        "feedback.feedbacksettings": FEEDBACK,
        "fieldwork.feeitem": FEE_FIELDS,
        "fieldwork.fieldsettings": FIELD,
        "maintenance.maintenanceplan": PLAN_FIELDS,
        "maintenance.servicecontract": CONTRACT_FIELDS,
        "orders.serviceorder": EDIT_FIELDS,
        "orders.slapolicy": POLICY_FIELDS,
        "workshop.workshopsettings": WORKSHOP,
    }
    unnamed = []
    with translation.override("zh-hans"):
        for object_type, fields in audited.items():
            assert _model(object_type) is not None, object_type
            for name in fields:
                label = field_label(object_type, name)
                if not re.search(r"[\u4e00-\u9fff]", label) or label == "其他信息":
                    unnamed.append((object_type, name, label))
    assert unnamed == []


def test_the_language_switch_is_kept_and_messages_follow_it(client, people, data, settings):
    """A member of staff who switches to English gets their messages in English (the
    company's other people keep Chinese), and their next sign-in opens in English."""
    from aftersales.accounts.models import User
    from aftersales.notifications.models import OutboxMessage
    from aftersales.orders.intake import alert_missing_calendar

    manager, admin = people["service_manager"], people["admin"]
    client.force_login(manager)
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=manager.pk).language == "en"
    assert client.post("/i18n/setlang/", {"language": "xx", "next": "/"}).status_code == 302
    assert User.objects.get(pk=manager.pk).language == "en"  # an unknown one changes nothing
    alert_missing_calendar(data["company"].pk, 2031)
    subjects = dict(
        OutboxMessage.objects.filter(recipient__in=[manager, admin]).values_list(
            "recipient_id", "subject"
        )
    )
    assert subjects[manager.pk].startswith("The holiday schedule for 2031")
    assert "2031" in subjects[admin.pk] and "holiday" not in subjects[admin.pk]
    # signing in again (another browser): the interface opens in the kept language
    from django.test import Client

    fresh = Client()
    signed = fresh.post("/login/", {"username": manager.username, "password": "pw-for-tests-1"})
    assert signed.status_code == 302
    assert signed.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_an_unknown_language_is_refused_by_the_action(people):
    from aftersales.accounts.actions import user_language_set
    from aftersales.core.models import AuditEntry
    from aftersales.core.validation import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        user_language_set(actor=people["agent"], language="fr")
    assert set(exc.value.errors) == {"language"}
    user_language_set(actor=people["agent"], language="en")
    user_language_set(actor=people["agent"], language="en")  # no change: no second row
    rows = AuditEntry.objects.filter(action="user.language", object_id=str(people["agent"].pk))
    assert rows.count() == 1


def test_a_frozen_kpi_reads_as_the_kpis_name_in_the_audit():
    with translation.override("en"):
        assert action_label("kpi.snapshot", "kpi.kpisnapshot") == (
            "KPI figures frozen for an assessment"
        )
        assert field_label("kpi.kpisnapshot", "kpi") == "KPI"
        assert value_label("kpi.kpisnapshot", "kpi", "first_time_fix") == "First-time fix"
        assert value_label("kpi.kpisnapshot", "kpi", "no_such_kpi") == "no_such_kpi"
    with translation.override("zh-hans"):
        assert value_label("kpi.kpisnapshot", "kpi", "first_time_fix") == "一次修复率"


def test_english_labels_headings_and_placeholders_start_with_a_capital():
    """A label, a heading, a column or a placeholder given as a lower-case message is shown
    through `capfirst` (the message may be lower case: it is used inside sentences too)."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(
        r"""(?:<label[^>]*>|<dt[^>]*>|<th[^>]*>|<h[1-6][^>]*>|placeholder=["'])"""
        r"""\{% trans ["'][a-z]"""
    )
    found = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in sorted(root.glob("**/templates/**/*.html"))
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
