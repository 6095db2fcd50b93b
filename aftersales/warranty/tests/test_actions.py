"""Warranty policies as data and the decision stored on orders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftersales.catalog.models import FaultCode, ProductModel
from aftersales.core.errors import PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.customers import actions as customer_actions
from aftersales.orders import actions as order_actions
from aftersales.orders.models import OrderEvent
from aftersales.warranty import engine
from aftersales.warranty.actions import policy_for_unit, warranty_policy_save


def _voucher(agent, unit, **kw):
    return customer_actions.unit_update(actor=agent, unit=unit, version=unit.version, **kw)


def test_without_documents_or_serial_format_the_decision_is_paid_repair_with_its_reason(
    new_order,
):
    order = new_order()
    assert order.warranty_decision == "paid_repair"
    assert order.warranty_detail["rule"] == "void.no_documents"
    assert order.warranty_detail["clause"] == "《部分商品修理更换退货责任规定》(1995)"
    assert order.warranty_detail["evidence"]["documents"] == "none"


def test_category_policy_infers_the_start_from_the_serial(new_order, people, data):
    warranty_policy_save(
        actor=people["service_manager"],
        name="空调六年",
        category=data["category"],
        whole_unit_months=72,
        serial_format={"year": [2, 4], "month": [4, 6]},
    )
    order = new_order()  # serial KF2401000001: made January 2024
    assert order.warranty_decision == "free_repair"
    assert order.warranty_detail["policy"] == "空调六年"
    assert "no_voucher_start_inferred_from_serial" in order.warranty_detail["warnings"]


def test_model_policy_beats_category_and_company_default(people, data):
    sm = people["service_manager"]
    warranty_policy_save(actor=sm, name="公司默认", whole_unit_months=18)
    warranty_policy_save(actor=sm, name="空调", category=data["category"], whole_unit_months=24)
    assert policy_for_unit(data["u1"]).name == "空调"
    warranty_policy_save(
        actor=sm, name="KFR-35GW", product_model=data["model"], whole_unit_months=36
    )
    assert policy_for_unit(data["u1"]).name == "KFR-35GW"
    other = ProductModel.objects.create(category=data["category"], code="M2", name="另一款")
    data["u2"].product_model = other
    assert policy_for_unit(data["u2"]).name == "空调"


def test_no_policy_means_the_statutory_rule(data):
    assert policy_for_unit(data["u1"]) == engine.GENERAL


def test_a_promise_below_the_law_is_refused(people):
    with pytest.raises(ValidationFailed) as exc:
        warranty_policy_save(
            actor=people["service_manager"],
            name="缩水",
            whole_unit_months=6,
            return_days=3,
            repair_count_threshold=3,
        )
    assert {"whole_unit_months", "return_days", "repair_count_threshold"} <= set(exc.value.errors)


def test_only_editors_save_policies(people):
    with pytest.raises(PermissionDenied):
        warranty_policy_save(actor=people["agent"], name="x")


def test_two_earlier_repairs_make_the_third_an_exchange(new_order, walk, people, data, agent):
    _voucher(
        agent,
        data["u1"],
        invoice_date=timezone.localdate() - dt.timedelta(days=100),
        voucher_no="SB1",
    )
    for _ in range(2):
        walk(new_order(), "complete")
    third = new_order()
    assert third.warranty_decision == "exchange"
    assert third.warranty_detail["rule"] == "general.repaired_twice"


def test_changing_the_fault_code_reevaluates(new_order, people, data, agent):
    _voucher(
        agent,
        data["u1"],
        invoice_date=timezone.localdate() - dt.timedelta(days=3),
        voucher_no="SB1",
    )
    cosmetic = FaultCode.objects.create(
        category=data["category"], code="C1", symptom="外壳划痕", is_performance_fault=False
    )
    order = new_order()
    assert order.warranty_decision == "return"
    edited = order_actions.order_update(
        actor=people["agent"], order=order, version=order.version, fault_code=cosmetic
    )
    assert edited.warranty_decision == "free_repair"
    assert edited.events.latest("id").payload["warranty"] == ["return", "free_repair"]


def test_manager_override_is_recorded_and_sticks(new_order, people, data):
    order = new_order()
    changed = order_actions.order_warranty_override(
        actor=people["service_manager"],
        order=order,
        decision="free_repair",
        reason="购买凭证已核实",
        version=order.version,
    )
    assert changed.warranty_decision == "free_repair"
    assert changed.warranty_detail["override"]["was"] == "paid_repair"
    event = OrderEvent.objects.filter(order=order, action="warranty_override").get()
    assert event.reason == "购买凭证已核实"
    with pytest.raises(PermissionDenied):
        order_actions.order_warranty_override(
            actor=people["agent"], order=order, decision="paid_repair", reason="x", version=None
        )
    with pytest.raises(ValidationFailed):
        order_actions.order_warranty_override(
            actor=people["service_manager"], order=order, decision="maybe", reason="", version=None
        )


def test_exchange_creates_a_new_unit_whose_period_restarts(new_order, walk, people, data, agent):
    from aftersales.customers.models import InstalledUnit

    _voucher(
        agent,
        data["u1"],
        invoice_date=timezone.localdate() - dt.timedelta(days=100),
        voucher_no="SB1",
    )
    for _ in range(2):
        walk(new_order(), "complete")
    third = new_order()
    assert third.warranty_decision == "exchange"
    new_unit = order_actions.order_warranty_fulfil(
        actor=people["service_manager"], order=third, outcome="exchange", new_serial="KF2611000009"
    )
    old = InstalledUnit.objects.get(pk=data["u1"].pk)
    assert old.status == "exchanged" and old.replaced_by == new_unit
    assert new_unit.invoice_date == timezone.localdate()
    # The new unit's period starts today, but the 7- and 15-day windows still count from the
    # first sale (issue 15): a fault now is a free repair, not a return.
    fresh_order = new_order(unit=new_unit)
    assert fresh_order.warranty_decision == "free_repair"
    assert fresh_order.warranty_detail["evidence"]["restarted_on_exchange"] == str(
        timezone.localdate()
    )
    assert fresh_order.warranty_detail["period_ends"]["whole_unit"] >= str(
        engine.add_months(timezone.localdate(), 12)
    )
    assert OrderEvent.objects.filter(order=third, action="warranty_exchange").exists()


def test_fulfilment_must_match_the_decision(new_order, people, data):
    from aftersales.core.errors import Conflict

    order = new_order()  # paid repair: no documents
    with pytest.raises(Conflict) as exc:
        order_actions.order_warranty_fulfil(
            actor=people["service_manager"], order=order, outcome="return"
        )
    assert exc.value.code == "not_entitled"


def test_car_policy_rows_are_checked_against_the_car_law(people, data):
    with pytest.raises(ValidationFailed) as exc:
        warranty_policy_save(
            actor=people["service_manager"],
            name="车",
            kind="car",
            car_months=12,
            car_max_same_fault_repairs=6,
        )
    assert {"car_months", "car_max_same_fault_repairs"} <= set(exc.value.errors)
    row = warranty_policy_save(
        actor=people["service_manager"],
        name="车",
        kind="car",
        car_months=36,
        car_km=100_000,
        product_model=data["model"],
    )
    plain = policy_for_unit(data["u1"])
    assert (plain.kind, plain.car_months, plain.civil_code_days) == ("car", 36, False)
    assert row.pk


def test_category_lookup_ignores_other_categories_policies(people, data, org_tree):
    from aftersales.catalog.models import ProductCategory
    from aftersales.warranty.actions import policy_for

    tv = ProductCategory.objects.create(company=org_tree["company"], code="tv", name="电视")
    warranty_policy_save(
        actor=people["service_manager"], name="电视", category=tv, whole_unit_months=24
    )
    found = policy_for(
        company_id=org_tree["company"].pk, product_model_id=None, category_id=data["category"].pk
    )
    assert found == engine.GENERAL


def test_the_order_decision_moves_a_last_day_off_by_the_company_calendar(
    new_order, agent, data, org_tree
):
    """民法典 第二百零三条 with the company calendar: the 7-day window's last day is made a
    statutory holiday; the window ends on the next working day."""
    from aftersales.calendars.models import CalendarDay

    invoice = timezone.localdate() - dt.timedelta(days=3)
    last = invoice + dt.timedelta(days=7)
    CalendarDay.objects.update_or_create(
        company=org_tree["company"], date=last, defaults={"kind": "holiday", "name": "节"}
    )
    _voucher(agent, data["u1"], invoice_date=invoice, voucher_no="SB1")
    order = new_order()
    from aftersales.warranty.actions import statutory_day_off

    off = statutory_day_off(org_tree["company"].pk)
    expected = last + dt.timedelta(days=1)
    while off(expected):
        expected += dt.timedelta(days=1)
    assert order.warranty_detail["period_ends"]["return_window"] == expected.isoformat()
    assert order.warranty_decision == "return"


def test_statutory_days_off_are_weekends_and_holidays_not_make_up_days_or_closures(org_tree):
    from aftersales.calendars.models import CalendarDay
    from aftersales.warranty.actions import statutory_day_off

    company = org_tree["company"]
    saturday, sunday, monday = dt.date(2025, 11, 15), dt.date(2025, 11, 16), dt.date(2025, 11, 17)
    holiday = dt.date(2025, 11, 20)
    for day, kind in ((saturday, "make_up"), (holiday, "holiday"), (monday, "closure")):
        CalendarDay.objects.update_or_create(company=company, date=day, defaults={"kind": kind})
    off = statutory_day_off(company.pk)
    assert not off(saturday) and off(sunday) and off(holiday)
    assert not off(monday) and not off(dt.date(2025, 11, 18))


def test_an_accessory_decision_is_not_carried_out_on_the_whole_unit(new_order, people):
    from aftersales.core.errors import Conflict
    from aftersales.orders.models import ServiceOrder

    order = new_order()
    ServiceOrder.objects.filter(pk=order.pk).update(
        warranty_decision="return",
        warranty_detail={
            "rule": "phone.accessory_replaced_twice",
            "options": ["return"],
            "evidence": {"scope": "accessory:battery"},
        },
    )
    with pytest.raises(Conflict) as exc:
        order_actions.order_warranty_fulfil(
            actor=people["service_manager"], order=order.pk, outcome="return"
        )
    assert exc.value.code == "accessory_only"


def test_parts_of_a_main_component_used_on_a_repair_count_as_a_replacement(
    stock, walk, data, org_tree
):
    """The service record says replaced: a part of a main component issued to a completed
    repair (net of returns) marks that component replaced on the unit's repair history."""
    from aftersales.catalog.models import MainComponent, Part
    from aftersales.parts.models import StockMove
    from aftersales.warranty.actions import repairs_of

    compressor = MainComponent.objects.create(
        category=data["category"], code="compressor", name="压缩机"
    )
    part = Part.objects.create(
        company=org_tree["company"], code="CMP-1", name="压缩机", component=compressor
    )
    order = stock["order"]
    for kind, quantity, p in (("issue", -1, part), ("issue", -1, stock["capacitor"])):
        StockMove.objects.create(
            company=org_tree["company"],
            warehouse=stock["station"],
            part=p,
            kind=kind,
            quantity=quantity,
            order=order,
        )
    walk(order, "complete")
    history = repairs_of([order.unit_id])[order.unit_id]
    assert history[0].replaced_parts == ("compressor",)


def test_an_undetermined_decision_explains_itself_in_the_reader_s_language(data, agent):
    from django.utils import translation

    from aftersales.warranty.actions import decide_for_unit
    from aftersales.warranty.explain import explain

    unit = _voucher(agent, data["u1"], voucher_no="SB1")  # a voucher, but no date at all
    unit.purchase_date = None
    decision, detail = decide_for_unit(unit, fault_code=None, at=timezone.now())
    assert decision == "undetermined" and detail["error"] == "no_start_date"
    with translation.override("zh-hans"):
        explained = explain(decision, detail)
    assert explained["decision"] == "无法判定"
    assert "No invoice" not in explained["reason"]
