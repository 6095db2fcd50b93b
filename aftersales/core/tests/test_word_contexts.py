"""One English word, two meanings: the pages say each in the words a Chinese service
department uses (message contexts in the main catalogue)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import pgettext

from aftersales.billing.choices import ClaimStatus
from aftersales.parts.choices import RequestStatus


@pytest.mark.parametrize(
    ("context", "word", "zh"),
    [
        ("installed unit", "Unit", "设备"),
        ("unit of measure", "Unit", "单位"),
        ("assessment", "Line", "考核项目"),
        ("history", "Line", "行号"),
        ("warranty decision", "Outcome", "处理方式"),
        ("history", "Outcome", "结果"),
        ("parts request", "Submitted", "待审批"),
        ("claim", "Submitted", "已提交"),
    ],
)
def test_each_meaning_has_its_own_word(context, word, zh):
    with translation.override("zh-hans"):
        assert pgettext(context, word) == zh
    with translation.override("en"):
        assert pgettext(context, word) == word


def test_statuses_say_what_they_mean():
    with translation.override("zh-hans"):
        assert str(RequestStatus.SUBMITTED.label) == "待审批"  # waits for the approver
        assert str(ClaimStatus.SUBMITTED.label) == "已提交"  # sent to the manufacturer


@pytest.mark.django_db
def test_the_parts_catalogue_says_unit_of_measure(login, make_user, catalog):
    from aftersales.accounts.choices import Role

    page = login(make_user(Role.ADMIN)).get("/catalog/parts/").content.decode()
    assert "<th>单位</th>" in page and "<th>设备</th>" not in page
