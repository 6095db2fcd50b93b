import datetime as dt

import pytest
from django.utils import timezone

from aftersales.accounts.choices import Role
from aftersales.core.errors import Conflict, PermissionDenied
from aftersales.core.models import AuditEntry
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions
from aftersales.customers.models import Customer, InstalledUnit
from aftersales.customers.selectors import consent_in_force


def test_customer_create_normalises_phone_and_adds_default_address(org_tree, agent):
    customer = actions.customer_create(
        actor=agent,
        name=" 王芳 ",
        phone="+86 138-0000-1111",
        address_line="上海市徐汇区1号",
        latitude=31.2,
        longitude=121.4,
    )
    assert customer.name == "王芳"
    assert customer.phone == "13800001111"
    assert customer.masked_phone == "138****1111"
    address = customer.addresses.get()
    assert address.is_default and address.latitude == 31.2


def test_customer_create_reports_every_bad_field_at_once(org_tree, agent):
    with pytest.raises(ValidationFailed) as exc:
        actions.customer_create(
            actor=agent,
            name="",
            phone="12345",
            email="not-an-email",
            kind="alien",
            latitude=95,
            longitude=10,
        )
    assert set(exc.value.errors) == {"name", "phone", "email", "kind", "latitude"}
    assert not Customer.objects.exists()


def test_station_people_register_customers_at_their_own_station(org_tree, make_user):
    manager = make_user(Role.STATION_MANAGER, station=org_tree["s1"])
    customer = actions.customer_create(
        actor=manager, name="赵六", phone="13700000001", station=org_tree["s2"]
    )
    assert customer.station == org_tree["s1"]
    assert customer.region == org_tree["east"]


