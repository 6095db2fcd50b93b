from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aftersales.accounts.choices import Role


@pytest.fixture
def importer(data: dict[str, Any], make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture
def tech(data: dict[str, Any], make_user: Callable[..., Any]) -> Any:
    return make_user(Role.TECHNICIAN, station=data["s1"])
