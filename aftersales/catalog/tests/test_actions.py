"""Catalog actions: categories, product models, main components, parts and fault codes — field
rules, codes unique within their scope, roles, company isolation, audit rows, no-op saves and
deletes refused while in use (fault codes' repair level: test_fault_codes.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from aftersales.accounts.choices import Role
from aftersales.catalog import actions
from aftersales.catalog.models import FaultCode, MainComponent, Part, ProductCategory, ProductModel
from aftersales.core.errors import Conflict, NotFound, PermissionDenied
from aftersales.core.models import AuditEntry
from aftersales.core.validation import Errors, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture
def other_admin(make_user: Callable[..., Any], org_tree: dict[str, Any]) -> Any:
    return make_user(Role.ADMIN, company=org_tree["other"])


def audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def refused_fields(call: Callable[[], Any]) -> set[str]:
    """The fields a refused write names (422 `invalid`)."""
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert (refused.value.code, refused.value.status) == ("invalid", 422)
    return set(refused.value.errors)


# --- categories ------------------------------------------------------------------------------


def test_a_category_is_created_in_the_actors_company_trimmed_and_audited(admin, org_tree):
    cat = actions.category_save(actor=admin, code=" tv ", name=" 电视 ")
    cat.refresh_from_db()
    assert (cat.company, cat.code, cat.name) == (org_tree["company"], "tv", "电视")
    (entry,) = audit("productcategory.create")
    assert (entry.actor, entry.object_id) == (admin, str(cat.pk))
    assert entry.changes == {"code": [None, "tv"], "name": [None, "电视"]}


def test_a_category_update_records_only_what_changed(admin, catalog):
    cat = catalog["category"]
    actions.category_save(actor=admin, category=cat, code="ac", name="家用空调")
    cat.refresh_from_db()
    assert cat.name == "家用空调"
    (entry,) = audit("productcategory.update")
    assert entry.changes == {"name": ["空调", "家用空调"]}


def test_saving_a_category_unchanged_writes_nothing(admin, catalog):
    cat = catalog["category"]
    again = actions.category_save(actor=admin, category=cat, code="ac", name="空调")
    assert again.pk == cat.pk
    assert audit("productcategory.update") == []


@pytest.mark.parametrize(
    ("code", "name", "field"),
    [
        ("", "电视", "code"),
        ("  ", "电视", "code"),
        ("t v", "电视", "code"),
        ("x" * 33, "电视", "code"),
        ("tv", "", "name"),
        ("tv", "x" * 101, "name"),
        ("tv", "电\x07视", "name"),
    ],
)
def test_a_bad_category_is_refused_by_field(admin, code, name, field):
    assert refused_fields(lambda: actions.category_save(actor=admin, code=code, name=name)) == {
        field
    }
    assert not ProductCategory.objects.filter(name__in=[name, "电视"]).exists()
    assert audit("productcategory.create") == []


def test_every_bad_category_field_is_reported_at_once(admin):
    assert refused_fields(lambda: actions.category_save(actor=admin, code="", name="")) == {
        "code",
        "name",
    }


def test_longest_category_code_and_name_are_taken(admin):
    cat = actions.category_save(actor=admin, code="x" * 32, name="名" * 100)
    assert (len(cat.code), len(cat.name)) == (32, 100)


def test_a_category_code_is_unique_within_the_company(admin, catalog):
    with pytest.raises(Conflict) as refused:
        actions.category_save(actor=admin, code="ac", name="另一个空调")
    assert (refused.value.code, refused.value.status) == ("duplicate_code", 409)
    assert ProductCategory.objects.filter(company=catalog["category"].company).count() == 1
    assert audit("productcategory.create") == []


def test_renaming_a_category_onto_a_taken_code_is_a_conflict(admin, catalog):
    tv = actions.category_save(actor=admin, code="tv", name="电视")
    with pytest.raises(Conflict):
        actions.category_save(actor=admin, category=tv, code="ac", name="电视")
    tv.refresh_from_db()
    assert tv.code == "tv"
    assert audit("productcategory.update") == []


def test_another_company_may_use_the_same_category_code(admin, other_admin, org_tree):
    mine = actions.category_save(actor=admin, code="tv", name="电视")
    theirs = actions.category_save(actor=other_admin, code="tv", name="别家电视")
    assert (mine.company, theirs.company) == (org_tree["company"], org_tree["other"])


# --- product models --------------------------------------------------------------------------


def test_a_product_model_is_created_under_a_category_of_the_company(admin, catalog):
    pm = actions.product_model_save(
        actor=admin,
        category=catalog["category"].pk,  # an id does as well as the row
        code=" KFR-50LW ",
        name=" 柜式空调 ",
        brand="B" * 120,
        is_active=False,
    )
    pm.refresh_from_db()
    assert (pm.category, pm.code, pm.name, pm.is_active) == (
        catalog["category"],
        "KFR-50LW",
        "柜式空调",
        False,
    )
    assert pm.brand == "B" * 100
    (entry,) = audit("productmodel.create")
    assert entry.changes["category"] == [None, catalog["category"].pk]


def test_a_product_model_update_is_audited_with_old_and_new(admin, catalog):
    pm = catalog["model"]
    actions.product_model_save(
        actor=admin,
        product_model=pm,
        category=catalog["category"],
        code=pm.code,
        name=pm.name,
        is_active=False,
    )
    pm.refresh_from_db()
    assert pm.is_active is False
    (entry,) = audit("productmodel.update")
    assert entry.changes == {"is_active": [True, False]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": None}, "category"),
        ({"category": 999_999}, "category"),
        ({"code": ""}, "code"),
        ({"code": "KFR 35"}, "code"),
        ({"code": "K" * 65}, "code"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_a_bad_product_model_is_refused_by_field(admin, catalog, overrides, field):
    fields: dict[str, Any] = {"category": catalog["category"], "code": "NEW-1", "name": "新机"}
    fields.update(overrides)
    assert refused_fields(lambda: actions.product_model_save(actor=admin, **fields)) == {field}
    assert not ProductModel.objects.filter(name="新机").exists()


def test_a_product_model_cannot_go_under_another_companys_category(admin, catalog):
    other_category = catalog["other_model"].category
    assert refused_fields(
        lambda: actions.product_model_save(
            actor=admin, category=other_category, code="NEW-1", name="新机"
        )
    ) == {"category"}
    assert refused_fields(
        lambda: actions.product_model_save(
            actor=admin, category=other_category.pk, code="NEW-1", name="新机"
        )
    ) == {"category"}
    assert not ProductModel.objects.filter(code="NEW-1").exists()


def test_a_model_code_is_unique_within_its_category_only(admin, catalog):
    with pytest.raises(Conflict) as refused:
        actions.product_model_save(
            actor=admin, category=catalog["category"], code="KFR-35GW", name="重复"
        )
    assert refused.value.code == "duplicate_code"
    tv = actions.category_save(actor=admin, code="tv", name="电视")
    same_code = actions.product_model_save(actor=admin, category=tv, code="KFR-35GW", name="电视")
    assert same_code.category == tv


# --- main components -------------------------------------------------------------------------


def test_a_main_component_is_created_under_a_category_and_audited(admin, catalog):
    comp = actions.component_save(
        actor=admin, category=catalog["category"], code="compressor", name="压缩机"
    )
    comp.refresh_from_db()
    assert (comp.category, comp.code, comp.name) == (catalog["category"], "compressor", "压缩机")
    (entry,) = audit("maincomponent.create")
    assert entry.object_id == str(comp.pk)


def test_a_main_component_rename_is_audited(admin, catalog):
    comp = actions.component_save(
        actor=admin, category=catalog["category"], code="compressor", name="压缩机"
    )
    actions.component_save(
        actor=admin,
        component=comp,
        category=catalog["category"],
        code="compressor",
        name="主压缩机",
    )
    (entry,) = audit("maincomponent.update")
    assert entry.changes == {"name": ["压缩机", "主压缩机"]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": ""}, "category"),
        ({"code": ""}, "code"),
        ({"code": "c" * 33}, "code"),
        ({"name": ""}, "name"),
        ({"name": "压" * 101}, "name"),
    ],
)
def test_a_bad_main_component_is_refused_by_field(admin, catalog, overrides, field):
    fields: dict[str, Any] = {"category": catalog["category"], "code": "fan", "name": "风机"}
    fields.update(overrides)
    assert refused_fields(lambda: actions.component_save(actor=admin, **fields)) == {field}
    assert not MainComponent.objects.exists()


def test_a_main_component_cannot_go_under_another_companys_category(admin, catalog):
    other_category = catalog["other_model"].category
    assert refused_fields(
        lambda: actions.component_save(actor=admin, category=other_category, code="fan", name="x")
    ) == {"category"}
    assert not MainComponent.objects.exists()


def test_a_component_code_is_unique_within_its_category(admin, catalog):
    actions.component_save(actor=admin, category=catalog["category"], code="fan", name="风机")
    with pytest.raises(Conflict) as refused:
        actions.component_save(actor=admin, category=catalog["category"], code="fan", name="风扇")
    assert refused.value.code == "duplicate_code"
    assert MainComponent.objects.count() == 1


# --- parts -----------------------------------------------------------------------------------


def test_a_part_is_created_with_defaults_in_the_actors_company(admin, org_tree):
    part = actions.part_save(actor=admin, code="P-1", name="电容")
    part.refresh_from_db()
    assert (part.company, part.category, part.unit_of_measure) == (org_tree["company"], None, "个")
    assert (part.price, part.is_serialised, part.is_active) == (Decimal("0.00"), False, True)
    (entry,) = audit("part.create")
    assert entry.changes["price"] == [None, "0.00"]
    assert entry.changes["code"] == [None, "P-1"]


def test_a_part_keeps_every_field_given(admin, catalog):
    part = actions.part_save(
        actor=admin,
        code="P-2",
        name="压缩机",
        category=catalog["category"].pk,
        unit_of_measure="台",
        price="1299.5",
        is_serialised=True,
        is_active=False,
    )
    part.refresh_from_db()
    assert (part.category, part.unit_of_measure, part.price) == (
        catalog["category"],
        "台",
        Decimal("1299.50"),
    )
    assert (part.is_serialised, part.is_active) == (True, False)


def test_a_part_update_changes_only_the_fields_given(admin, catalog):
    part = actions.part_save(
        actor=admin, code="P-3", name="电容", category=catalog["category"], price="10"
    )
    actions.part_save(actor=admin, part=part, price="12.80")
    part.refresh_from_db()
    assert (part.code, part.name, part.category, part.price) == (
        "P-3",
        "电容",
        catalog["category"],
        Decimal("12.80"),
    )
    (entry,) = audit("part.update")
    assert entry.changes == {"price": ["10.00", "12.80"]}


def test_saving_a_part_unchanged_writes_nothing(admin):
    part = actions.part_save(actor=admin, code="P-4", name="电容", price="10")
    actions.part_save(actor=admin, part=part, price="10.00")
    assert audit("part.update") == []


def test_a_long_unit_of_measure_is_cut_to_sixteen_characters(admin):
    part = actions.part_save(actor=admin, code="P-5", name="铜管", unit_of_measure="米" * 20)
    assert part.unit_of_measure == "米" * 16


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "P 1"}, "code"),
        ({"code": "P" * 65}, "code"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"category": 999_999}, "category"),
        ({"price": "-0.01"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1.005"}, "price"),
    ],
)
def test_a_bad_part_is_refused_by_field(admin, overrides, field):
    fields: dict[str, Any] = {"code": "P-9", "name": "电容", "price": "5"}
    fields.update(overrides)
    assert refused_fields(lambda: actions.part_save(actor=admin, **fields)) == {field}
    assert not Part.objects.exists()
    assert audit("part.create") == []


def test_a_part_cannot_use_another_companys_category(admin, catalog):
    other_category = catalog["other_model"].category
    assert refused_fields(
        lambda: actions.part_save(actor=admin, code="P-1", name="电容", category=other_category)
    ) == {"category"}
    assert not Part.objects.exists()


def test_a_part_code_is_unique_within_the_company(admin, other_admin, org_tree):
    actions.part_save(actor=admin, code="P-1", name="电容")
    with pytest.raises(Conflict) as refused:
        actions.part_save(actor=admin, code="P-1", name="另一个电容")
    assert (refused.value.code, refused.value.status) == ("duplicate_code", 409)
    theirs = actions.part_save(actor=other_admin, code="P-1", name="别家电容")
    assert theirs.company == org_tree["other"]
    assert Part.objects.filter(code="P-1").count() == 2


# --- prices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "price"),
    [
        (None, Decimal("0.00")),
        ("", Decimal("0.00")),
        ("0", Decimal("0.00")),
        (12, Decimal("12.00")),
        (12.5, Decimal("12.50")),
        (" 8.8 ", Decimal("8.80")),
        ("1e2", Decimal("100.00")),
        (Decimal("9999999999.99"), Decimal("9999999999.99")),
    ],
)
def test_a_price_is_read_to_the_fen(value, price):
    errors = Errors()
    assert actions.clean_price(errors, value) == price
    assert not errors


@pytest.mark.parametrize(
    "value",
    ["-1", "abc", "1,000", "NaN", "sNaN", "Infinity", "-Infinity", "1e10", "12.345", True],
)
def test_a_bad_price_is_an_error_on_the_price_field(value):
    errors = Errors()
    actions.clean_price(errors, value)
    assert set(errors.fields) == {"price"}


# --- fault codes -----------------------------------------------------------------------------


def test_a_fault_code_is_created_under_a_category_and_audited(admin, catalog):
    code = actions.fault_code_save(
        actor=admin,
        category=catalog["category"],
        code="E1",
        symptom=" 漏电 ",
        description="外壳带电",
        is_urgent=True,
        is_performance_fault=False,
    )
    code.refresh_from_db()
    assert (code.category, code.code, code.symptom, code.description) == (
        catalog["category"],
        "E1",
        "漏电",
        "外壳带电",
    )
    assert (code.is_urgent, code.is_performance_fault) == (True, False)
    (entry,) = audit("faultcode.create")
    assert entry.changes["is_urgent"] == [None, True]


def test_a_fault_code_update_is_audited_with_old_and_new(admin, catalog):
    code = actions.fault_code_save(
        actor=admin, category=catalog["category"], code="E1", symptom="漏电"
    )
    actions.fault_code_save(
        actor=admin,
        fault_code=code,
        category=catalog["category"],
        code="E1",
        symptom="漏电",
        is_urgent=True,
    )
    (entry,) = audit("faultcode.update")
    assert entry.changes == {"is_urgent": [False, True]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": None}, "category"),
        ({"code": ""}, "code"),
        ({"code": "E 1"}, "code"),
        ({"code": "E" * 33}, "code"),
        ({"symptom": ""}, "symptom"),
        ({"symptom": "x" * 201}, "symptom"),
    ],
)
def test_a_bad_fault_code_is_refused_by_field(admin, catalog, overrides, field):
    fields: dict[str, Any] = {"category": catalog["category"], "code": "E1", "symptom": "漏电"}
    fields.update(overrides)
    assert refused_fields(lambda: actions.fault_code_save(actor=admin, **fields)) == {field}
    assert not FaultCode.objects.exists()


def test_a_fault_code_cannot_go_under_another_companys_category(admin, catalog):
    other_category = catalog["other_model"].category
    assert refused_fields(
        lambda: actions.fault_code_save(
            actor=admin, category=other_category, code="E1", symptom="漏电"
        )
    ) == {"category"}
    assert not FaultCode.objects.exists()


def test_a_fault_code_is_unique_within_its_category(admin, catalog):
    actions.fault_code_save(actor=admin, category=catalog["category"], code="E1", symptom="漏电")
    with pytest.raises(Conflict) as refused:
        actions.fault_code_save(actor=admin, category=catalog["category"], code="E1", symptom="x")
    assert refused.value.code == "duplicate_code"
    assert FaultCode.objects.count() == 1


# --- deleting --------------------------------------------------------------------------------


def test_an_unused_row_is_deleted_with_its_values_in_the_audit_trail(admin, catalog):
    part = actions.part_save(actor=admin, code="P-1", name="电容", price="3")
    pk = part.pk

    actions.catalog_delete(actor=admin, obj=part)

    assert not Part.objects.filter(pk=pk).exists()
    (entry,) = audit("part.delete")
    assert (entry.actor, entry.object_type, entry.object_id) == (admin, "catalog.part", str(pk))
    assert entry.changes["code"] == ["P-1", None]
    assert entry.changes["price"] == ["3.00", None]


@pytest.mark.parametrize("kind", ["category", "model", "component", "fault_code"])
def test_each_kind_of_catalog_row_can_be_deleted(admin, kind):
    cat = actions.category_save(actor=admin, code="tv", name="电视")
    rows = {
        "category": lambda: cat,
        "model": lambda: actions.product_model_save(
            actor=admin, category=cat, code="TV-1", name="电视机"
        ),
        "component": lambda: actions.component_save(
            actor=admin, category=cat, code="panel", name="屏幕"
        ),
        "fault_code": lambda: actions.fault_code_save(
            actor=admin, category=cat, code="T1", symptom="无图像"
        ),
    }
    obj = rows[kind]()
    model = type(obj)

    actions.catalog_delete(actor=admin, obj=obj)

    assert not model.objects.filter(pk=obj.pk).exists()
    assert len(audit(f"{model._meta.model_name}.delete")) == 1


def test_a_row_still_in_use_is_not_deleted(admin, catalog):
    cat = catalog["category"]  # its product model still points at it
    with pytest.raises(Conflict) as refused:
        actions.catalog_delete(actor=admin, obj=cat)
    assert (refused.value.code, refused.value.status) == ("in_use", 409)
    assert ProductCategory.objects.filter(pk=cat.pk).exists()
    assert audit("productcategory.delete") == []


def test_a_category_used_by_a_part_is_not_deleted(admin):
    cat = actions.category_save(actor=admin, code="tv", name="电视")
    actions.part_save(actor=admin, code="P-1", name="屏幕", category=cat)
    with pytest.raises(Conflict):
        actions.catalog_delete(actor=admin, obj=cat)
    assert ProductCategory.objects.filter(pk=cat.pk).exists()


# --- roles -----------------------------------------------------------------------------------

REFUSED_ROLES = [Role.AGENT, Role.DISPATCHER, Role.TECHNICIAN, Role.STATION_MANAGER, Role.FINANCE]
ALLOWED_ROLES = [Role.ADMIN, Role.SERVICE_MANAGER, Role.DEPARTMENT_HEAD]


def writes(catalog: dict[str, Any]) -> dict[str, Callable[[Any], Any]]:
    cat = catalog["category"]
    return {
        "category": lambda actor: actions.category_save(actor=actor, code="tv", name="电视"),
        "model": lambda actor: actions.product_model_save(
            actor=actor, category=cat, code="NEW-1", name="新机"
        ),
        "component": lambda actor: actions.component_save(
            actor=actor, category=cat, code="fan", name="风机"
        ),
        "part": lambda actor: actions.part_save(actor=actor, code="P-1", name="电容"),
        "fault_code": lambda actor: actions.fault_code_save(
            actor=actor, category=cat, code="E1", symptom="漏电"
        ),
        "delete": lambda actor: actions.catalog_delete(actor=actor, obj=catalog["model"]),
    }


@pytest.mark.parametrize(
    "write", ["category", "model", "component", "part", "fault_code", "delete"]
)
@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_roles_without_catalog_rights_change_nothing(make_user, catalog, role, write):
    with pytest.raises(PermissionDenied) as refused:
        writes(catalog)[write](make_user(role))
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    assert ProductModel.objects.filter(pk=catalog["model"].pk).exists()
    assert not ProductCategory.objects.filter(code="tv").exists()
    assert not ProductModel.objects.filter(code="NEW-1").exists()
    assert not (MainComponent.objects.exists() or Part.objects.exists())
    assert not FaultCode.objects.exists()
    assert not AuditEntry.objects.filter(object_type__startswith="catalog.").exists()


@pytest.mark.parametrize("role", ALLOWED_ROLES)
def test_admins_service_managers_and_department_heads_edit_the_catalog(make_user, catalog, role):
    person = make_user(role)
    for write in writes(catalog).values():
        write(person)
    assert ProductCategory.objects.filter(code="tv").exists()
    assert not ProductModel.objects.filter(pk=catalog["model"].pk).exists()
    assert MainComponent.objects.count() == Part.objects.count() == FaultCode.objects.count() == 1


# --- company isolation of the row being changed ----------------------------------------------
# The pages and endpoints find the row through the company's selector first (a row of another
# company is 404 there); the actions refuse one handed to them all the same.


def test_another_companys_row_cannot_be_deleted(admin, catalog):
    other_model = catalog["other_model"]
    with pytest.raises((NotFound, PermissionDenied)):
        actions.catalog_delete(actor=admin, obj=other_model)
    assert ProductModel.objects.filter(pk=other_model.pk).exists()


def test_another_companys_category_cannot_be_edited(admin, catalog):
    other_category = catalog["other_model"].category
    with pytest.raises((NotFound, PermissionDenied)):
        actions.category_save(actor=admin, category=other_category, code="ac", name="改了")
    other_category.refresh_from_db()
    assert other_category.name == "空调"


def test_another_companys_part_cannot_be_edited(admin, other_admin):
    theirs = actions.part_save(actor=other_admin, code="P-1", name="别家电容", price="5")
    with pytest.raises((NotFound, PermissionDenied)):
        actions.part_save(actor=admin, part=theirs, price="0")
    theirs.refresh_from_db()
    assert theirs.price == Decimal("5.00")
