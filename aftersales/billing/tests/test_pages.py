"""The settlement pages through the client: the month's flow, scope, exports, labels."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from aftersales.billing.models import Statement
from aftersales.billing.tests.conftest import NOV

pytestmark = pytest.mark.django_db


def test_the_month_through_the_pages(
    month: dict[str, Any], completed: Any, people: dict[str, Any], login: Any
) -> None:
    order = completed(dt.datetime(2026, 11, 10, 10, 0))
    finance, sm, mgr = (
        login(people["finance"]),
        login(people["station_manager"]),
        login(people["service_manager"]),
    )
    r = finance.post("/settlement/", {"period": "2026-11"})
    assert r.status_code == 302
    st = Statement.objects.get(station=month["station"], period=NOV)
    page = finance.get("/settlement/?period=2026-11").content.decode()
    assert st.number in page
    finance.post(f"/settlement/{st.pk}/act/send/")
    page = sm.get(f"/settlement/{st.pk}/").content.decode()
    assert 'data-testid="dispute-form"' in page and "(22 − 10) km × 1.50 = 18.00" in page
    travel = st.lines.get(fee_kind="travel")
    r = sm.post(
        f"/settlement/{st.pk}/act/dispute/",
        {"line": [travel.pk], f"reason-{travel.pk}": "实际30公里", f"claimed-{travel.pk}": "30"},
    )
    st.refresh_from_db()
    assert st.status == "disputed"
    page = mgr.get(f"/settlement/{st.pk}/").content.decode()
    assert 'data-testid="answer-' in page
    mgr.post(
        f"/settlement/{st.pk}/act/answer/",
        {"line": travel.pk, "answer": "rejected", "reason": "按导航里程"},
    )
    finance.post(f"/settlement/{st.pk}/act/approve/")
    finance.post(f"/settlement/{st.pk}/act/pay/", {"reference": "B-9"})
    st.refresh_from_db()
    assert st.status == "paid" and str(st.total) == "98.00"
    pdf = finance.get(f"/settlement/{st.pk}/statement.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert st.number in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    vouchers = finance.get("/settlement/vouchers.xlsx?period=" + dt.date.today().strftime("%Y-%m"))
    rows = list(load_workbook(io.BytesIO(vouchers.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3  # header, debit, credit
    account = sm.get(f"/settlement/stations/{month['station'].pk}/account/").content.decode()
    assert "98.00" in account
    preview = finance.get(f"/settlement/fee-rules/?order={order.number}").content.decode()
    assert 'data-testid="preview"' in preview and "空调工时费" in preview


def test_other_stations_and_roles_are_refused(
    month: dict[str, Any],
    completed: Any,
    people: dict[str, Any],
    login: Any,
    make_user: Any,
    data: dict[str, Any],
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    login(people["finance"]).post("/settlement/", {"period": "2026-11"})
    st = Statement.objects.get(station=month["station"])
    other = login(make_user("station_manager", station=data["s2"]))
    assert other.get(f"/settlement/{st.pk}/").status_code == 404
    assert other.get(f"/settlement/{st.pk}/statement.pdf").status_code == 404
    assert login(people["agent"]).get("/settlement/").status_code == 403
    assert login(people["station_manager"]).get("/settlement/vouchers.xlsx").status_code == 403


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_pages_render_in_both_languages(
    month: dict[str, Any], completed: Any, people: dict[str, Any], login: Any, lang: str
) -> None:
    completed(dt.datetime(2026, 11, 10, 10, 0))
    client = login(people["finance"])
    client.post("/settlement/", {"period": "2026-11"})
    st = Statement.objects.get(station=month["station"])
    for path in (
        "/settlement/?period=2026-11",
        f"/settlement/{st.pk}/",
        "/settlement/fee-rules/",
        f"/settlement/stations/{month['station'].pk}/account/",
        "/billing/outstanding/",
        f"/billing/customers/{st.lines.first().order.customer_id}/",
    ):
        r = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 200, path
        text = r.content.decode()
        assert ">generated<" not in text and ">labour<" not in text
        if lang == "zh-hans":
            assert "结算" in text or "客户" in text, path
