"""The helpers every page view shares."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from aftersales.core.validation import ValidationFailed
from aftersales.web.shortcuts import posted_version


def _post(**data: str) -> object:
    return RequestFactory().post("/x/", data)


def test_posted_version_reads_the_number_or_none():
    assert posted_version(_post(version="7")) == 7
    assert posted_version(_post(version="")) is None
    assert posted_version(_post()) is None


@pytest.mark.parametrize("garbage", ["abc", "1.5", "7; drop"])
def test_a_posted_version_that_is_not_a_number_is_refused_not_a_500(garbage):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        posted_version(_post(version=garbage))
    assert refused.value.status == 422
    assert refused.value.errors == {"version": "该记录已被他人修改，请刷新后重试。"}
