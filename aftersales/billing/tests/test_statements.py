"""Station statements: a hand-built month's lines, determinism, late changes, adjustments,
reconciliation through its states, roll-over, paying exactly once (SQLite part)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from aftersales.billing import actions, selectors
from aftersales.billing.actions import LineDispute
from aftersales.billing.models import LedgerEntry, Payout, StatementEvent, StatementOrder
from aftersales.billing.tests.conftest import DEC, NOV, amounts
from aftersales.core.errors import ApplicationError
from aftersales.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _send_and_pass_deadline(statement: Any, finance: Any) -> None:
    actions.statement_send(actor=finance, statement_id=statement.pk)
    statement.refresh_from_db()
    statement.dispute_due = timezone.now() - dt.timedelta(seconds=1)
    statement.save(update_fields=["dispute_due"])


def test_a_hand_built_month(month: dict[str, Any], completed: Any) -> None:
    # Given: a weekday repair (air conditioner), an urgent one, and one in December.
    a = completed(dt.datetime(2026, 11, 10, 10, 0))
    b = completed(dt.datetime(2026, 11, 11, 14, 0), priority="high")
    completed(dt.datetime(2026, 12, 2, 10, 0))
    # When
    statement = actions.statement_generate(
        actor=month["finance"], station=month["station"], period=NOV
    )
    # Then: the AC repair rule wins over the general labour rule; travel 22 km − 10 free.
    lines = list(statement.lines.order_by("position"))
    assert [(line.order_id, line.fee_kind, line.amount) for line in lines] == [
        (a.pk, "labour", D("80.00")),
        (a.pk, "travel", D("18.00")),
        (b.pk, "labour", D("80.00")),
        (b.pk, "travel", D("18.00")),
        (b.pk, "urgent", D("16.00")),
    ]
    assert lines[0].rule_id == month["rules"]["labour_ac"].pk and lines[0].rule_version == 1
    assert lines[1].formula == "(22 − 10) km × 1.50 = 18.00"
    assert statement.total == D("212.00")
    assert set(StatementOrder.objects.values_list("order_id", flat=True)) == {a.pk, b.pk}
    assert statement.events.get().action == "generate"


def test_regenerating_before_sending_gives_the_same_lines(
    month: dict[str, Any], completed: Any
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    completed(dt.datetime(2026, 11, 20, 21, 30), priority="high")
    first = actions.statement_generate(actor=month["finance"], station=month["station"], period=NOV)
    before = amounts(first), first.digest, first.total
    again = actions.statement_generate(actor=month["finance"], station=month["station"], period=NOV)
    assert again.pk == first.pk
    assert (amounts(again), again.digest, again.total) == before
    assert [e.action for e in again.events.all()] == ["generate", "regenerate"]


def test_a_sent_statement_is_not_regenerated_and_a_late_change_goes_to_the_next_period(
    month: dict[str, Any], completed: Any
) -> None:
    finance = month["finance"]
    order = completed(dt.datetime(2026, 11, 10, 10, 0))
    nov = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=nov.pk)
    with pytest.raises(ApplicationError) as err:
        actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    assert err.value.code == "statement_sent"
    # The order turns out urgent after the statement was sent (its history records it).
    _edit(order, priority="high")
    dec = actions.statement_generate(actor=finance, station=month["station"], period=DEC)
    assert [(line.kind, line.order_id, line.amount) for line in dec.lines.all()] == [
        ("late_change", order.pk, D("16.00"))
    ]
    nov.refresh_from_db()
    assert nov.total == D("98.00")  # the sent statement is unchanged
    # The order still belongs to November's statement only.
    assert StatementOrder.objects.get(order=order).statement_id == nov.pk


def _edit(order: ServiceOrder, **fields: Any) -> None:
    """Change an order as an edit does: the fields, and an event in its history."""
    from aftersales.orders.actions import order_event

    ServiceOrder.objects.filter(pk=order.pk).update(**fields)
    order_event(order, actor=None, kind="edit", action="edit", payload={"fields": list(fields)})


def test_late_changes_are_found_by_the_orders_events_not_its_updated_at(
    month: dict[str, Any], completed: Any
) -> None:
    finance, station = month["finance"], month["station"]
    order = completed(dt.datetime(2026, 11, 10, 10, 0))
    quiet = completed(dt.datetime(2026, 11, 12, 10, 0))
    nov = actions.statement_generate(actor=finance, station=station, period=NOV)
    actions.statement_send(actor=finance, statement_id=nov.pk)
    # A change without an event (a touched updated_at) and a note are not price changes.
    ServiceOrder.objects.filter(pk=quiet.pk).update(
        priority="high", updated_at=timezone.now() + dt.timedelta(days=1)
    )
    from aftersales.orders.actions import order_event

    order_event(order, actor=None, kind="note", action="note", reason="called the customer")
    dec = actions.statement_generate(actor=finance, station=station, period=DEC)
    assert list(dec.lines.all()) == []
    # An edit recorded in the order's history after the snapshot is.
    _edit(order, priority="high")
    dec = actions.statement_generate(actor=finance, station=station, period=DEC)
    assert [(line.kind, line.order_id, line.amount) for line in dec.lines.all()] == [
        ("late_change", order.pk, D("16.00"))
    ]
    # Regenerating December again gives the same line (not twice the difference).
    dec = actions.statement_generate(actor=finance, station=station, period=DEC)
    assert [(line.kind, line.amount) for line in dec.lines.all()] == [("late_change", D("16.00"))]
    # Once December is sent, January settles only a change made after December's generation.
    actions.statement_send(actor=finance, statement_id=dec.pk)
    jan = actions.statement_generate(actor=finance, station=station, period=dt.date(2027, 1, 1))
    assert list(jan.lines.all()) == []
    _edit(order, priority="medium")
    jan = actions.statement_generate(actor=finance, station=station, period=dt.date(2027, 1, 1))
    assert [(line.kind, line.amount) for line in jan.lines.all()] == [("late_change", D("-16.00"))]


def test_an_order_belongs_to_one_statement(month: dict[str, Any], completed: Any) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    nov = actions.statement_generate(actor=month["finance"], station=month["station"], period=NOV)
    actions.statement_send(actor=month["finance"], statement_id=nov.pk)
    dec = actions.statement_generate(actor=month["finance"], station=month["station"], period=DEC)
    assert dec.lines.count() == 0
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StatementOrder.objects.create(
            statement=dec, order=nov.orders.get().order, facts={}, amount=D("1")
        )


def test_manual_lines_survive_regeneration_and_need_a_reason(
    month: dict[str, Any], completed: Any
) -> None:
    finance = month["finance"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    with pytest.raises(ApplicationError):
        actions.statement_line_add(
            actor=finance, statement_id=st.pk, kind="manual", amount="-30", reason=""
        )
    actions.statement_line_add(
        actor=finance,
        statement_id=st.pk,
        kind="manual",
        amount="-30",
        reason="十一月: 工单资料不全",
    )
    with pytest.raises(ApplicationError) as err:
        actions.statement_line_add(
            actor=finance, statement_id=st.pk, kind="assessment_bonus", amount="30", reason="x"
        )
    assert err.value.code == "invalid_kind"  # assessment lines come from the approved run
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    assert amounts(st)[-1] == ("manual", "", D("-30.00"))
    assert st.total == D("68.00")


def test_chargebacks_and_complaint_penalties_are_adjustment_lines_once(
    month: dict[str, Any], completed: Any, data: dict[str, Any], people: dict[str, Any]
) -> None:
    from aftersales.feedback.models import Complaint
    from aftersales.parts.models import Chargeback, ReturnObligation, StockMove, Warehouse

    finance = month["finance"]
    order = completed(dt.datetime(2026, 11, 10, 10, 0))
    wh = Warehouse.objects.create(company=data["company"], station=data["s1"], code="W", name="W")
    from aftersales.catalog.models import Part

    part = Part.objects.create(company=data["company"], code="P1", name="压缩机", price=D("300"))
    move = StockMove.objects.create(
        company=data["company"], warehouse=wh, part=part, kind="issue", quantity=-1, order=order
    )
    ob = ReturnObligation.objects.create(
        company=data["company"],
        issue=move,
        order=order,
        part=part,
        quantity=1,
        station=data["s1"],
        due=dt.date(2026, 11, 5),
    )
    Chargeback.objects.create(
        company=data["company"],
        station=data["s1"],
        obligation=ob,
        amount=D("300"),
        reason="overdue",
        created_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    Complaint.objects.create(
        company=data["company"],
        number="TS-1",
        customer=data["c1"],
        order=order,
        station=data["s1"],
        source="hotline",
        category="attitude",
        severity="high",
        description="态度差",
        status="closed",
        due_at=timezone.now(),
        closed_at=dt.datetime(2026, 11, 12, tzinfo=dt.UTC),
    )
    nov = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    kinds = [(k, a) for k, _f, a in amounts(nov)]
    assert ("chargeback", D("-300.00")) in kinds
    assert ("complaint", D("-200.00")) in kinds
    actions.statement_send(actor=finance, statement_id=nov.pk)
    dec = actions.statement_generate(actor=finance, station=month["station"], period=DEC)
    assert dec.lines.count() == 0  # each source settled once


def test_disputes_through_their_states(
    month: dict[str, Any], completed: Any, people: dict[str, Any]
) -> None:
    finance, sm, mgr = month["finance"], people["station_manager"], people["service_manager"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    completed(dt.datetime(2026, 11, 11, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=st.pk)
    with pytest.raises(ApplicationError) as err:
        actions.statement_approve(actor=finance, statement_id=st.pk)
    assert err.value.code == "awaiting_station"
    l1, l2, l3, _l4 = st.lines.order_by("position")
    actions.statement_dispute(
        actor=sm,
        statement_id=st.pk,
        disputes=[
            LineDispute(l1.pk, "工时应按2小时", "100.00"),
            LineDispute(l2.pk, "实际里程30公里", "30.00"),
            LineDispute(l3.pk, "同上", "100.00"),
        ],
    )
    st.refresh_from_db()
    assert st.status == "disputed"
    with pytest.raises(ApplicationError) as err:
        actions.statement_dispute_answer(actor=mgr, line_id=l2.pk, answer="rejected", reason="")
    assert err.value.code == "reason_required"
    actions.statement_dispute_answer(actor=mgr, line_id=l1.pk, answer="accepted")
    actions.statement_dispute_answer(
        actor=mgr, line_id=l2.pk, answer="rejected", reason="按导航里程"
    )
    st.refresh_from_db()
    assert st.status == "disputed"
    actions.statement_dispute_answer(
        actor=mgr, line_id=l3.pk, answer="partly", amount="90.00", reason="折中"
    )
    st.refresh_from_db()
    assert st.status == "answered"
    assert st.total == D("100.00") + D("18.00") + D("90.00") + D("18.00")
    actions.statement_approve(actor=finance, statement_id=st.pk)
    payout = actions.statement_pay(actor=finance, statement_id=st.pk, reference="BANK-1")
    assert payout.amount == st.total
    st.refresh_from_db()
    assert st.status == "paid"
    assert [e.action for e in StatementEvent.objects.filter(statement=st) if e.to_status] == [
        "generate",
        "send",
        "dispute",
        "answer",
        "approve",
        "pay",
    ]


def test_a_station_disputes_only_its_own_statement(
    month: dict[str, Any], completed: Any, make_user: Any, data: dict[str, Any]
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    st = actions.statement_generate(actor=month["finance"], station=month["station"], period=NOV)
    actions.statement_send(actor=month["finance"], statement_id=st.pk)
    other = make_user("station_manager", station=data["s2"])
    with pytest.raises(ApplicationError) as err:
        actions.statement_confirm(actor=other, statement_id=st.pk)
    assert err.value.code == "not_found"
    assert selectors.statements_visible_to(other).count() == 0


def test_small_amounts_roll_over_for_at_most_n_periods(
    month: dict[str, Any], completed: Any
) -> None:
    finance = month["finance"]
    from aftersales.billing.models import BillingSettings

    BillingSettings.objects.create(
        company=month["station"].company, rollover_threshold=D("200"), rollover_max_periods=1
    )
    completed(dt.datetime(2026, 11, 10, 10, 0))  # 98.00 < 200
    nov = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    _send_and_pass_deadline(nov, finance)
    nov = actions.statement_approve(actor=finance, statement_id=nov.pk)
    assert nov.status == "rolled_over"
    completed(dt.datetime(2026, 12, 10, 10, 0))
    dec = actions.statement_generate(actor=finance, station=month["station"], period=DEC)
    assert amounts(dec)[-1] == ("rollover", "", D("98.00"))
    assert dec.total == D("196.00") and dec.carried_periods == 1
    _send_and_pass_deadline(dec, finance)
    dec = actions.statement_approve(actor=finance, statement_id=dec.pk)
    assert dec.status == "approved"  # carried once already: paid now although under 200


def test_paying_twice_pays_once_and_the_balance_is_the_ledger(
    month: dict[str, Any], completed: Any, people: dict[str, Any]
) -> None:
    finance = month["finance"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=st.pk)
    actions.statement_confirm(actor=people["station_manager"], statement_id=st.pk)
    actions.statement_approve(actor=finance, statement_id=st.pk)
    actions.statement_approve(actor=finance, statement_id=st.pk)
    first = actions.statement_pay(actor=finance, statement_id=st.pk)
    second = actions.statement_pay(actor=finance, statement_id=st.pk)
    assert first.pk == second.pk
    assert Payout.objects.count() == 1 and LedgerEntry.objects.count() == 1
    assert selectors.account_balance(month["station"].pk) == D("98.00")


def test_a_crash_between_paid_and_the_ledger_row_leaves_neither(
    month: dict[str, Any], completed: Any, people: dict[str, Any], monkeypatch: Any
) -> None:
    finance = month["finance"]
    completed(dt.datetime(2026, 11, 10, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=st.pk)
    actions.statement_confirm(actor=people["station_manager"], statement_id=st.pk)
    actions.statement_approve(actor=finance, statement_id=st.pk)

    def crash(**_kw: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(actions, "_post_ledger", crash)
    with pytest.raises(RuntimeError):
        actions.statement_pay(actor=finance, statement_id=st.pk)
    st.refresh_from_db()
    assert st.status == "approved"
    assert Payout.objects.count() == 0 and LedgerEntry.objects.count() == 0
    monkeypatch.undo()
    actions.statement_pay(actor=finance, statement_id=st.pk)
    st.refresh_from_db()
    assert st.status == "paid" and LedgerEntry.objects.count() == 1


def test_credit_mode_credits_the_station_account(
    month: dict[str, Any], completed: Any, people: dict[str, Any]
) -> None:
    finance = month["finance"]
    actions.station_terms_set(
        actor=finance, station=month["station"], grade="A", payout_mode="credit"
    )
    completed(dt.datetime(2026, 11, 10, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    actions.statement_send(actor=finance, statement_id=st.pk)
    actions.statement_confirm(actor=people["station_manager"], statement_id=st.pk)
    actions.statement_approve(actor=finance, statement_id=st.pk)
    actions.statement_pay(actor=finance, statement_id=st.pk)
    st.refresh_from_db()
    assert st.status == "credited"
    assert LedgerEntry.objects.get().kind == "credit"


def test_a_new_rule_version_prices_orders_from_its_valid_from(
    month: dict[str, Any], completed: Any
) -> None:
    finance = month["finance"]
    actions.fee_rule_create(
        actor=finance,
        code="labour-ac",
        name="空调工时费",
        kind="labour",
        valid_from=dt.date(2026, 11, 15),
        criteria={"category": "ac", "service_type": "repair"},
        params={"amount": "95"},
    )
    with pytest.raises(ApplicationError) as err:
        actions.fee_rule_create(
            actor=finance,
            code="labour-ac",
            name="x",
            kind="labour",
            valid_from=dt.date(2026, 11, 1),
            params={"amount": "1"},
        )
    assert err.value.code == "valid_from_not_after"
    completed(dt.datetime(2026, 11, 14, 10, 0))
    completed(dt.datetime(2026, 11, 15, 10, 0))
    st = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    labour = [(line.amount, line.rule_version) for line in st.lines.filter(fee_kind="labour")]
    assert labour == [(D("80.00"), 1), (D("95.00"), 2)]


def test_only_finance_generates(month: dict[str, Any], people: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as err:
        actions.statement_generate(
            actor=people["station_manager"], station=month["station"], period=NOV
        )
    assert err.value.code == "forbidden"


def _approved_assessment(
    company: Any, station: Any, grades: dict[str, Any], start: dt.date, end: dt.date
) -> Any:
    """An approved station assessment run of a period with one result per station given."""
    from aftersales.kpi.models import AssessmentResult, AssessmentRun, AssessmentScheme

    scheme = AssessmentScheme.objects.create(
        company=company, name="站点月度考核", subject="station", period_kind="month", definition={}
    )
    run = AssessmentRun.objects.create(
        company=company,
        scheme=scheme,
        scheme_data={},
        subject="station",
        period_from=start,
        period_to=end,
        status="approved",
    )
    for subject, (grade, score) in grades.items():
        AssessmentResult.objects.create(
            run=run, subject_id=subject.pk, subject_name=subject.name, score=score, grade=grade
        )
    return run


def test_the_approved_assessment_of_the_period_becomes_the_grades_bonus_or_deduction(
    month: dict[str, Any], completed: Any, data: dict[str, Any]
) -> None:
    from aftersales.billing.models import BillingSettings

    finance, station = month["finance"], month["station"]
    company = station.company
    BillingSettings.objects.create(
        company=company, assessment_amounts={"A": "300", "C": "-150.5", "B": "0"}
    )
    completed(dt.datetime(2026, 11, 10, 10, 0))
    # A draft run is not read; the approved one of November is.
    from aftersales.kpi.models import AssessmentRun

    run = _approved_assessment(
        company,
        station,
        {station: ("C", D("72.50")), data["s2"]: ("A", D("95"))},
        NOV,
        dt.date(2026, 11, 30),
    )
    AssessmentRun.objects.filter(pk=run.pk).update(status="draft")
    st = actions.statement_generate(actor=finance, station=station, period=NOV)
    assert [k for k, _f, _a in amounts(st)] == ["fee", "fee"]
    AssessmentRun.objects.filter(pk=run.pk).update(status="approved")
    st = actions.statement_generate(actor=finance, station=station, period=NOV)
    line = st.lines.order_by("position").last()
    assert (line.kind, line.amount, line.formula) == (
        "assessment_deduction",
        D("-150.50"),
        "C (72.50) → -150.50",
    )
    assert line.basis["run"] == run.pk and line.reason == "2026-11-01..2026-11-30"
    assert st.total == D("98.00") - D("150.50")
    # Deterministic: regenerating gives the same lines and digest.
    again = actions.statement_generate(actor=finance, station=station, period=NOV)
    assert (amounts(again), again.digest) == (amounts(st), st.digest)
    # The other station's grade A is its bonus, in its own statement.
    other = actions.statement_generate(actor=finance, station=data["s2"], period=NOV)
    assert amounts(other) == [("assessment_bonus", "", D("300.00"))]
    # Settled once: December's statement does not repeat November's result.
    actions.statement_send(actor=finance, statement_id=st.pk)
    dec = actions.statement_generate(actor=finance, station=station, period=DEC)
    assert amounts(dec) == []


def test_an_assessment_approved_after_its_statement_goes_to_the_next_one(
    month: dict[str, Any], completed: Any
) -> None:
    from aftersales.billing.models import BillingSettings

    finance, station = month["finance"], month["station"]
    BillingSettings.objects.create(company=station.company, assessment_amounts={"A": "200"})
    nov = actions.statement_generate(actor=finance, station=station, period=NOV)
    actions.statement_send(actor=finance, statement_id=nov.pk)
    _approved_assessment(
        station.company, station, {station: ("A", D("91"))}, NOV, dt.date(2026, 11, 30)
    )
    dec = actions.statement_generate(actor=finance, station=station, period=DEC)
    assert amounts(dec) == [("assessment_bonus", "", D("200.00"))]
    assert dec.lines.get().reason == "2026-11-01..2026-11-30"
    # A grade without an amount gives no line.
    assert actions.grade_amount(BillingSettings(assessment_amounts={}), "A") == D("0.00")


def test_assessment_periods_cover_months_quarters_and_years_ending_in_the_last_three_months():
    assert actions.assessment_periods(dt.date(2027, 1, 1)) == [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
    ]


def test_a_rule_by_repair_level_prices_the_orders_whose_fault_code_has_that_level(
    month: dict[str, Any], completed: Any
) -> None:
    from aftersales.catalog.models import FaultCode

    finance = month["finance"]
    plain = completed(dt.datetime(2026, 11, 10, 10, 0))
    major = FaultCode.objects.create(
        category=plain.unit.product_model.category,
        code="COMP",
        symptom="压缩机不启动",
        repair_level="3",
    )
    big = completed(dt.datetime(2026, 11, 12, 10, 0), fault_code=major)
    rule = actions.fee_rule_create(
        actor=finance,
        code="labour-ac-l3",
        name="空调大修工时费",
        kind="labour",
        valid_from=dt.date(2026, 1, 1),
        criteria={"category": "ac", "service_type": "repair", "repair_level": "3"},
        params={"amount": "150"},
    )
    statement = actions.statement_generate(actor=finance, station=month["station"], period=NOV)
    labour = {
        line.order_id: (line.amount, line.rule_id)
        for line in statement.lines.filter(fee_kind="labour")
    }
    assert labour == {
        plain.pk: (D("80.00"), month["rules"]["labour_ac"].pk),
        big.pk: (D("150.00"), rule.pk),
    }
