"""The decision in sentences (`warranty/explain.py`)."""

from __future__ import annotations


def test_a_main_part_s_period_is_labelled_by_its_name_when_one_is_known():
    from django.utils import translation

    from aftersales.warranty.explain import explain

    detail = {
        "rule": "general.component_period",
        "period_ends": {"component:compressor": "2030-05-01"},
    }
    with translation.override("en"):
        named = explain("free_repair", detail, {"compressor": "压缩机"})
        unnamed = explain("free_repair", detail)
    assert named["periods"] == [("Main part 压缩机 until", "2030-05-01")]
    assert unnamed["periods"] == [("Main part compressor until", "2030-05-01")]
