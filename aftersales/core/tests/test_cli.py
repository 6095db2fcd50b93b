"""The `aftersales` command: demo data, forwarding, refusal to overwrite."""

import json

import pytest
from django.core.management import CommandError, call_command

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.customers.models import Customer, InstalledUnit


@pytest.mark.django_db(transaction=False)
def test_demo_generates_a_chinese_data_set_with_one_account_per_role(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", customers=40, seed=7)
    accounts = json.loads((tmp_path / "demo_accounts.json").read_text())
    staff = [a for a in accounts if a["role"] != "portal"]
    assert sorted(a["role"] for a in staff) == sorted(Role.values)
    for account in staff:
        user = User.objects.get(username=account["username"])
        assert user.check_password(account["password"])
    # One customer to try the portal with: their phone, the code comes by the log.
    [portal] = [a for a in accounts if a["role"] == "portal"]
    assert Customer.objects.filter(phone=portal["username"], units__isnull=False).exists()
    assert Customer.objects.count() == 40
    assert InstalledUnit.objects.count() >= 40
    customer = Customer.objects.first()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in customer.name)
    unit = InstalledUnit.objects.exclude(address=None).first()
    assert unit.address.latitude is not None
    techs = User.objects.filter(role=Role.TECHNICIAN)
    assert all(t.technician.skills.exists() for t in techs)


@pytest.mark.django_db
def test_demo_refuses_a_database_with_data(settings, tmp_path, org_tree):
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError):
        call_command("demo", customers=5)


@pytest.mark.django_db(transaction=True)
def test_demo_is_reproducible_from_the_seed(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", customers=10, seed=3)
    names = list(Customer.objects.order_by("id").values_list("name", "phone"))
    serials = list(InstalledUnit.objects.order_by("id").values_list("serial", flat=True))
    # A flush inside a test transaction trips PostgreSQL's deferred constraint triggers,
    # hence transaction=True above.
    call_command("flush", interactive=False)
    call_command("demo", customers=10, seed=3)
    assert list(Customer.objects.order_by("id").values_list("name", "phone")) == names
    assert list(InstalledUnit.objects.order_by("id").values_list("serial", flat=True)) == serials


@pytest.mark.django_db
def test_demo_orders_are_walked_through_the_actions(settings, tmp_path):
    from aftersales.orders.models import OrderEvent, ServiceOrder

    settings.DATA_DIR = tmp_path
    call_command("demo", customers=30, orders=40, open_orders=0, seed=5)
    # 40 taken; a follow-up that found the fault not fixed reopens its order as a new one
    assert ServiceOrder.objects.filter(reopened_from__isnull=True).count() == 40
    statuses = set(ServiceOrder.objects.values_list("status", flat=True))
    assert "closed" in statuses and len(statuses) >= 3
    for order in ServiceOrder.objects.all():
        events = list(OrderEvent.objects.filter(order=order).order_by("at", "id"))
        assert events[0].kind == "created"
        assert events[-1].to_status in ("", order.status) or events[-1].kind != "transition"
        assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.mark.django_db
def test_demo_leaves_a_day_for_the_dispatcher_to_optimise(settings, tmp_path):
    from aftersales.accounts.models import Station
    from aftersales.dispatch import actions as dispatch
    from aftersales.orders.models import ServiceOrder

    settings.DATA_DIR = tmp_path
    call_command("demo", customers=80, seed=5)
    station = Station.objects.order_by("name").first()  # the board's first station
    waiting = ServiceOrder.objects.filter(station=station, status="dispatched")
    assert waiting.count() >= 5
    assert waiting.filter(appointment_start__isnull=False).exists()
    day = waiting.filter(appointment_start__isnull=False).first().appointment_start
    plan = dispatch.plan_propose(
        actor=User.objects.get(username="dispatcher"),
        station=station,
        day=day.astimezone().date(),
        seconds=0.5,
    )
    metrics = plan.result["metrics"]
    assert metrics["served"] >= 5 and metrics["violations"] == []


@pytest.mark.django_db
def test_demo_stocks_the_warehouses_from_the_ledger(settings, tmp_path):
    from django.db.models import Sum

    from aftersales.parts.models import StockLevel, StockMove, Transfer, Warehouse

    settings.DATA_DIR = tmp_path
    call_command("demo", customers=20, open_orders=0, seed=2)
    vans = Warehouse.objects.filter(kind="van")
    assert vans.count() == User.objects.filter(role=Role.TECHNICIAN).count()
    assert Transfer.objects.filter(status="in_transit").count() == 1
    for level in StockLevel.objects.all():
        moved = StockMove.objects.filter(warehouse=level.warehouse, part=level.part).aggregate(
            s=Sum("quantity")
        )["s"]
        assert level.on_hand == moved


@pytest.mark.django_db
def test_demo_gives_the_demo_technician_visits_and_finished_orders_a_record(settings, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from aftersales.dispatch.models import Visit
    from aftersales.fieldwork.models import FeeItem, ServiceRecord
    from aftersales.orders.models import ServiceOrder

    settings.DATA_DIR = tmp_path
    call_command("demo", customers=30, orders=40, open_orders=3, seed=5)
    day = Visit.objects.filter(technician__username="technician", ended_at__isnull=True)
    assert day.count() >= 1
    today = timezone.localdate()
    assert {v.day for v in day} <= {today, today + dt.timedelta(days=1)}
    for order in ServiceOrder.objects.filter(completed_at__isnull=False):
        record = ServiceRecord.objects.get(order=order)
        assert record.result == "fixed"
        signed = set(record.signatures.values_list("purpose", flat=True))
        # the condition and the completion; a repair out of 三包 also the quote's acceptance
        assert signed in ({"condition", "completion"}, {"condition", "quote", "completion"})
        if "quote" in signed:
            assert order.receipts.count() == 1
        assert record.finished_at == order.completed_at
    assert FeeItem.objects.count() == 5
