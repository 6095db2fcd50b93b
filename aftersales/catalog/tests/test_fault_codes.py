"""Fault codes: the repair level settlement prices by."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.accounts.models import Role
from aftersales.catalog.actions import fault_code_save
from aftersales.core.validation import ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_fault_code_keeps_its_repair_level_trimmed(make_user: Any, catalog: Any) -> None:
    admin = make_user(Role.ADMIN)
    saved = fault_code_save(
        actor=admin, category=catalog["category"], code="E9", symptom="漏水", repair_level=" 2 "
    )
    saved.refresh_from_db()
    assert saved.repair_level == "2"
    again = fault_code_save(
        actor=admin, category=catalog["category"], code="E9", symptom="漏水", fault_code=saved
    )
    assert again.repair_level == ""


def test_a_repair_level_longer_than_sixteen_characters_is_refused(
    make_user: Any, catalog: Any
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        fault_code_save(
            actor=make_user(Role.ADMIN),
            category=catalog["category"],
            code="E9",
            symptom="漏水",
            repair_level="x" * 17,
        )
    assert set(refused.value.errors) == {"repair_level"}
