"""A complaint judged invalid does not count in the complaint KPI (the judgement is an event
the KPI job reads); judged valid again, it counts again. Through the action, the API and the
page."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.core import clock
from aftersales.core.errors import Conflict, PermissionDenied
from aftersales.core.validation import ValidationFailed
from aftersales.feedback import actions as feedback
from aftersales.feedback.models import ComplaintEvent
from aftersales.kpi import actions, selectors


def _complaint(people: dict[str, Any], data: dict[str, Any]) -> Any:
    return feedback.complaint_create(
        actor=people["agent"],
        customer=data["c1"],
        source="hotline",
        category="delay",
        severity="low",
        description="等了三天没人来",
    )


def _counted(data: dict[str, Any]) -> Any:
    actions.kpi_refresh(company_id=data["company"].pk)
    today = clock.today()
    row = selectors.figures(
        company_id=data["company"].pk, code="complaint_rate", period_from=today, period_to=today
    )[0]
    return row["numerator"]


def test_an_invalid_complaint_is_not_counted(people: dict[str, Any], data: dict[str, Any]) -> None:
    row = _complaint(people, data)
    assert _counted(data) == 1
    with pytest.raises(PermissionDenied):
        feedback.complaint_validity_set(
            actor=people["agent"], complaint=row, valid=False, reason="重复投诉"
        )
    with pytest.raises(ValidationFailed):
        feedback.complaint_validity_set(
            actor=people["service_manager"], complaint=row, valid=False, reason=" "
        )
    row = feedback.complaint_validity_set(
        actor=people["service_manager"], complaint=row, valid=False, reason="重复投诉"
    )
    assert row.valid is False
    assert _counted(data) == 0
    with pytest.raises(Conflict):
        feedback.complaint_validity_set(
            actor=people["service_manager"], complaint=row, valid=False, reason="again"
        )
    feedback.complaint_validity_set(
        actor=people["department_head"], complaint=row, valid=True, reason="复核后有效"
    )
    assert _counted(data) == 1
    got = list(ComplaintEvent.objects.filter(complaint=row).values_list("action", "reason"))
    assert got[-2:] == [("invalidate", "重复投诉"), ("validate", "复核后有效")]


def test_validity_through_the_api_and_the_page(
    api: Any, login: Any, people: dict[str, Any], data: dict[str, Any]
) -> None:
    row = _complaint(people, data)
    manager = api(people["service_manager"])
    assert manager.post(f"/complaints/{row.pk}/invalidate", {"text": ""}).status_code == 422
    assert (
        api(people["agent"]).post(f"/complaints/{row.pk}/invalidate", {"text": "x"}).status_code
        == 403
    )
    got = manager.post(f"/complaints/{row.pk}/invalidate", {"text": "非服务原因"})
    assert got.status_code == 200, got.content
    assert got.json()["valid"] is False
    assert _counted(data) == 0
    page = login(people["service_manager"])
    html = page.get(f"/complaints/{row.pk}/").content.decode()
    assert 'data-testid="complaint-invalid"' in html
    assert 'data-testid="act-validity"' in html
    page.post(f"/complaints/{row.pk}/act/validate/", {"text": "有效", "version": row.version + 1})
    row.refresh_from_db()
    assert row.valid is True
    assert (
        'data-testid="act-validity"'
        not in login(people["agent"]).get(f"/complaints/{row.pk}/").content.decode()
    )
