"""The knowledge base over the API: search, article CRUD through the actions, lifecycle steps,
feedback, suggestions for an order, a case from an order, solved on the phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema, Status

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.api.customers import ERRORS
from aftersales.core.selectors import get_visible
from aftersales.fieldwork.models import ServiceRecord
from aftersales.knowledge import actions
from aftersales.knowledge.markdown import render
from aftersales.knowledge.selectors import (
    Filters,
    article_search,
    articles_visible_to,
    suggestions,
)
from aftersales.orders.selectors import orders_visible_to

router = Router(tags=["knowledge"])


class ArticleOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    title: str
    body: str
    body_html: str
    language: str
    tags: list[str]
    category_id: int | None
    product_model_ids: list[int]
    fault_codes: list[str]
    part_ids: list[int]
    is_featured: bool
    revision: int
    version: int
    helped: int
    not_helped: int
    author_id: int
    source_order_id: int | None
    updated_at: dt.datetime
    published_at: dt.datetime | None


class HitOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    score: float
    helped: int
    snippet: str


class ArticleIn(Schema):
    kind: str
    title: str
    body: str = ""
    language: str = "zh-hans"
    tags: str = ""
    category_id: int | None = None
    product_model_ids: list[int] = []
    fault_code_ids: list[int] = []
    part_ids: list[int] = []


class ArticlePatch(Schema):
    version: int | None = None
    kind: str | None = None
    title: str | None = None
    body: str | None = None
    language: str | None = None
    tags: str | None = None
    category_id: int | None = None
    product_model_ids: list[int] | None = None
    fault_code_ids: list[int] | None = None
    part_ids: list[int] | None = None


class KnowledgeStepIn(Schema):
    reason: str = ""
    version: int | None = None


class FeedbackIn(Schema):
    helped: bool
    order_id: int | None = None


class SolvedIn(Schema):
    article_id: int
    note: str = ""


class KnowledgeOrderOut(Schema):
    id: int
    number: str
    status: str


def _out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "title": a.title,
        "body": a.body,
        "body_html": str(render(a.body)),
        "language": a.language,
        "tags": a.tag_list,
        "category_id": a.category_id,
        "product_model_ids": sorted(a.product_models.values_list("pk", flat=True)),
        "fault_codes": sorted(a.fault_codes.values_list("code", flat=True)),
        "part_ids": sorted(a.parts.values_list("pk", flat=True)),
        "is_featured": a.is_featured,
        "revision": a.revision,
        "version": a.version,
        "helped": a.helped_count,
        "not_helped": a.not_helped_count,
        "author_id": a.author_id,
        "source_order_id": a.source_order_id,
        "updated_at": a.updated_at,
        "published_at": a.published_at,
    }


def _hit(a: Any, score: float) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "title": a.title,
        "status": a.status,
        "score": score,
        "helped": a.helped_count,
        "snippet": a.snippet,
    }


@router.get("/knowledge/search", response={200: list[HitOut], **ERRORS})
def search(
    request: AuthedRequest,
    q: str = "",
    kind: str = "",
    category_id: int | None = None,
    model_id: int | None = None,
    fault_code_id: int | None = None,
    status: str = "",
    limit: int = 20,
) -> Any:
    """Published articles (or drafts the caller may see, with `status`) best first."""
    require(request.user, Perm.KNOWLEDGE_VIEW)
    filters = Filters(
        kind=kind,
        category_id=category_id,
        model_id=model_id,
        fault_code_id=fault_code_id,
        status=status,
    )
    found = article_search(request.user, q[:200], filters, limit=max(1, min(limit, 100)))
    return [_hit(a, s) for a, s in found]


@router.post("/knowledge/articles", response={201: ArticleOut, **ERRORS})
def article_create(request: AuthedRequest, payload: ArticleIn) -> Any:
    a = actions.article_create(
        actor=request.user,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        tags=payload.tags,
        category=payload.category_id,
        product_models=payload.product_model_ids,
        fault_codes=payload.fault_code_ids,
        parts=payload.part_ids,
    )
    return Status(201, _out(a))


@router.get("/knowledge/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def article_get(request: AuthedRequest, article_id: int) -> Any:
    require(request.user, Perm.KNOWLEDGE_VIEW)
    return _out(get_visible(articles_visible_to(request.user), article_id))


@router.patch("/knowledge/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def article_update(request: AuthedRequest, article_id: int, payload: ArticlePatch) -> Any:
    data = payload.dict(exclude_unset=True)
    renames = {
        "category_id": "category",
        "product_model_ids": "product_models",
        "fault_code_ids": "fault_codes",
        "part_ids": "parts",
    }
    fields = {renames.get(k, k): v for k, v in data.items()}
    if "category" in fields and fields["category"] is None:
        fields["category"] = 0
    a = actions.article_update(actor=request.user, article=article_id, **fields)
    return _out(a)


@router.post("/knowledge/articles/{article_id}/feedback", response={201: dict, **ERRORS})
def article_feedback(request: AuthedRequest, article_id: int, payload: FeedbackIn) -> Any:
    order = None
    if payload.order_id:
        order = get_visible(orders_visible_to(request.user), payload.order_id)
    row = actions.article_feedback(
        actor=request.user,
        article=article_id,
        helped=payload.helped,
        order=order,
    )
    return Status(201, {"id": row.pk, "helped": row.helped})


@router.post("/knowledge/articles/{article_id}/{verb}", response={200: ArticleOut, **ERRORS})
def article_step(
    request: AuthedRequest, article_id: int, verb: str, payload: KnowledgeStepIn
) -> Any:
    """submit, return, publish, retire, restore; `feature` / `unfeature` (优质案例)."""
    user = request.user
    if verb in ("feature", "unfeature"):
        a = actions.article_feature(actor=user, article=article_id, featured=verb == "feature")
    else:
        a = actions.article_transition(
            actor=user,
            article=article_id,
            verb=verb,
            reason=payload.reason,
            version=payload.version,
        )
    return _out(a)


@router.get("/orders/{order_id}/knowledge", response={200: list[HitOut], **ERRORS})
def order_suggestions(request: AuthedRequest, order_id: int) -> Any:
    """Solutions and cases for an order: its unit's model, fault codes and description."""
    require(request.user, Perm.KNOWLEDGE_VIEW)
    order = get_visible(
        orders_visible_to(request.user).select_related("unit", "fault_code"), order_id
    )
    codes = {
        fc.code
        for rec in ServiceRecord.objects.filter(order=order).prefetch_related("fault_codes")
        for fc in rec.fault_codes.all()
    }
    if order.fault_code_id:
        codes.add(order.fault_code.code)
    found = suggestions(
        request.user,
        text=order.fault_description[:300],
        model_id=order.unit.product_model_id if order.unit_id else None,
        fault_codes=sorted(codes),
        limit=10,
    )
    return [_hit(a, s) for a, s in found]


@router.post("/orders/{order_id}/knowledge-case", response={201: ArticleOut, **ERRORS})
def order_case(request: AuthedRequest, order_id: int) -> Any:
    a = actions.case_from_order(actor=request.user, order=order_id)
    return Status(201, _out(a))


@router.post("/orders/{order_id}/solved-by-phone", response={200: KnowledgeOrderOut, **ERRORS})
def order_solved(request: AuthedRequest, order_id: int, payload: SolvedIn) -> Any:
    order = actions.order_solved_by_phone(
        actor=request.user,
        order=order_id,
        article=payload.article_id,
        note=payload.note,
    )
    return {"id": order.pk, "number": order.number, "status": order.status}
