"""The region comparison (chart, table, xlsx), the self-assessment PDF, the scheme editor
(rows, checked line by line) and the assessment run on the transition kernel."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.http import QueryDict
from openpyxl import load_workbook

from aftersales.core.errors import ApplicationError
from aftersales.kpi import actions, scheme_form
from aftersales.kpi.assessment import DEFAULT_SCHEME, check_scheme
from aftersales.kpi.models import AssessmentEvent, AssessmentRun, AssessmentScheme
from aftersales.orders import actions as order_actions


@pytest.fixture
def history(new_order: Any, walk: Any, people: dict[str, Any], data: dict[str, Any]) -> Any:
    done = walk(new_order(), "follow_up")
    north = new_order(unit=data["u2"], customer=data["c2"])
    for action, who, kw in (
        ("dispatch", "dispatcher", {"station": data["s2"]}),
        ("assign", "dispatcher", {"technician": people["tech_north"]}),
        ("accept", "tech_north", {}),
    ):
        north = order_actions.order_transition(actor=people[who], order=north, action=action, **kw)
    actions.kpi_refresh(company_id=data["company"].pk)
    return {"done": done, "north": north}


def test_region_comparison_page_and_export(
    login: Any, people: dict[str, Any], history: Any, data: dict[str, Any]
) -> None:
    head = login(people["department_head"])
    page = head.get("/kpi/regions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="chart-regions"' in html and 'data-testid="region-table"' in html
    assert f"region={data['s1'].region_id}" in html
    got = head.get("/kpi/export/regions/")
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] in ("Region", "区域", "大区") and len(header) == 9
    assert sheet.max_row == 1 + len({data["s1"].region_id, data["s2"].region_id})
    # company-level: not for a station manager; not drawn on the dashboard
    assert login(people["station_manager"]).get("/kpi/regions/").status_code == 403
    assert 'data-testid="chart-regions"' not in head.get("/kpi/").content.decode()


def test_self_assessment_pdf(login: Any, people: dict[str, Any]) -> None:
    head = login(people["department_head"])
    assert head.get("/kpi/gbt27922/pdf/").status_code == 404  # nothing saved yet
    form = {"answer-1.1": "yes", "evidence-1.1": "售后服务管理制度 2025 版"}
    assert head.post("/kpi/gbt27922/", form).status_code == 302
    assert 'data-testid="self-pdf"' in head.get("/kpi/gbt27922/").content.decode()
    got = head.get("/kpi/gbt27922/pdf/")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert got.content.startswith(b"%PDF")
    assert login(people["station_manager"]).get("/kpi/gbt27922/pdf/").status_code == 403


def _post(rows: dict[str, Any]) -> dict[str, Any]:
    """The rows as a browser posts them (repeated names: lists)."""
    q: dict[str, Any] = {"subject": rows["subject"]}
    for section, prefix, names in (
        ("items", "item", scheme_form.ITEM_FIELDS),
        ("rules", "rule", scheme_form.RULE_FIELDS),
        ("grades", "grade", scheme_form.GRADE_FIELDS),
    ):
        for name in names:
            q[f"{prefix}-{name}"] = [r.get(name, "") for r in rows[section]]
    return q


def test_scheme_rows_round_trip_to_the_same_scheme() -> None:
    rows = scheme_form.rows_of(DEFAULT_SCHEME)
    post = QueryDict(mutable=True)
    for key, value in _post(rows).items():
        post.setlist(key, value if isinstance(value, list) else [value])
    parsed = scheme_form.parse(scheme_form.rows_from_post(post))
    assert parsed.errors == {}
    assert check_scheme(parsed.definition) == []
    again = scheme_form.parse(scheme_form.rows_of(parsed.definition))
    assert again.definition == parsed.definition
    items = {i["code"]: i for i in parsed.definition["items"]}
    assert items["first_time_fix"]["bands"][0] == ["90", "100"]
    assert items["attitude"] == {
        "code": "attitude",
        "name": "服务态度 Service attitude",
        "weight": "15",
        "manual": True,
        "max": "100",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["items"][0].update(weight="abc"), "item-0-weight"),
        (lambda r: r["items"][0].update(bands="90-100"), "item-0-bands"),
        (lambda r: r["items"][1].update(code=r["items"][0]["code"]), "item-1-code"),
        (lambda r: r["items"][0].update(weight="30"), "items"),  # 105, not 100
        (lambda r: r["rules"][0].update(per="0"), "rule-0-per"),
        (lambda r: r["rules"][0].update(cap="20"), "rule-0-cap"),  # -2 per unit, cap +20
        (lambda r: r["grades"][-3].update(threshold="10"), "grades"),  # no grade from 0
        (lambda r: r.update(subject="x"), "subject"),
    ],
)
def test_scheme_rows_are_checked_line_by_line(change: Any, field: str) -> None:
    rows = scheme_form.rows_of(DEFAULT_SCHEME)
    change(rows)
    assert field in scheme_form.parse(rows).errors


def test_scheme_editor_page(login: Any, people: dict[str, Any]) -> None:
    head = login(people["department_head"])
    page = head.get("/kpi/assessments/schemes/new/")
    assert page.status_code == 200 and 'data-testid="item-row"' in page.content.decode()
    rows = scheme_form.rows_of(DEFAULT_SCHEME)
    form = _post(rows)
    form["name"] = "网点月度考核"
    form["period_kind"] = "month"
    assert head.post("/kpi/assessments/schemes/new/", form).status_code == 302
    scheme = AssessmentScheme.objects.get()
    assert check_scheme(scheme.definition) == []
    rows["items"][0]["weight"] = "abc"
    bad = _post(rows)
    bad["name"] = "改"
    got = head.post(f"/kpi/assessments/schemes/{scheme.pk}/", bad)
    assert got.status_code == 422
    assert "is-invalid" in got.content.decode() and 'value="abc"' in got.content.decode()
    assert AssessmentScheme.objects.get().name == "网点月度考核"
    assert login(people["station_manager"]).get("/kpi/assessments/schemes/new/").status_code == 403


def test_assessment_run_moves_on_the_kernel(people: dict[str, Any], data: dict[str, Any]) -> None:
    head = people["department_head"]
    scheme = actions.assessment_scheme_save(
        actor=head, name="月度", period_kind="month", definition=DEFAULT_SCHEME
    )
    end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    run = actions.assessment_run_create(
        actor=head, scheme=scheme, period_from=end.replace(day=1), period_to=end
    )
    with pytest.raises(ApplicationError) as err:
        actions.assessment_run_move(actor=head, run=run, verb="approve")
    assert err.value.code == "illegal_transition"
    with pytest.raises(ApplicationError) as err:
        actions.assessment_run_move(actor=head, run=run, verb="publish")
    assert err.value.code == "unknown_action"
    run = actions.assessment_run_move(actor=head, run=run, verb="review")
    with pytest.raises(ApplicationError) as err:
        actions.assessment_run_move(actor=head, run=run, verb="send_back", reason=" ")
    assert err.value.code == "reason_required"
    run = actions.assessment_run_move(actor=head, run=run, verb="send_back", reason="漏了一项")
    assert run.status == AssessmentRun.Status.DRAFT and run.version == 3
    moves = list(
        AssessmentEvent.objects.filter(run=run).values_list(
            "action", "from_status", "to_status", "reason"
        )
    )
    assert moves == [
        ("create", "", "draft", ""),
        ("review", "draft", "reviewed", ""),
        ("send_back", "reviewed", "draft", "漏了一项"),
    ]
