"""Every write to the catalog: categories, models, main components, parts, fault codes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.catalog.models import FaultCode, MainComponent, Part, ProductCategory, ProductModel
from aftersales.core.audit import audit_record, changed, snapshot
from aftersales.core.deletion import delete_with_audit
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.validation import Errors
from aftersales.customers.validation import clean_name


def _clean_code(errors: Errors, value: Any, *, max_length: int = 32) -> str:
    code = str(value or "").strip()
    if not code:
        errors.add("code", _("This field is required."))
    elif len(code) > max_length or any(ch.isspace() for ch in code):
        errors.add(
            "code", _("A code has no spaces and at most %(n)d characters.") % {"n": max_length}
        )
    return code


def clean_price(errors: Errors, value: Any) -> Decimal:
    try:
        price = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        errors.add("price", _("Not a valid amount."))
        return Decimal("0.00")
    if not price.is_finite() or price < 0 or price >= Decimal("1e10"):
        errors.add("price", _("Not a valid amount."))
        return Decimal("0.00")
    if price != price.quantize(Decimal("0.01")):
        errors.add("price", _("At most two decimal places."))
    return price.quantize(Decimal("0.01"))


def _category(errors: Errors, actor: User, value: Any, *, required: bool = True) -> Any:
    if value in (None, ""):
        if required:
            errors.add("category", _("This field is required."))
        return None
    pk = value.pk if isinstance(value, ProductCategory) else value
    found = ProductCategory.objects.filter(company_id=company_of(actor), pk=pk).first()
    if found is None:
        errors.add("category", _("Unknown product category."))
    return found


def _own(actor: User, obj: models.Model | None) -> None:
    """A row being changed is of the actor's company (read from the database, not the
    instance); another company's is Not found, as it is on the pages."""
    if obj is None:
        return
    owner = "company" if isinstance(obj, ProductCategory | Part) else "category__company"
    found = type(obj)._default_manager.filter(pk=obj.pk, **{f"{owner}_id": company_of(actor)})
    if obj.pk is None or not found.exists():
        raise NotFound("not_found", _("Not found."))


def _persist(
    *, actor: User, obj: models.Model, fields: tuple[str, ...], before: dict[str, Any] | None
) -> Any:
    """Save a new or changed catalog row, turning a unique clash into a 409, and audit it."""
    label = obj._meta.model_name
    after = snapshot(obj, fields)
    diff = (
        changed(before or {}, after)
        if before is not None
        else {k: [None, v] for k, v in after.items()}
    )
    if before is not None and not diff:
        return obj
    try:
        with transaction.atomic():
            if before is None:
                obj.save()
            else:
                obj.save(update_fields=list(diff.keys()))
    except IntegrityError as exc:
        raise Conflict("duplicate_code", _("This code is already in use.")) from exc
    audit_record(
        actor=actor,
        action=f"{label}.{'create' if before is None else 'update'}",
        obj=obj,
        changes=diff,
    )
    return obj


@transaction.atomic
def category_save(
    *, actor: User, code: str, name: str, category: ProductCategory | None = None
) -> ProductCategory:
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, category)
    errors = Errors()
    clean_code = _clean_code(errors, code)
    clean_nm = clean_name(errors, "name", name, max_length=100)
    errors.raise_if_any()
    fields = ("code", "name")
    before = snapshot(category, fields) if category else None
    obj = category or ProductCategory(company_id=company_of(actor))
    obj.code, obj.name = clean_code, clean_nm
    return _persist(actor=actor, obj=obj, fields=fields, before=before)


@transaction.atomic
def product_model_save(
    *,
    actor: User,
    category: ProductCategory | int,
    code: str,
    name: str,
    brand: str = "",
    is_active: bool = True,
    product_model: ProductModel | None = None,
) -> ProductModel:
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, product_model)
    errors = Errors()
    cat = _category(errors, actor, category)
    clean_code = _clean_code(errors, code, max_length=64)
    clean_nm = clean_name(errors, "name", name)
    errors.raise_if_any()
    fields = ("category", "code", "name", "brand", "is_active")
    before = snapshot(product_model, fields) if product_model else None
    obj = product_model or ProductModel()
    obj.category, obj.code, obj.name = cat, clean_code, clean_nm
    obj.brand, obj.is_active = (brand or "")[:100], bool(is_active)
    return _persist(actor=actor, obj=obj, fields=fields, before=before)


