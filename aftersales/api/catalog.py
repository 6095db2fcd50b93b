"""/api/v1/catalog: product categories, models, main components, parts, fault codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS, ListParams
from aftersales.api.types import Id, PageParams, page_of
from aftersales.catalog import actions
from aftersales.catalog import selectors as sel
from aftersales.core.selectors import get_visible, keyset_page

router = Router(tags=["catalog"])


class CategoryIn(Schema):
    code: str
    name: str


class CategoryOut(CategoryIn):
    id: int


class ProductModelIn(Schema):
    category_id: int
    code: str
    name: str
    brand: str = ""
    is_active: bool = True


class ProductModelOut(ProductModelIn):
    id: int


class ComponentIn(Schema):
    category_id: int
    code: str
    name: str


class ComponentOut(ComponentIn):
    id: int


class PartIn(Schema):
    code: str
    name: str
    category_id: int | None = None
    unit_of_measure: str = "个"
    price: Decimal = Decimal("0.00")
    is_serialised: bool = False
    is_active: bool = True


class PartPatch(Schema):
    code: str | None = None
    name: str | None = None
    category_id: int | None = None
    unit_of_measure: str | None = None
    price: Decimal | None = None
    is_serialised: bool | None = None
    is_active: bool | None = None


class PartOut(Schema):
    id: int
    code: str
    name: str
    category_id: int | None
    unit_of_measure: str
    price: Decimal
    is_serialised: bool
    is_active: bool


class PartPage(Schema):
    items: list[PartOut]
    next_after: int | None


class FaultCodeIn(Schema):
    category_id: int
    code: str
    symptom: str
    description: str = ""
    is_urgent: bool = False
    is_performance_fault: bool = True
    repair_level: str = Field("", max_length=16)


class FaultCodeOut(FaultCodeIn):
    id: int


class CategoryPage(Schema):
    items: list[CategoryOut]
    next_after: int | None


class ProductModelPage(Schema):
    items: list[ProductModelOut]
    next_after: int | None


class ComponentPage(Schema):
    items: list[ComponentOut]
    next_after: int | None


class FaultCodePage(Schema):
    items: list[FaultCodeOut]
    next_after: int | None


def _ids_to_refs(data: dict[str, Any]) -> dict[str, Any]:
    return {(k[:-3] if k.endswith("_id") else k): v for k, v in data.items()}


# Categories ---------------------------------------------------------------------------------


@router.get("/categories", response={200: CategoryPage, **ERRORS})
def category_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    return page_of(sel.categories_visible_to(request.user), params)


@router.post("/categories", response={201: CategoryOut, **ERRORS})
def category_create(request: AuthedRequest, payload: CategoryIn) -> Any:
    return Status(201, actions.category_save(actor=request.user, **payload.dict()))


@router.get("/categories/{pk}", response={200: CategoryOut, **ERRORS})
def category_get(request: AuthedRequest, pk: int) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    return get_visible(sel.categories_visible_to(request.user), pk)


@router.put("/categories/{pk}", response={200: CategoryOut, **ERRORS})
def category_update(request: AuthedRequest, pk: int, payload: CategoryIn) -> Any:
    obj = get_visible(sel.categories_visible_to(request.user), pk)
    return actions.category_save(actor=request.user, category=obj, **payload.dict())


@router.delete("/categories/{pk}", response={204: None, **ERRORS})
def category_delete(request: AuthedRequest, pk: int) -> Any:
    obj = get_visible(sel.categories_visible_to(request.user), pk)
    actions.catalog_delete(actor=request.user, obj=obj)
    return Status(204, None)


# Product models -----------------------------------------------------------------------------


@router.get("/models", response={200: ProductModelPage, **ERRORS})
def model_list(
    request: AuthedRequest, params: Query[PageParams], category_id: Id | None = None
) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    qs = sel.product_models_visible_to(request.user)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return page_of(qs, params)


@router.post("/models", response={201: ProductModelOut, **ERRORS})
def model_create(request: AuthedRequest, payload: ProductModelIn) -> Any:
    return Status(
        201, actions.product_model_save(actor=request.user, **_ids_to_refs(payload.dict()))
    )


@router.get("/models/{pk}", response={200: ProductModelOut, **ERRORS})
def model_get(request: AuthedRequest, pk: int) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    return get_visible(sel.product_models_visible_to(request.user), pk)


@router.put("/models/{pk}", response={200: ProductModelOut, **ERRORS})
def model_update(request: AuthedRequest, pk: int, payload: ProductModelIn) -> Any:
    obj = get_visible(sel.product_models_visible_to(request.user), pk)
    return actions.product_model_save(
        actor=request.user, product_model=obj, **_ids_to_refs(payload.dict())
    )


@router.delete("/models/{pk}", response={204: None, **ERRORS})
def model_delete(request: AuthedRequest, pk: int) -> Any:
    obj = get_visible(sel.product_models_visible_to(request.user), pk)
    actions.catalog_delete(actor=request.user, obj=obj)
    return Status(204, None)


# Main components ----------------------------------------------------------------------------


@router.get("/components", response={200: ComponentPage, **ERRORS})
def component_list(
    request: AuthedRequest, params: Query[PageParams], category_id: Id | None = None
) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    qs = sel.components_visible_to(request.user)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return page_of(qs, params)


@router.post("/components", response={201: ComponentOut, **ERRORS})
def component_create(request: AuthedRequest, payload: ComponentIn) -> Any:
    return Status(201, actions.component_save(actor=request.user, **_ids_to_refs(payload.dict())))


@router.put("/components/{pk}", response={200: ComponentOut, **ERRORS})
def component_update(request: AuthedRequest, pk: int, payload: ComponentIn) -> Any:
    obj = get_visible(sel.components_visible_to(request.user), pk)
    return actions.component_save(actor=request.user, component=obj, **_ids_to_refs(payload.dict()))


@router.delete("/components/{pk}", response={204: None, **ERRORS})
def component_delete(request: AuthedRequest, pk: int) -> Any:
    obj = get_visible(sel.components_visible_to(request.user), pk)
    actions.catalog_delete(actor=request.user, obj=obj)
    return Status(204, None)


# Parts --------------------------------------------------------------------------------------


@router.get("/parts", response={200: PartPage, **ERRORS})
def part_list(request: AuthedRequest, params: Query[ListParams]) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    qs = sel.parts_visible_to(request.user)
    if params.q:
        qs = qs.filter(code__istartswith=params.q.strip()) | qs.filter(
            name__icontains=params.q.strip()
        )
    page = keyset_page(qs, after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after}


@router.post("/parts", response={201: PartOut, **ERRORS})
def part_create(request: AuthedRequest, payload: PartIn) -> Any:
    return Status(201, actions.part_save(actor=request.user, **_ids_to_refs(payload.dict())))


@router.get("/parts/{pk}", response={200: PartOut, **ERRORS})
def part_get(request: AuthedRequest, pk: int) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    return get_visible(sel.parts_visible_to(request.user), pk)


@router.patch("/parts/{pk}", response={200: PartOut, **ERRORS})
def part_update(request: AuthedRequest, pk: int, payload: PartPatch) -> Any:
    obj = get_visible(sel.parts_visible_to(request.user), pk)
    data = _ids_to_refs(payload.dict(exclude_unset=True))
    return actions.part_save(actor=request.user, part=obj, **data)


@router.delete("/parts/{pk}", response={204: None, **ERRORS})
def part_delete(request: AuthedRequest, pk: int) -> Any:
    obj = get_visible(sel.parts_visible_to(request.user), pk)
    actions.catalog_delete(actor=request.user, obj=obj)
    return Status(204, None)


# Fault codes --------------------------------------------------------------------------------


@router.get("/fault-codes", response={200: FaultCodePage, **ERRORS})
def fault_code_list(
    request: AuthedRequest, params: Query[PageParams], category_id: Id | None = None
) -> Any:
    require(request.user, Perm.CATALOG_VIEW)
    qs = sel.fault_codes_visible_to(request.user)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return page_of(qs, params)


@router.post("/fault-codes", response={201: FaultCodeOut, **ERRORS})
def fault_code_create(request: AuthedRequest, payload: FaultCodeIn) -> Any:
    return Status(201, actions.fault_code_save(actor=request.user, **_ids_to_refs(payload.dict())))


@router.put("/fault-codes/{pk}", response={200: FaultCodeOut, **ERRORS})
def fault_code_update(request: AuthedRequest, pk: int, payload: FaultCodeIn) -> Any:
    obj = get_visible(sel.fault_codes_visible_to(request.user), pk)
    return actions.fault_code_save(
        actor=request.user, fault_code=obj, **_ids_to_refs(payload.dict())
    )


@router.delete("/fault-codes/{pk}", response={204: None, **ERRORS})
def fault_code_delete(request: AuthedRequest, pk: int) -> Any:
    obj = get_visible(sel.fault_codes_visible_to(request.user), pk)
    actions.catalog_delete(actor=request.user, obj=obj)
    return Status(204, None)
