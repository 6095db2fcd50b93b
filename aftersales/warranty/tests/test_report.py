"""The service report (page and PDF) explains the 三包 decision in the reader's language."""

from __future__ import annotations

import io

from pypdf import PdfReader


def test_the_report_page_and_pdf_explain_the_decision(login, people, new_order):
    order = new_order()  # the unit has neither voucher nor invoice: paid repair, the 1995 rule
    client = login(people["service_manager"])
    page = client.get(f"/orders/{order.pk}/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="report-warranty"' in html and "既无三包凭证也无有效发票" in html
    assert "void.no_documents" not in html
    pdf = client.get(f"/orders/{order.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "既无三包凭证也无有效发票" in text and "《部分商品修理更换退货责任规定》(1995)" in text
    assert "void." not in text