@transaction.atomic
def component_save(
    *,
    actor: User,
    category: ProductCategory | int,
    code: str,
    name: str,
    component: MainComponent | None = None,
) -> MainComponent:
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, component)
    errors = Errors()
    cat = _category(errors, actor, category)
    clean_code = _clean_code(errors, code)
    clean_nm = clean_name(errors, "name", name, max_length=100)
    errors.raise_if_any()
    fields = ("category", "code", "name")
    before = snapshot(component, fields) if component else None
    obj = component or MainComponent()
    obj.category, obj.code, obj.name = cat, clean_code, clean_nm
    return _persist(actor=actor, obj=obj, fields=fields, before=before)


PART_FIELDS = (
    "code",
    "name",
    "category",
    "unit_of_measure",
    "price",
    "is_serialised",
    "is_active",
)


def clean_part(errors: Errors, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": _clean_code(errors, data.get("code"), max_length=64),
        "name": clean_name(errors, "name", data.get("name")),
        "category": _category(errors, actor, data.get("category"), required=False),
        "unit_of_measure": str(data.get("unit_of_measure") or "个")[:16],
        "price": clean_price(errors, data.get("price")),
        "is_serialised": bool(data.get("is_serialised", False)),
        "is_active": bool(data.get("is_active", True)),
    }


@transaction.atomic
def part_save(*, actor: User, part: Part | None = None, **data: Any) -> Part:
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, part)
    errors = Errors()
    if part is not None:
        data = {**snapshot_part(part), **data}
    values = clean_part(errors, actor, data)
    errors.raise_if_any()
    before = snapshot(part, PART_FIELDS) if part else None
    obj = part or Part(company_id=company_of(actor))
    for key, value in values.items():
        setattr(obj, key, value)
    return _persist(actor=actor, obj=obj, fields=PART_FIELDS, before=before)


def snapshot_part(part: Part) -> dict[str, Any]:
    return {
        "code": part.code,
        "name": part.name,
        "category": part.category_id,
        "unit_of_measure": part.unit_of_measure,
        "price": part.price,
        "is_serialised": part.is_serialised,
        "is_active": part.is_active,
    }


@transaction.atomic
def fault_code_save(
    *,
    actor: User,
    category: ProductCategory | int,
    code: str,
    symptom: str,
    description: str = "",
    is_urgent: bool = False,
    is_performance_fault: bool = True,
    repair_level: str = "",
    fault_code: FaultCode | None = None,
) -> FaultCode:
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, fault_code)
    errors = Errors()
    cat = _category(errors, actor, category)
    clean_code = _clean_code(errors, code)
    clean_symptom = clean_name(errors, "symptom", symptom)
    errors.raise_if_any()
    fields = (
        "category",
        "code",
        "symptom",
        "description",
        "is_urgent",
        "is_performance_fault",
        "repair_level",
    )
    level = (repair_level or "").strip()
    if len(level) > 16:
        errors.add("repair_level", _("At most 16 characters."))
        errors.raise_if_any()
    before = snapshot(fault_code, fields) if fault_code else None
    obj = fault_code or FaultCode()
    obj.category, obj.code, obj.symptom = cat, clean_code, clean_symptom
    obj.description = description or ""
    obj.is_urgent, obj.is_performance_fault = bool(is_urgent), bool(is_performance_fault)
    obj.repair_level = level
    return _persist(actor=actor, obj=obj, fields=fields, before=before)


@transaction.atomic
def catalog_delete(*, actor: User, obj: models.Model) -> None:
    """Delete a category, model, component, part or fault code that nothing uses."""
    require(actor, Perm.CATALOG_EDIT)
    _own(actor, obj)
    fields = tuple(f.name for f in obj._meta.concrete_fields if f.name != "id")
    delete_with_audit(actor=actor, obj=obj, fields=fields)
