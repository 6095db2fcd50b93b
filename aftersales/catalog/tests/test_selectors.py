"""Catalog reads: every role sees its own company's catalog, nobody sees another company's, a
visitor sees nothing; the main components named for a unit's warranty decision."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.accounts.choices import Role
from aftersales.catalog import selectors as sel
from aftersales.catalog.models import FaultCode, MainComponent, Part

pytestmark = pytest.mark.django_db

SELECTORS = {
    "categories": sel.categories_visible_to,
    "models": sel.product_models_visible_to,
    "components": sel.components_visible_to,
    "parts": sel.parts_visible_to,
    "fault_codes": sel.fault_codes_visible_to,
}


@pytest.fixture
def both(catalog: dict[str, Any], org_tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One row of each kind in each company."""
    out: dict[str, dict[str, Any]] = {}
    for side, model in (("mine", catalog["model"]), ("theirs", catalog["other_model"])):
        cat = model.category
        out[side] = {
            "categories": cat,
            "models": model,
            "components": MainComponent.objects.create(category=cat, code="comp", name="压缩机"),
            "parts": Part.objects.create(company=cat.company, code="P-1", name="电容"),
            "fault_codes": FaultCode.objects.create(category=cat, code="E1", symptom="漏电"),
        }
    return out


@pytest.mark.parametrize("kind", sorted(SELECTORS))
@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.AGENT, Role.FINANCE, Role.ADMIN])
def test_every_role_sees_its_own_companys_catalog_only(make_user, both, kind, role):
    rows = list(SELECTORS[kind](make_user(role)))
    assert rows == [both["mine"][kind]]


@pytest.mark.parametrize("kind", sorted(SELECTORS))
def test_the_other_company_sees_its_own_rows(make_user, org_tree, both, kind):
    theirs = make_user(Role.ADMIN, company=org_tree["other"])
    assert list(SELECTORS[kind](theirs)) == [both["theirs"][kind]]


@pytest.mark.parametrize("kind", sorted(SELECTORS))
def test_a_visitor_or_a_user_of_no_company_sees_nothing(make_user, both, kind):
    assert list(SELECTORS[kind](AnonymousUser())) == []
    nobody = make_user(Role.ADMIN)
    nobody.company = None
    assert list(SELECTORS[kind](nobody)) == []


def test_the_main_components_of_a_units_category_by_code(data):
    MainComponent.objects.create(category=data["category"], code="comp", name="压缩机")
    MainComponent.objects.create(category=data["other_model"].category, code="x", name="别家")
    assert sel.component_names(data["u1"].pk) == {"comp": "压缩机"}


def test_no_unit_names_no_components():
    assert sel.component_names(None) == {}


def test_a_decision_without_a_component_period_needs_no_query(data):
    MainComponent.objects.create(category=data["category"], code="comp", name="压缩机")
    with CaptureQueriesContext(connection) as queries:
        assert sel.component_names(data["u1"].pk, {"period_ends": {"whole": "2026-01-01"}}) == {}
    assert len(queries) == 0
    detail = {"period_ends": {"component:comp": "2029-01-01"}}
    assert sel.component_names(data["u1"].pk, detail) == {"comp": "压缩机"}