def test_customer_cannot_be_put_at_another_companys_station(org_tree, agent):
    other_station = org_tree["other_region"].stations.create(
        company=org_tree["other"], name="别站", code="x-1"
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.customer_create(
            actor=agent, name="赵六", phone="13700000001", station=other_station
        )
    assert "station" in exc.value.errors


def test_regional_user_cannot_register_in_another_region(org_tree, make_user):
    regional = make_user(Role.AGENT, region=org_tree["east"])
    with pytest.raises(ValidationFailed) as exc:
        actions.customer_create(
            actor=regional, name="赵六", phone="13700000001", region=org_tree["north"]
        )
    assert "region" in exc.value.errors


def test_customer_update_with_stale_version_is_refused_and_changes_nothing(data, agent):
    actions.customer_update(actor=agent, customer=data["c1"], version=1, notes="first")
    with pytest.raises(Conflict) as exc:
        actions.customer_update(actor=agent, customer=data["c1"], version=1, notes="second")
    assert exc.value.code == "stale_version"
    data["c1"].refresh_from_db()
    assert data["c1"].notes == "first" and data["c1"].version == 2


def test_moving_a_customer_to_another_station_moves_the_units(data, agent):
    actions.customer_update(actor=agent, customer=data["c1"], version=1, station=data["s2"])
    data["u1"].refresh_from_db()
    assert data["u1"].station == data["s2"]
    assert data["u1"].region == data["north"]


def test_finance_cannot_edit_customers(data, make_user):
    with pytest.raises(PermissionDenied):
        actions.customer_update(
            actor=make_user(Role.FINANCE), customer=data["c1"], version=1, notes="x"
        )


def test_revealing_a_phone_is_audited(data, agent):
    phone = actions.customer_reveal_phone(actor=agent, customer=data["c1"], reason="call back")
    assert phone == "13812345678"
    entry = AuditEntry.objects.get(action="customer.reveal_phone")
    assert entry.actor == agent and entry.reason == "call back"


def test_duplicate_serial_for_the_same_model_is_refused(data, agent):
    with pytest.raises(Conflict) as exc:
        actions.unit_create(
            actor=agent, customer=data["c2"], product_model=data["model"], serial="kf2401000001"
        )
    assert exc.value.code == "duplicate_serial"
    assert InstalledUnit.objects.count() == 2


def test_same_serial_under_another_model_is_allowed(data, agent):
    from aftersales.catalog.models import ProductModel

    other = ProductModel.objects.create(category=data["category"], code="KFR-72LW", name="柜机")
    unit = actions.unit_create(
        actor=agent, customer=data["c1"], product_model=other, serial="KF2401000001"
    )
    assert unit.serial == "KF2401000001"


def test_unit_dates_are_checked(data, agent):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        actions.unit_create(
            actor=agent,
            customer=data["c1"],
            product_model=data["model"],
            serial="X-1",
            purchase_date=tomorrow,
            invoice_date="2024-13-40",
        )
    assert set(exc.value.errors) == {"purchase_date", "invoice_date"}
    with pytest.raises(ValidationFailed) as exc:
        actions.unit_create(
            actor=agent,
            customer=data["c1"],
            product_model=data["model"],
            serial="X-1",
            purchase_date=dt.date(2024, 5, 1),
            installation_date=dt.date(2024, 4, 1),
        )
    assert set(exc.value.errors) == {"installation_date"}


def test_unit_cannot_use_another_companys_model(data, agent):
    with pytest.raises(ValidationFailed) as exc:
        actions.unit_create(
            actor=agent, customer=data["c1"], product_model=data["other_model"].pk, serial="X-1"
        )
    assert "product_model" in exc.value.errors


def test_unit_for_a_customer_outside_the_actors_station_is_refused(data, make_user):
    tech = make_user(Role.TECHNICIAN, station=data["s1"])
    with pytest.raises(ValidationFailed) as exc:
        actions.unit_create(
            actor=tech, customer=data["c2"].pk, product_model=data["model"], serial="X-1"
        )
    assert "customer" in exc.value.errors


def test_unit_takes_the_owners_station_and_default_address(data):
    assert data["u1"].station == data["s1"]
    assert data["u1"].address == data["c1"].addresses.get()


def test_unit_serial_change_to_an_existing_one_is_refused(data, agent):
    with pytest.raises(Conflict):
        actions.unit_update(actor=agent, unit=data["u2"], version=1, serial="KF2401000001")
    data["u2"].refresh_from_db()
    assert data["u2"].serial == "KF2401000002"


def test_unit_update_records_changes(data, agent):
    actions.unit_update(actor=agent, unit=data["u1"], version=1, voucher_no="SB-1")
    entry = AuditEntry.objects.filter(action="unit.update").get()
    assert entry.changes == {"voucher_no": ["", "SB-1"]}


def test_customer_with_units_cannot_be_deleted(data, agent):
    with pytest.raises(Conflict) as exc:
        actions.customer_delete(actor=agent, customer=data["c1"])
    assert exc.value.code == "in_use"
    assert Customer.objects.filter(pk=data["c1"].pk).exists()


def test_consent_newest_row_is_in_force(data, agent):
    assert consent_in_force(data["c1"], "survey") is None
    actions.consent_record(
        actor=agent, customer=data["c1"], purpose="survey", granted=True, channel="phone"
    )
    actions.consent_record(
        actor=agent, customer=data["c1"], purpose="survey", granted=False, channel="sms"
    )
    assert consent_in_force(data["c1"], "survey") is False


def test_message_preferences_are_checked(data, agent):
    from aftersales.core.validation import ValidationFailed

    customer = data["c1"]
    with pytest.raises(ValidationFailed) as exc:
        actions.customer_update(
            actor=agent, customer=customer, notify_channel="pigeon", language="fr"
        )
    assert set(exc.value.errors) == {"notify_channel", "language"}
    with pytest.raises(ValidationFailed):
        actions.customer_update(actor=agent, customer=customer, notify_channel="email")
    updated = actions.customer_update(
        actor=agent, customer=customer, email="z@example.com", notify_channel="email", language="en"
    )
    assert (updated.notify_channel, updated.language) == ("email", "en")
