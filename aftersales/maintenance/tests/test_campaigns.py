"""Recall and service campaigns: the selection (pure and in the database alike), one order per
unit however often it runs, owners told, progress, and the refusal of an empty selection."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.errors import ApplicationError
from aftersales.customers import actions as customers
from aftersales.maintenance import actions, campaigns
from aftersales.maintenance.models import CampaignUnit
from aftersales.notifications.models import OutboxMessage
from aftersales.orders import actions as order_actions
from aftersales.orders.models import ServiceOrder

D = dt.date


@pytest.mark.parametrize(
    ("selection", "unit", "taken"),
    [
        (campaigns.Selection(models=frozenset({1})), (1, "A100", None), True),
        (campaigns.Selection(models=frozenset({1})), (2, "A100", None), False),
        (campaigns.Selection(serial_from="A100", serial_to="A199"), (1, "A150", None), True),
        (campaigns.Selection(serial_from="A100", serial_to="A199"), (1, "A200", None), False),
        (campaigns.Selection(serial_from="A100", serial_to="A199"), (1, "A099", None), False),
        (
            campaigns.Selection(sold_from=D(2025, 1, 1), sold_to=D(2025, 6, 30)),
            (1, "X", D(2025, 6, 30)),
            True,
        ),
        (campaigns.Selection(sold_from=D(2025, 1, 1)), (1, "X", None), False),
        (campaigns.Selection(serials=frozenset({"S1"})), (9, "S1", None), True),
        (campaigns.Selection(serials=frozenset({"S1"})), (9, "S2", None), False),
        # A list adds units to the criteria's, whatever their model.
        (
            campaigns.Selection(models=frozenset({1}), serials=frozenset({"S1"})),
            (9, "S1", None),
            True,
        ),
        (campaigns.Selection(), (1, "A", None), False),
    ],
)
def test_the_selection(selection, unit, taken):
    model, serial, sold = unit
    assert campaigns.selects(selection, model=model, serial=serial, sold=sold) is taken


@pytest.mark.parametrize(
    ("kw", "state"),
    [
        (
            {
                "has_order": False,
                "told": False,
                "unreachable": False,
                "status": "",
                "booked": False,
            },
            "pending",
        ),
        (
            {
                "has_order": True,
                "told": True,
                "unreachable": False,
                "status": "registered",
                "booked": False,
            },
            "reached",
        ),
        (
            {
                "has_order": True,
                "told": True,
                "unreachable": True,
                "status": "registered",
                "booked": False,
            },
            "unreachable",
        ),
        (
            {
                "has_order": True,
                "told": True,
                "unreachable": True,
                "status": "dispatched",
                "booked": True,
            },
            "booked",
        ),
        (
            {
                "has_order": True,
                "told": False,
                "unreachable": False,
                "status": "closed",
                "booked": True,
            },
            "done",
        ),
        (
            {
                "has_order": True,
                "told": True,
                "unreachable": False,
                "status": "cancelled",
                "booked": False,
            },
            "cancelled",
        ),
    ],
)
def test_progress(kw, state):
    assert campaigns.progress(**kw) == state


@given(
    serial=st.text(alphabet="AB0123", min_size=1, max_size=4),
    lo=st.text(alphabet="AB0123", max_size=4),
)
def test_a_wider_range_never_takes_fewer_units(serial, lo):
    narrow = campaigns.Selection(serial_from=lo + "1" if lo else "1")
    wide = campaigns.Selection(serial_from=lo)
    if campaigns.selects(narrow, model=1, serial=serial, sold=None):
        assert campaigns.selects(wide, model=1, serial=serial, sold=None) or not lo


@pytest.fixture
def fleet(data, people):
    units = [data["u1"], data["u2"]]
    for k in range(3):
        units.append(
            customers.unit_create(
                actor=people["agent"],
                customer=data["c1"],
                product_model=data["model"],
                serial=f"KF2402{k:06d}",
                purchase_date=D(2024, 5, 1),
            )
        )
    return units


@pytest.mark.django_db
def test_the_database_selection_matches_the_pure_one(data, people, fleet):
    campaign = actions.campaign_create(
        actor=people["service_manager"],
        name="压缩机召回",
        kind="recall",
        work="更换压缩机继电器",
        product_models=[data["model"].pk],
        serial_from="KF2401000002",
        serial_to="KF2402000001",
        sold_to=D(2024, 4, 30),
        serials=["KF2402000002"],
    )
    found = set(actions.campaign_units_query(campaign).values_list("serial", flat=True))
    selection = actions._selection(campaign)
    expected = {
        u.serial
        for u in fleet
        if campaigns.selects(
            selection, model=u.product_model_id, serial=u.serial, sold=u.purchase_date
        )
    }
    assert found == expected == {"KF2401000002", "KF2402000002"}


@pytest.mark.django_db
def test_a_launched_campaign_orders_each_unit_once_and_tells_the_owners(
    data, people, fleet, django_capture_on_commit_callbacks, walk
):
    campaign = actions.campaign_create(
        actor=people["service_manager"],
        name="夏季清洗活动",
        kind="service",
        work="清洗过滤网",
        product_models=[data["model"].pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.campaign_launch(actor=people["service_manager"], campaign=campaign)
    assert CampaignUnit.objects.filter(campaign=campaign, order__isnull=False).count() == 5
    assert actions.campaign_orders_create(campaign=campaign) == 0
    assert actions.campaigns_sweep() == 0
    orders = ServiceOrder.objects.filter(channel="maintenance_plan", service_type="inspection")
    assert orders.count() == 5
    assert OutboxMessage.objects.filter(event="campaign").count() == 5
    assert CampaignUnit.objects.filter(campaign=campaign, told=True).count() == 5
    row = CampaignUnit.objects.filter(campaign=campaign).order_by("id").first()
    actions.campaign_unit_mark(
        actor=people["agent"], campaign_unit=row, unreachable=True, note="空号"
    )
    from aftersales.maintenance.selectors import campaign_progress

    counts = campaign_progress(campaign)["counts"]
    assert counts["unreachable"] == 1 and counts["reached"] == 4
    order_actions.order_transition(
        actor=people["agent"], order=row.order, action="cancel", reason="客户拒绝"
    )
    assert campaign_progress(campaign)["counts"]["cancelled"] == 1


@pytest.mark.django_db
def test_an_empty_selection_is_refused(data, people):
    with pytest.raises(ApplicationError) as refused:
        actions.campaign_create(actor=people["service_manager"], name="x", kind="recall", work="y")
    assert "product_models" in refused.value.details["fields"]
    campaign = actions.campaign_create(
        actor=people["service_manager"], name="x", kind="recall", work="y", serials=["NOPE"]
    )
    with pytest.raises(ApplicationError) as nothing:
        actions.campaign_launch(actor=people["service_manager"], campaign=campaign)
    assert nothing.value.code == "no_units"
