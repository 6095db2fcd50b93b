"""Knowledge fixtures (fault codes, a published article); people come from the orders fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aftersales.catalog.models import FaultCode
from aftersales.knowledge import actions


@pytest.fixture
def codes(data: dict[str, Any]) -> dict[str, FaultCode]:
    cat = data["category"]
    return {
        c: FaultCode.objects.create(category=cat, code=c, symptom=s)
        for c, s in [
            ("E1", "室内温度传感器故障"),
            ("E4", "排气温度过高"),
            ("E41", "外机通信故障"),
            ("F12", "电源板故障"),
        ]
    }


@pytest.fixture
def publish(people: dict[str, Any]) -> Callable[..., Any]:
    """Create and publish an article (written by the agent, published by the manager)."""

    def make(title: str, body: str = "正文", *, kind: str = "solution", **kw: Any) -> Any:
        art = actions.article_create(
            actor=kw.pop("author", people["agent"]),
            kind=kind,
            title=title,
            body=body or "见标题",
            **kw,
        )
        return actions.article_transition(
            actor=people["service_manager"], article=art, verb="publish"
        )

    return make
