"""The derived tables: the incremental job equals a from-scratch computation for random
histories, runs idempotently, and a frozen snapshot ignores late events."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.catalog.models import FaultCode
from aftersales.kpi import actions, formulas, selectors
from aftersales.kpi.models import KpiDaily, KpiFact
from aftersales.orders.models import OrderEvent, ServiceOrder

TZ = ZoneInfo("Asia/Shanghai")
BASE = dt.datetime(2025, 6, 2, 9, tzinfo=TZ)
PATH = ["dispatch", "assign", "accept", "depart", "arrive", "complete"]
TO = {
    "dispatch": "dispatched",
    "assign": "assigned",
    "accept": "accepted",
    "depart": "en_route",
    "arrive": "on_site",
    "complete": "completed",
    "revisit": "accepted",
    "cancel": "cancelled",
    "wait_parts": "waiting_parts",
}

order_plan = st.fixed_dictionaries(
    {
        # biased towards the same unit and fault, finished: comebacks are what we test
        "unit": st.sampled_from(["u1", "u1", "u2", None]),
        "fault": st.sampled_from([0, 0, 1]),
        "station": st.sampled_from(["s1", "s2"]),
        # mostly close together (comebacks), some months apart (outside every window)
        "start_h": st.one_of(st.integers(0, 24 * 20), st.integers(24 * 60, 24 * 200)),
        "steps": st.one_of(st.just(len(PATH)), st.integers(0, len(PATH))),
        "revisit": st.booleans(),
        "cancel": st.booleans(),
        "pause": st.booleans(),
        "gap_h": st.integers(1, 30),
        "score": st.sampled_from([None, 2, 4, 5]),
        # which events arrive after the first run: none, the second half, all (a new order)
        "late": st.sampled_from(["none", "half", "all"]),
    }
)


def _events(plan: dict[str, Any], data: dict[str, Any], tech: Any) -> list[tuple[bool, Any]]:
    """(late?, event kwargs) in time order."""
    start = BASE + dt.timedelta(hours=plan["start_h"])
    gap = dt.timedelta(hours=plan["gap_h"])
    out: list[tuple[bool, dict[str, Any]]] = [
        (
            plan["late"] == "all",
            {
                "at": start,
                "kind": "created",
                "to_status": "registered",
                "payload": {
                    "due": {
                        "respond": (start + 4 * gap).isoformat(),
                        "resolve": (start + 20 * gap).isoformat(),
                    }
                },
            },
        )
    ]
    t = start
    late = plan["late"] == "all"
    steps = PATH[: plan["steps"]]
    if plan["revisit"] and "complete" in steps:
        steps = [*steps[:-1], "revisit", "depart", "arrive", "complete"]
    if plan["pause"] and steps and steps[-1] not in ("complete",):
        steps = [*steps, "wait_parts"]
    if plan["cancel"] and "complete" not in steps:
        steps = [*steps, "cancel"]
    for i, action in enumerate(steps):
        t += gap
        late = late or (plan["late"] == "half" and i >= len(steps) // 2)
        payload: dict[str, Any] = {}
        if action == "dispatch":
            payload = {"station": data[plan["station"]].pk}
        elif action == "assign":
            payload = {"technician": tech.pk}
        out.append(
            (
                late,
                {
                    "at": t,
                    "kind": "transition",
                    "action": action,
                    "to_status": TO[action],
                    "payload": payload,
                },
            )
        )
    if "complete" in steps and plan["score"] is not None:
        t += 3 * gap
        answers = {"fixed": True, "satisfaction": plan["score"]}
        out.append(
            (
                plan["late"] != "none",
                {
                    "at": t,
                    "kind": "follow_up",
                    "action": "follow_up_result",
                    "payload": {"answers": answers},
                },
            )
        )
    return out


def _insert(order: ServiceOrder, events: list[dict[str, Any]]) -> None:
    for ev in events:
        OrderEvent.objects.create(order=order, **ev)
        if ev.get("to_status"):
            order.status = ev["to_status"]
        if ev.get("action") == "complete":  # as the complete transition does
            order.completed_at = ev["at"]
    order.save(update_fields=["status", "completed_at"])


def _daily_table(company_id: int) -> dict[tuple[Any, ...], tuple[Decimal, Decimal]]:
    out = {}
    for r in KpiDaily.objects.filter(company_id=company_id).values():
        key = (
            r["kpi"],
            r["day"],
            r["station_id"],
            r["technician_id"],
            r["region_id"],
            r["model_id"],
            r["fault_code_id"],
            r["category_id"],
            r["service_type"],
        )
        out[key] = (r["num"].normalize(), r["den"].normalize())
    return out


def _from_scratch(company_id: int, as_of: dt.datetime) -> dict[tuple[Any, ...], Any]:
    ids = ServiceOrder.objects.filter(company_id=company_id).values_list("pk", flat=True)
    rows = selectors.order_rows(company_id, ids)
    sums: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    from aftersales.calendars.selectors import work_calendar

    for c in formulas.order_contributions(rows, as_of=as_of, calendar=work_calendar(company_id)):
        d = c.dims
        key = (
            c.kpi,
            c.day,
            d.station,
            d.technician,
            d.region,
            d.model,
            d.fault_code,
            d.category,
            d.service_type,
        )
        sums[key][0] += c.num
        sums[key][1] += c.den
    return {k: (v[0].normalize(), v[1].normalize()) for k, v in sums.items()}


@pytest.fixture
def faults(data: dict[str, Any]) -> list[FaultCode]:
    return [
        FaultCode.objects.create(category=data["category"], code="E1", symptom="不制冷"),
        FaultCode.objects.create(category=data["category"], code="E2", symptom="漏水"),
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(order_plan, min_size=1, max_size=6), gap_days=st.integers(0, 60))
@pytest.mark.django_db
def test_incremental_rollup_equals_from_scratch(
    plans: list[dict[str, Any]],
    gap_days: int,
    data: dict[str, Any],
    people: dict[str, Any],
    faults: list[FaultCode],
) -> None:
    company_id = data["company"].pk
    with transaction.atomic():
        pending: list[tuple[ServiceOrder, list[dict[str, Any]]]] = []
        for plan in plans:
            order = ServiceOrder.objects.create(
                company=data["company"],
                channel="phone",
                service_type="repair",
                priority="medium",
                customer=data["c1"],
                unit=data[plan["unit"]] if plan["unit"] else None,
                fault_code=faults[plan["fault"]],
                created_at=BASE + dt.timedelta(hours=plan["start_h"]),
            )
            evs = _events(plan, data, people["tech"])
            _insert(order, [e for late, e in evs if not late])
            pending.append((order, [e for late, e in evs if late]))
        first = BASE + dt.timedelta(days=20)
        actions.kpi_refresh(company_id=company_id, as_of=first)
        for order, late_events in pending:
            _insert(order, late_events)
        second = first + dt.timedelta(days=gap_days)
        actions.kpi_refresh(company_id=company_id, as_of=second)
        incremental = _daily_table(company_id)
        assert incremental == _from_scratch(company_id, second)
        # idempotent: once more changes nothing; a rebuild gives the same rows
        actions.kpi_refresh(company_id=company_id, as_of=second)
        assert _daily_table(company_id) == incremental
        actions.kpi_rebuild(company_id=company_id, as_of=second)
        assert _daily_table(company_id) == incremental
        transaction.set_rollback(True)


def test_refresh_through_the_real_flow(
    new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    done = walk(new_order(), "follow_up")
    walk(new_order(unit=data["u2"], customer=data["c2"]), "arrive")
    actions.kpi_refresh(company_id=data["company"].pk)
    today = timezone.localdate()
    rows = selectors.figures(
        company_id=data["company"].pk,
        code="follow_up_rate",
        period_from=today - dt.timedelta(days=1),
        period_to=today,
        group_by="station",
    )
    assert [(r["key"], r["numerator"], r["denominator"]) for r in rows] == [(data["s1"].pk, 1, 1)]
    facts = KpiFact.objects.filter(kpi="first_time_fix")
    assert [(f.order_id, f.num, f.technician_id) for f in facts] == [
        (done.pk, 1, people["tech"].pk)
    ]
    sat = selectors.figures(
        company_id=data["company"].pk,
        code="satisfaction",
        period_from=today,
        period_to=today,
    )
    assert sat[0]["value"] == Decimal(100)


def test_station_manager_and_technician_see_only_their_own(
    new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    from aftersales.orders import actions as order_actions

    walk(new_order(), "complete")
    north = new_order(unit=data["u2"], customer=data["c2"])
    for action, who, kw in (
        ("dispatch", "dispatcher", {"station": data["s2"]}),
        ("assign", "dispatcher", {"technician": people["tech_north"]}),
        ("accept", "tech_north", {}),
    ):
        north = order_actions.order_transition(actor=people[who], order=north, action=action, **kw)
    actions.kpi_refresh(company_id=data["company"].pk)
    today = timezone.localdate()
    args = {"code": "timely_response", "period_from": today, "period_to": today}

    def keys(user: Any) -> list[Any]:
        rows = selectors.figures(
            company_id=data["company"].pk, group_by="station", user=user, **args
        )
        return [r["key"] for r in rows]

    assert keys(people["department_head"]) == sorted([data["s1"].pk, data["s2"].pk])
    assert keys(people["station_manager"]) == [data["s1"].pk]
    assert keys(people["tech_north"]) == [data["s2"].pk]
    assert keys(people["tech_b"]) == []
    listed = selectors.drilldown(user=people["station_manager"], **args)
    assert {r["station_id"] for r in listed} == {data["s1"].pk}


def test_frozen_snapshot_does_not_change_when_late_events_arrive(
    data: dict[str, Any], people: dict[str, Any], faults: list[FaultCode]
) -> None:
    company_id = data["company"].pk
    plan = {
        "unit": "u1",
        "fault": 0,
        "station": "s1",
        "start_h": 0,
        "steps": len(PATH),
        "revisit": False,
        "cancel": False,
        "pause": False,
        "gap_h": 1,
        "score": 5,
        "late": "half",
    }
    order = ServiceOrder.objects.create(
        company=data["company"],
        channel="phone",
        service_type="repair",
        priority="medium",
        customer=data["c1"],
        unit=data["u1"],
        fault_code=faults[0],
    )
    evs = _events(plan, data, people["tech"])
    _insert(order, [e for late, e in evs if e["kind"] != "follow_up"])
    actions.kpi_refresh(company_id=company_id)
    june = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    snap = actions.kpi_snapshot_take(
        actor=people["department_head"],
        company_id=company_id,
        code="follow_up_rate",
        period_from=june[0],
        period_to=june[1],
        group_by="station",
    )
    assert snap.rows[0]["numerator"] == "0" and snap.rows[0]["denominator"] == "1"
    # the follow-up is recorded a week late: live figures change, the snapshot does not
    _insert(order, [e for late, e in evs if e["kind"] == "follow_up"])
    actions.kpi_refresh(company_id=company_id)
    live = selectors.figures(
        company_id=company_id,
        code="follow_up_rate",
        period_from=june[0],
        period_to=june[1],
    )
    assert live[0]["numerator"] == 1
    again = actions.kpi_snapshot_take(
        actor=people["department_head"],
        company_id=company_id,
        code="follow_up_rate",
        period_from=june[0],
        period_to=june[1],
        group_by="station",
    )
    assert again.pk == snap.pk and again.rows == snap.rows


def test_assessment_run_twice_gives_the_same_result_and_ignores_late_events(
    data: dict[str, Any], people: dict[str, Any], faults: list[FaultCode]
) -> None:
    from aftersales.core.errors import Conflict
    from aftersales.kpi.assessment import DEFAULT_SCHEME
    from aftersales.kpi.models import AssessmentEvent, AssessmentRun

    company_id = data["company"].pk
    head = people["department_head"]
    plan = {
        "unit": "u1",
        "fault": 0,
        "station": "s1",
        "start_h": 0,
        "steps": len(PATH),
        "revisit": False,
        "cancel": False,
        "pause": False,
        "gap_h": 1,
        "score": 5,
        "late": "half",
    }
    order = ServiceOrder.objects.create(
        company=data["company"],
        channel="phone",
        service_type="repair",
        priority="medium",
        customer=data["c1"],
        unit=data["u1"],
        fault_code=faults[0],
    )
    evs = _events(plan, data, people["tech"])
    _insert(order, [e for late, e in evs if e["kind"] != "follow_up"])
    actions.kpi_refresh(company_id=company_id)
    june = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    scheme = actions.assessment_scheme_save(
        actor=head, name="网点月度考核", period_kind="month", definition=DEFAULT_SCHEME
    )
    run = actions.assessment_run_create(
        actor=head, scheme=scheme, period_from=june[0], period_to=june[1]
    )
    first = {r.subject_id: (r.score, r.grade, r.lines) for r in run.results.all()}
    assert set(first) == {data["s1"].pk, data["s2"].pk}
    s1 = run.results.get(subject_id=data["s1"].pk)
    assert s1.figures["first_time_fix"]["value"] == "100.00"
    # late events arrive; a second run of the same scheme and period reads the same snapshots
    _insert(order, [e for late, e in evs if e["kind"] == "follow_up"])
    actions.kpi_refresh(company_id=company_id)
    again = actions.assessment_run_create(
        actor=head, scheme=scheme, period_from=june[0], period_to=june[1]
    )
    assert again.pk == run.pk
    twin = actions.assessment_scheme_save(
        actor=head, name="副本", period_kind="month", definition=DEFAULT_SCHEME
    )
    copy = actions.assessment_run_create(
        actor=head, scheme=twin, period_from=june[0], period_to=june[1]
    )
    assert {r.subject_id: (r.score, r.grade, r.lines) for r in copy.results.all()} == first

    # manual score, adjustment with a reason, review, approval; then nothing changes
    s1 = actions.assessment_manual_set(actor=head, result=s1, code="attitude", value=Decimal(90))
    s1 = actions.assessment_adjust(actor=head, result=s1, points=Decimal(-2), reason="资料不全")
    assert s1.lines[-1]["kind"] == "adjustment" and s1.lines[-1]["points"] == "-2.00"
    run = actions.assessment_run_move(actor=people["service_manager"], run=run, verb="review")
    with pytest.raises(Conflict):
        actions.assessment_adjust(actor=head, result=s1, points=Decimal(1), reason="再改")
    from aftersales.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.assessment_run_move(actor=people["service_manager"], run=run, verb="approve")
    run = actions.assessment_run_move(actor=head, run=run, verb="approve")
    assert run.status == AssessmentRun.Status.APPROVED
    assert [e.action for e in AssessmentEvent.objects.filter(run=run)] == [
        "create",
        "manual",
        "adjust",
        "review",
        "approve",
    ]


def test_amounts_are_shown_plain() -> None:
    assert str(selectors.plain(Decimal("30.0000"))) == "30"
    assert str(selectors.plain(Decimal("2.5000"))) == "2.5"
    assert str(selectors.plain(None)) == "0"


def test_parts_turnaround_from_the_request_events(stock: dict[str, Any]) -> None:
    from aftersales.parts import actions as parts
    from aftersales.parts.models import Transfer

    people, m, cap = stock["people"], stock["manager"], stock["capacitor"]
    parts.stock_receive(actor=m, warehouse=stock["central"], part=cap, quantity=5)
    request = parts.parts_request_submit(
        actor=people["tech"], target=stock["van"], lines=[(cap, 2)]
    )
    parts.parts_request_approve(actor=m, request=request, source=stock["central"])
    actions.kpi_refresh(company_id=m.company_id)
    assert not KpiFact.objects.filter(kpi="parts_turnaround").exists()  # not yet received
    parts.transfer_receive(actor=people["tech"], transfer=Transfer.objects.get())
    actions.kpi_refresh(company_id=m.company_id)
    fact = KpiFact.objects.get(kpi="parts_turnaround")
    assert (fact.subject, fact.subject_id, fact.den) == ("parts", request.pk, 1)


def test_comeback_weeks_later_updates_the_earlier_order(
    data: dict[str, Any], people: dict[str, Any], faults: list[FaultCode]
) -> None:
    """A repair completed, figures rolled up; 40 days later the unit comes back with the same
    fault: the earlier order's 90-day repeat figure changes (and its 30-day one does not)."""
    company_id = data["company"].pk
    plan: dict[str, Any] = {
        "unit": "u1",
        "fault": 0,
        "station": "s1",
        "start_h": 0,
        "steps": len(PATH),
        "revisit": False,
        "cancel": False,
        "pause": False,
        "gap_h": 1,
        "score": None,
        "late": "none",
    }

    def order(start_h: int) -> ServiceOrder:
        row = ServiceOrder.objects.create(
            company=data["company"],
            channel="phone",
            service_type="repair",
            priority="medium",
            customer=data["c1"],
            unit=data["u1"],
            fault_code=faults[0],
            created_at=BASE + dt.timedelta(hours=start_h),
        )
        _insert(
            row, [e for _late, e in _events({**plan, "start_h": start_h}, data, people["tech"])]
        )
        return row

    first = order(0)
    actions.kpi_refresh(company_id=company_id, as_of=BASE + dt.timedelta(days=10))
    order(24 * 40)
    as_of = BASE + dt.timedelta(days=50)
    actions.kpi_refresh(company_id=company_id, as_of=as_of)
    repeat = {
        f.kpi: f.num for f in KpiFact.objects.filter(subject_id=first.pk, kpi__startswith="repeat")
    }
    assert repeat == {"repeat_repair_7": 0, "repeat_repair_30": 0, "repeat_repair_90": 1}
    assert _daily_table(company_id) == _from_scratch(company_id, as_of)
