"""Knowledge base pages: search with filters, article page, editor with preview, review queue,
优质案例 and their export, synonyms; suggestions at intake and on the visit page (htmx)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.catalog.models import FaultCode, Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import get_visible
from aftersales.core.validation import ValidationFailed
from aftersales.customers.selectors import units_visible_to
from aftersales.fieldwork.models import ServiceRecord
from aftersales.knowledge import actions
from aftersales.knowledge.choices import EVENT_LABELS, LIFECYCLE, REVIEWER_VERBS, Kind, Language
from aftersales.knowledge.choices import Status as ArticleStatus
from aftersales.knowledge.markdown import render as markdown
from aftersales.knowledge.models import ArticlePhoto
from aftersales.knowledge.selectors import (
    Filters,
    article_search,
    articles_visible_to,
    featured_cases,
    is_reviewer,
    review_queue,
    suggestions,
    synonyms_text,
)
from aftersales.orders.selectors import orders_visible_to
from aftersales.web.shortcuts import flash_error, page, stored_image, xlsx_response


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _catalog(user: Any) -> dict[str, Any]:
    company = user.company_id
    return {
        "categories": ProductCategory.objects.filter(company_id=company),
        "models": ProductModel.objects.filter(category__company_id=company, is_active=True),
        "codes": FaultCode.objects.filter(category__company_id=company).select_related("category"),
    }


@page(Perm.KNOWLEDGE_VIEW)
def search_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    g = request.GET
    status = g.get("status", "") if is_reviewer(user) or g.get("status") == "draft" else ""
    filters = Filters(
        kind=g.get("kind", "") if g.get("kind") in Kind.values else "",
        category_id=_int(g.get("category")),
        model_id=_int(g.get("model")),
        fault_code_id=_int(g.get("code")),
        status=status if status in ArticleStatus.values else "",
    )
    q = g.get("q", "").strip()[:200]
    results = article_search(user, q, filters, limit=50)
    return render(
        request,
        "web/knowledge/search.html",
        {
            "q": q,
            "results": results,
            "f": filters,
            "kinds": Kind.choices,
            "statuses": ArticleStatus.choices,
            "reviewer": is_reviewer(user),
            "may_draft": has_perm(user, Perm.KNOWLEDGE_DRAFT),
            **_catalog(user),
        },
    )


def _article(user: Any, pk: int) -> Any:
    return get_visible(
        articles_visible_to(user).select_related("author", "category", "source_order"), pk
    )


@page(Perm.KNOWLEDGE_VIEW)
def article_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    article = _article(user, pk)
    reviewer = is_reviewer(user)
    own_draft = article.author_id == user.pk and article.status == ArticleStatus.DRAFT
    verbs = [
        (v, LIFECYCLE.verb_label(v))
        for v in LIFECYCLE.available(article.status)
        if (v in REVIEWER_VERBS and reviewer) or (v == "submit" and (own_draft or reviewer))
    ]
    events = [
        (e, EVENT_LABELS.get(e.action, e.action))
        for e in article.events.select_related("actor").order_by("-at", "-id")
    ]
    return render(
        request,
        "web/knowledge/article.html",
        {
            "a": article,
            "html": markdown(article.body),
            "photos": article.photos.all(),
            "models": article.product_models.all(),
            "codes": article.fault_codes.all(),
            "parts": article.parts.all(),
            "versions": article.versions.select_related("edited_by")[:20],
            "events": events,
            "verbs": verbs,
            "needs_reason": LIFECYCLE.needs_reason,
            "may_edit": reviewer or own_draft,
            "reviewer": reviewer,
            "feedback_open": article.status == ArticleStatus.PUBLISHED,
        },
    )


def _form_values(post: Any) -> dict[str, Any]:
    return {
        "kind": post.get("kind", ""),
        "title": post.get("title", ""),
        "body": post.get("body", ""),
        "tags": post.get("tags", ""),
        "language": post.get("language", "zh-hans"),
        "category": _int(post.get("category")),
        "product_models": [i for i in map(_int, post.getlist("product_models")) if i],
        "fault_codes": [i for i in map(_int, post.getlist("fault_codes")) if i],
        "parts": [i for i in map(_int, post.getlist("parts")) if i],
    }


@page(Perm.KNOWLEDGE_DRAFT)
def article_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    article = _article(user, pk) if pk else None
    errors: dict[str, Any] = {}
    if request.method == "POST":
        values = _form_values(request.POST)
        try:
            if article is None:
                article = actions.article_create(actor=user, **values)
            else:
                values.pop("kind") if not values["kind"] else None
                article = actions.article_update(
                    actor=user, article=article, version=_int(request.POST.get("version")), **values
                )
            files = request.FILES.getlist("photos")
            if files:
                actions.photo_add(actor=user, article=article, files=files)
            messages.success(request, _("Saved."))
            return redirect("knowledge-article", pk=article.pk)
        except ValidationFailed as exc:
            errors = exc.errors
        except ApplicationError as exc:
            errors = {"form": exc.message}
        current = values
    elif article is not None:
        current = {
            "kind": article.kind,
            "title": article.title,
            "body": article.body,
            "tags": article.tags,
            "language": article.language,
            "category": article.category_id,
            "product_models": list(article.product_models.values_list("pk", flat=True)),
            "fault_codes": list(article.fault_codes.values_list("pk", flat=True)),
            "parts": list(article.parts.values_list("pk", flat=True)),
        }
    else:
        current = {"kind": request.GET.get("kind", Kind.SOLUTION), "language": "zh-hans"}
    return render(
        request,
        "web/knowledge/edit.html",
        {
            "a": article,
            "v": current,
            "errors": errors,
            "kinds": Kind.choices,
            "languages": Language.choices,
            "parts": Part.objects.filter(company_id=company_of(user), is_active=True)[:500],
            "preview": markdown(current.get("body", "")),
            **_catalog(user),
        },
        status=422 if errors else 200,
    )


@page(Perm.KNOWLEDGE_VIEW)
@require_POST
def preview(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "web/knowledge/_preview.html",
        {"html": markdown(request.POST.get("body", "")[: actions.BODY_MAX])},
    )


@page(Perm.KNOWLEDGE_VIEW)
@require_POST
def article_step(request: AuthedRequest, pk: int, verb: str) -> HttpResponse:
    user = request.user
    article = _article(user, pk)
    try:
        actions.article_transition(
            actor=user, article=article, verb=verb, reason=request.POST.get("reason", "")
        )
        messages.success(request, LIFECYCLE.verb_label(verb))
    except ApplicationError as exc:
        flash_error(request, exc)
    if verb == "publish" or verb == "return":
        nxt = request.POST.get("next", "")
        if nxt == "review":
            return redirect("knowledge-review")
    return redirect("knowledge-article", pk=pk)


@page(Perm.KNOWLEDGE_REVIEW)
@require_POST
def article_feature(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        actions.article_feature(
            actor=user, article=pk, featured=request.POST.get("featured", "1") == "1"
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("knowledge-article", pk=pk)


@page(Perm.KNOWLEDGE_VIEW)
@require_POST
def article_feedback(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    order = None
    order_id = _int(request.POST.get("order"))
    if order_id:
        order = get_visible(orders_visible_to(user), order_id)
    try:
        actions.article_feedback(
            actor=user, article=pk, helped=request.POST.get("helped") == "1", order=order
        )
        message = _("Thank you: your feedback ranks the article.")
    except ApplicationError as exc:
        message = exc.message
    if request.headers.get("HX-Request"):
        return HttpResponse(format_html('<span class="small text-muted">{}</span>', message))
    messages.info(request, message)
    return redirect("knowledge-article", pk=pk)


@page(Perm.KNOWLEDGE_VIEW)
def photo(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    row = ArticlePhoto.objects.filter(pk=pk, article__in=articles_visible_to(user)).first()
    return stored_image(row)


@page(Perm.KNOWLEDGE_REVIEW)
def review(request: AuthedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "web/knowledge/review.html",
        {"rows": list(review_queue(user)[:200]), "featured": list(featured_cases(user)[:200])},
    )


FEATURED_COLUMNS = [
    Column("title", _("Title")),
    Column("models", _("Models")),
    Column("codes", _("Fault codes")),
    Column("author", _("Author")),
    Column("order", _("Order")),
    Column("published", _("Published")),
    Column("featured", _("Marked")),
    Column("helped", _("Helped")),
    Column("text", _("Text")),
]


@page(Perm.KNOWLEDGE_REVIEW)
def featured_export(request: AuthedRequest) -> HttpResponse:
    """The 优质案例 for headquarters (xlsx)."""
    user = request.user
    tz = timezone.get_current_timezone()

    def local(value: Any) -> Any:
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    rows = (
        (
            a.title,
            " ".join(m.code for m in a.product_models.all()),
            " ".join(c.code for c in a.fault_codes.all()),
            a.author.get_full_name() or a.author.username,
            a.source_order.number if a.source_order is not None else "",
            local(a.published_at),
            local(a.featured_at),
            a.helped_count,
            a.body,
        )
        for a in featured_cases(user).select_related("source_order")[:10_000]
    )
    content = write_xlsx(FEATURED_COLUMNS, rows, sheet_title="cases")
    return xlsx_response(content, f"featured-cases-{clock.today():%Y%m%d}.xlsx")


@page(Perm.KNOWLEDGE_REVIEW)
def synonyms(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            actions.synonyms_update(actor=user, text=request.POST.get("text", ""))
            messages.success(request, _("Saved."))
            return redirect("knowledge-synonyms")
        except ApplicationError as exc:
            flash_error(request, exc)
    return render(request, "web/knowledge/synonyms.html", {"text": synonyms_text(company_of(user))})


@page(Perm.KNOWLEDGE_DRAFT)
@require_POST
def case_from_order(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        article = actions.case_from_order(actor=user, order=pk)
    except ApplicationError as exc:
        existing = exc.details.get("article") if exc.code == "case_exists" else None
        if existing and articles_visible_to(user).filter(pk=existing).exists():
            return redirect("knowledge-article", pk=existing)
        flash_error(request, exc)
        return redirect("order-detail", pk=pk)
    messages.success(request, _("A draft case was written from the order; check and complete it."))
    return redirect("knowledge-edit", pk=article.pk)


@page(Perm.KNOWLEDGE_VIEW)
def suggest(request: AuthedRequest) -> HttpResponse:
    """Intake (htmx): the best solutions for the fault typed so far and the unit's model."""
    user = request.user
    g = request.GET
    text = g.get("fault_description", "").strip()[:500]
    codes = []
    code = FaultCode.objects.filter(
        pk=_int(g.get("fault_code")) or 0, category__company_id=company_of(user)
    ).first()
    if code:
        codes.append(code.code)
    model_id = None
    unit_id = _int(g.get("unit"))
    if unit_id:
        unit = units_visible_to(user).filter(pk=unit_id).first()
        model_id = unit.product_model_id if unit else None
    model_id = model_id or _int(g.get("new_model"))
    rows = (
        suggestions(user, text=text, model_id=model_id, fault_codes=codes, limit=3)
        if text or codes
        else []
    )
    return render(
        request,
        "web/knowledge/_suggestions.html",
        {
            "rows": [(a, markdown(a.body)) for a, _s in rows],
            "may_solve": has_perm(user, Perm.ORDER_TRIAGE),
            "asked": bool(text or codes),
        },
    )


