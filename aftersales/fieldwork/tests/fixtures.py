"""Field-work fixtures: a drawn signature, and an order with its technician on site."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageDraw

from aftersales.fieldwork import actions


def drawn_signature(blank: bool = False) -> str:
    """A PNG data URL like the page's signature pad sends (transparent, dark strokes)."""
    img = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(img).line([(20, 90), (80, 20), (150, 100), (280, 30)], fill="black", width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def finish_simply(order: Any, tech: Any, result: str = "fixed", **kw: Any) -> Any:
    """Condition check, diagnosis and a signed result: the least a finished visit records."""
    actions.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
    )
    actions.record_diagnosis(
        actor=tech, order=order, diagnosis="电容老化", cause="product_fault", work_done="更换电容"
    )
    return actions.visit_finish(
        actor=tech, order=order, result=result, signature=drawn_signature(), **kw
    )


@pytest.fixture
def signature() -> str:
    return drawn_signature()


@pytest.fixture
def on_site(new_order: Callable[..., Any], walk: Callable[..., Any], people: dict[str, Any]):
    """An order (customer c1, station s1) with technician `tech` checked in."""

    def make(**kw: Any) -> Any:
        order = walk(new_order(**kw), "accept")
        actions.visit_depart(actor=people["tech"], order=order, eta_minutes=20)
        return actions.visit_arrive(
            actor=people["tech"], order=order, latitude=31.2304, longitude=121.4737
        )

    return make
