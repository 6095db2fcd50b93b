"""Reads of knowledge articles, always through the user's scope.

Published articles are readable by everyone in the company with `knowledge.view`; drafts,
articles in review and retired ones only by their author and the reviewers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from aftersales.accounts.permissions import Perm, has_perm
from aftersales.catalog.models import ProductModel
from aftersales.knowledge import search
from aftersales.knowledge.choices import Status
from aftersales.knowledge.models import Article, SynonymList
from aftersales.knowledge.tokens import Query, parse_query, synonym_groups


def is_reviewer(user: Any) -> bool:
    return has_perm(user, Perm.KNOWLEDGE_REVIEW)


def articles_visible_to(user: Any) -> QuerySet[Article]:
    if not has_perm(user, Perm.KNOWLEDGE_VIEW):
        return Article.objects.none()
    qs = Article.objects.filter(company_id=user.company_id)
    if is_reviewer(user):
        return qs
    return qs.filter(Q(status=Status.PUBLISHED) | Q(author_id=user.pk))


def review_queue(user: Any) -> QuerySet[Article]:
    if not is_reviewer(user):
        return Article.objects.none()
    return (
        articles_visible_to(user)
        .filter(status=Status.IN_REVIEW)
        .select_related("author", "category")
        .order_by("updated_at", "id")
    )


def featured_cases(user: Any) -> QuerySet[Article]:
    return (
        articles_visible_to(user)
        .filter(is_featured=True)
        .select_related("author", "category")
        .prefetch_related("product_models", "fault_codes")
        .order_by("-featured_at", "-id")
    )


def synonyms_text(company_id: int) -> str:
    row = SynonymList.objects.filter(company_id=company_id).first()
    return row.text if row else DEFAULT_SYNONYMS


# The list a company starts with (editable on the synonyms page).
DEFAULT_SYNONYMS = "\n".join(
    [
        "不制冷 / 不冷 / 制冷差 / 制冷效果差",
        "不制热 / 不热 / 制热差 / 制热效果差",
        "漏水 / 滴水 / 渗水",
        "异响 / 噪音 / 噪声 / 响声大",
        "不开机 / 无法开机 / 开不了机 / 不通电",
        "跳闸 / 漏电",
        "结霜 / 结冰",
        "遥控器 / 遥控",
    ]
)


def synonyms_for(company_id: int) -> list[list[str]]:
    return synonym_groups(synonyms_text(company_id).splitlines())


def parse_for(company_id: int, text: str, *, loose: bool = False) -> Query:
    return parse_query(text, synonyms_for(company_id), loose=loose)


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    category_id: int | None = None
    model_id: int | None = None
    fault_code_id: int | None = None
    status: str = ""
    language: str = ""
    featured: bool = False


def _filtered(qs: QuerySet[Article], f: Filters) -> QuerySet[Article]:
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category_id:
        qs = qs.filter(category_id=f.category_id)
    if f.model_id:
        qs = qs.filter(product_models__id=f.model_id)
    if f.fault_code_id:
        qs = qs.filter(fault_codes__id=f.fault_code_id)
    if f.language:
        qs = qs.filter(language=f.language)
    if f.featured:
        qs = qs.filter(is_featured=True)
    qs = qs.filter(status=f.status or Status.PUBLISHED)
    return qs


def article_search(
    user: Any, text: str, filters: Filters | None = None, *, limit: int = 20
) -> list[tuple[Article, float]]:
    """The best matches for what `user` typed (published unless a status is asked for), best
    first. Without text: the newest articles matching the filters."""
    f = filters or Filters()
    qs = _filtered(articles_visible_to(user), f)
    query = parse_for(user.company_id, text)
    if query.empty:
        rows = list(qs.select_related("category").order_by("-updated_at", "-id")[:limit])
        return [(a, 0.0) for a in rows]
    ranked = search.search_ids(qs.distinct(), query, limit=limit)
    return _articles(ranked)


def _articles(ranked: list[tuple[int, float]]) -> list[tuple[Article, float]]:
    found = Article.objects.select_related("category").in_bulk([pk for pk, _s in ranked])
    return [(found[pk], score) for pk, score in ranked if pk in found]


def suggestions(
    user: Any,
    *,
    text: str = "",
    model_id: int | None = None,
    fault_codes: list[str] | None = None,
    kinds: tuple[str, ...] = (),
    limit: int = 5,
) -> list[tuple[Article, float]]:
    """Published solutions (and cases) for a fault description, a unit's model and the
    diagnosed fault codes: any clause may match. The model narrows when given: its own
    articles and those for no model in particular first, then those of other models of its
    product category; never an article written for another kind of product (a fridge's for a
    washing machine)."""
    qs = articles_visible_to(user).filter(status=Status.PUBLISHED)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    words = " ".join([text or "", *(fault_codes or [])])
    query = parse_for(user.company_id, words, loose=True)
    if model_id:
        for_model = qs.filter(Q(product_models__id=model_id) | Q(product_models__isnull=True))
        if query.empty:
            rows = for_model.filter(product_models__id=model_id).order_by("-helped_count", "-id")[
                :limit
            ]
            return [(a, 0.0) for a in rows]
        ranked = search.search_ids(for_model.distinct(), query, require_all=False, limit=limit)
        if ranked:
            return _articles(ranked)
        category = (
            ProductModel.objects.filter(pk=model_id).values_list("category_id", flat=True).first()
        )
        same_kind = qs.filter(product_models__category_id=category).distinct()
        return _articles(search.search_ids(same_kind, query, require_all=False, limit=limit))
    if query.empty:
        return []
    return _articles(search.search_ids(qs, query, require_all=False, limit=limit))