@page(Perm.KNOWLEDGE_VIEW)
def for_order(request: AuthedRequest, pk: int) -> HttpResponse:
    """Visit page and order page (htmx): solutions for the unit's model and the diagnosed fault
    codes, and similar past cases."""
    user = request.user
    order = get_visible(
        orders_visible_to(user).select_related("unit__product_model", "fault_code"), pk
    )
    codes = {
        fc.code
        for rec in ServiceRecord.objects.filter(order=order).prefetch_related("fault_codes")
        for fc in rec.fault_codes.all()
    }
    if order.fault_code_id:
        codes.add(order.fault_code.code)
    model_id = order.unit.product_model_id if order.unit_id else None
    text = order.fault_description[:300]
    solutions = suggestions(
        user,
        text=text,
        model_id=model_id,
        fault_codes=sorted(codes),
        kinds=("solution", "answer"),
        limit=5,
    )
    past = [
        (a, s)
        for a, s in suggestions(
            user,
            text=text,
            model_id=model_id,
            fault_codes=sorted(codes),
            kinds=("case",),
            limit=4,
        )
        if a.source_order_id != order.pk
    ][:3]
    return render(
        request,
        "web/knowledge/_for_order.html",
        {
            "order": order,
            "solutions": solutions,
            "cases": past,
            "may_case": has_perm(user, Perm.KNOWLEDGE_DRAFT) and order.status in actions.DONE_ORDER,
            "case": articles_visible_to(user).filter(source_order=order, kind=Kind.CASE).first(),
        },
    )
