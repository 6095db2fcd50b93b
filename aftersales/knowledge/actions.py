"""Every write to the knowledge base: articles, their lifecycle, cases from orders, feedback,
solved-on-the-phone, the synonym list.

Each action is keyword-only, atomic, checks permission and scope itself, writes an event row
(`ArticleEvent` through the transition kernel) and keeps the search index in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.catalog.models import FaultCode, Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.errors import Conflict, NotFound, PermissionDenied, check_version
from aftersales.core.transitions import apply, record
from aftersales.core.validation import Errors
from aftersales.fieldwork.models import ServiceRecord, SitePhoto
from aftersales.knowledge import cases, search
from aftersales.knowledge.choices import LIFECYCLE, REVIEWER_VERBS, Kind, Language, Status
from aftersales.knowledge.models import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticlePhoto,
    ArticleVersion,
    SynonymList,
)
from aftersales.knowledge.selectors import articles_visible_to, is_reviewer
from aftersales.orders import uploads
from aftersales.orders.actions import order_transition
from aftersales.orders.choices import Status as OrderStatus
from aftersales.orders.models import ServiceOrder
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts.choices import MoveKind

TITLE_MAX = 200
BODY_MAX = 50_000
TAGS_MAX = 300
DONE_ORDER = frozenset({OrderStatus.COMPLETED, OrderStatus.FOLLOWED_UP, OrderStatus.CLOSED})


def _event(article: Article, actor: Any, action: str, **kw: Any) -> Any:
    return record(
        ArticleEvent, subject_field="article", subject=article, actor=actor, action=action, **kw
    )


def _locked(actor: User, article: Article | int) -> Article:
    pk = article.pk if isinstance(article, Article) else article
    found = articles_visible_to(actor).select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def _columns(article: Article) -> dict[str, str]:
    return {c: getattr(article, c) for c in search.COLUMNS}


def _reindex(article: Article, old: dict[str, str] | None) -> None:
    codes = [fc.code for fc in article.fault_codes.all()]
    new = search.derived_columns(
        title=article.title, body=article.body, tags=article.tags, codes=codes
    )
    if old == new:
        return
    for name, value in new.items():
        setattr(article, name, value)
    article.save(update_fields=list(new))
    search.fts_sync(article.pk, old, new)


def _ids(value: Iterable[Any] | None) -> list[int]:
    return [int(getattr(v, "pk", v)) for v in (value or [])]


def _clean_links(
    errors: Errors,
    company_id: int,
    *,
    category: Any,
    product_models: Iterable[Any] | None,
    fault_codes: Iterable[Any] | None,
    parts: Iterable[Any] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if category is not None:
        cat_id = getattr(category, "pk", category)
        cat = (
            ProductCategory.objects.filter(company_id=company_id, pk=cat_id).first()
            if cat_id
            else None
        )
        if cat_id and cat is None:
            errors.add("category", _("Unknown category."))
        out["category"] = cat
    for name, model, lookup in (
        ("product_models", ProductModel, "category__company_id"),
        ("fault_codes", FaultCode, "category__company_id"),
        ("parts", Part, "company_id"),
    ):
        value = {"product_models": product_models, "fault_codes": fault_codes, "parts": parts}[name]
        if value is None:
            continue
        ids = _ids(value)
        rows = list(model.objects.filter(pk__in=ids, **{lookup: company_id}))
        if len(rows) != len(set(ids)):
            errors.add(name, _("Unknown entries."))
        out[name] = rows
    return out


def _clean_text(errors: Errors, *, title: Any, body: Any, tags: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if title is not None:
        title = str(title).strip()
        if not title:
            errors.add("title", _("Give a title."))
        elif len(title) > TITLE_MAX:
            errors.add("title", _("At most %(n)d characters.") % {"n": TITLE_MAX})
        out["title"] = title
    if body is not None:
        body = str(body).replace("\r\n", "\n")
        if len(body) > BODY_MAX:
            errors.add("body", _("At most %(n)d characters.") % {"n": BODY_MAX})
        out["body"] = body
    if tags is not None:
        items = tags if isinstance(tags, list | tuple) else str(tags).replace("，", ",").split(",")
        joined = ", ".join(dict.fromkeys(t.strip() for t in items if str(t).strip()))
        if len(joined) > TAGS_MAX:
            errors.add("tags", _("At most %(n)d characters.") % {"n": TAGS_MAX})
        out["tags"] = joined
    return out


def _version_row(article: Article, actor: User) -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        body=article.body,
        tags=article.tags,
        edited_by=actor,
    )


@transaction.atomic
def article_create(
    *,
    actor: User,
    kind: str,
    title: str,
    body: str = "",
    language: str = "zh-hans",
    category: ProductCategory | int | None = None,
    product_models: Iterable[Any] | None = None,
    fault_codes: Iterable[Any] | None = None,
    parts: Iterable[Any] | None = None,
    tags: str | list[str] = "",
    source_order: ServiceOrder | None = None,
) -> Article:
    """A new draft by `actor` (technicians, agents, station and service managers)."""
    require(actor, Perm.KNOWLEDGE_DRAFT)
    errors = Errors()
    if kind not in Kind.values:
        errors.add("kind", _("Choose a kind."))
    if language not in Language.values:
        errors.add("language", _("Choose a language."))
    text = _clean_text(errors, title=title, body=body, tags=tags)
    links = _clean_links(
        errors,
        company_of(actor),
        category=category,
        product_models=product_models or [],
        fault_codes=fault_codes or [],
        parts=parts or [],
    )
    errors.raise_if_any()
    now = clock.now()
    article = Article.objects.create(
        company_id=company_of(actor),
        kind=kind,
        language=language,
        category=links.get("category"),
        author=actor,
        created_at=now,
        updated_at=now,
        source_order=source_order,
        **text,
    )
    for name in ("product_models", "fault_codes", "parts"):
        getattr(article, name).set(links[name])
    _version_row(article, actor)
    _event(
        article,
        actor,
        "created",
        to_status=Status.DRAFT,
        payload={"kind": kind, "order": source_order.pk if source_order else None},
    )
    _reindex(article, None)
    return article


def _may_edit(actor: User, article: Article) -> None:
    if is_reviewer(actor):
        return
    require(actor, Perm.KNOWLEDGE_DRAFT)
    if article.author_id != actor.pk or article.status != Status.DRAFT:
        raise PermissionDenied(
            "not_editable", _("Only the author may change a draft; reviewers change the rest.")
        )


@transaction.atomic
def article_update(
    *,
    actor: User,
    article: Article | int,
    version: int | None = None,
    title: str | None = None,
    body: str | None = None,
    tags: str | list[str] | None = None,
    language: str | None = None,
    kind: str | None = None,
    category: ProductCategory | int | None = None,
    product_models: Iterable[Any] | None = None,
    fault_codes: Iterable[Any] | None = None,
    parts: Iterable[Any] | None = None,
) -> Article:
    """Edit the content: a new version (who and when) and an `edited` event."""
    locked = _locked(actor, article)
    _may_edit(actor, locked)
    check_version(locked, version, _("Someone else changed this article; reload it and try again."))
    errors = Errors()
    text = _clean_text(errors, title=title, body=body, tags=tags)
    links = _clean_links(
        errors,
        company_of(actor),
        category=category,
        product_models=product_models,
        fault_codes=fault_codes,
        parts=parts,
    )
    if language is not None and language not in Language.values:
        errors.add("language", _("Choose a language."))
    if kind is not None and kind not in Kind.values:
        errors.add("kind", _("Choose a kind."))
    errors.raise_if_any()
    old = _columns(locked)
    changed: list[str] = []
    for name, value in {**text, "language": language, "kind": kind}.items():
        if value is not None and getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if "category" in links and locked.category_id != getattr(links["category"], "pk", None):
        locked.category = links["category"]
        changed.append("category")
    for name in ("product_models", "fault_codes", "parts"):
        if name in links:
            before = set(getattr(locked, name).values_list("pk", flat=True))
            if before != {r.pk for r in links[name]}:
                getattr(locked, name).set(links[name])
                changed.append(name)
    if not changed:
        return locked
    content = bool({"title", "body", "tags"} & set(changed))
    if content:
        locked.revision += 1
    locked.version += 1
    locked.updated_at = clock.now()
    locked.save(
        update_fields=[
            *(c for c in changed if c not in ("product_models", "fault_codes", "parts")),
            *(["revision"] if content else []),
            "version",
            "updated_at",
        ]
    )
    if content:
        _version_row(locked, actor)
    _event(locked, actor, "edited", payload={"fields": changed, "revision": locked.revision})
    _reindex(locked, old)
    return locked


@transaction.atomic
def article_transition(
    *,
    actor: User,
    article: Article | int,
    verb: str,
    reason: str = "",
    version: int | None = None,
) -> Article:
    """A step of the lifecycle: an author submits their draft; the service manager returns,
    publishes, retires and restores."""
    locked = _locked(actor, article)
    if verb in REVIEWER_VERBS:
        require(actor, Perm.KNOWLEDGE_REVIEW)
    else:
        require(actor, Perm.KNOWLEDGE_DRAFT)
        if locked.author_id != actor.pk and not is_reviewer(actor):
            raise PermissionDenied("not_your_article", _("Only the author may hand this in."))
    check_version(locked, version, _("Someone else changed this article; reload it and try again."))
    extra: list[str] = ["updated_at"]
    locked.updated_at = clock.now()
    if verb == "publish":
        if not locked.title.strip() or not locked.body.strip():
            raise Conflict("incomplete", _("An article needs a title and a text to be published."))
        locked.published_at = locked.updated_at
        extra.append("published_at")
    if verb in ("retire", "restore") and locked.is_featured:
        locked.is_featured = False
        extra.append("is_featured")
    apply(
        LIFECYCLE,
        locked,
        verb,
        event_model=ArticleEvent,
        subject_field="article",
        actor=actor,
        reason=reason,
        extra_fields=extra,
        payload={"revision": locked.revision},
    )
    return locked


@transaction.atomic
def article_feature(*, actor: User, article: Article | int, featured: bool = True) -> Article:
    """Mark a published service case as 优质案例 for headquarters (or take the mark off)."""
    require(actor, Perm.KNOWLEDGE_REVIEW)
    locked = _locked(actor, article)
    if featured and (locked.kind != Kind.CASE or locked.status != Status.PUBLISHED):
        raise Conflict("not_a_published_case", _("Only a published service case can be marked."))
    if locked.is_featured == featured:
        return locked
    locked.is_featured = featured
    locked.featured_at = clock.now() if featured else None
    locked.version += 1
    locked.save(update_fields=["is_featured", "featured_at", "version"])
    _event(locked, actor, "featured" if featured else "unfeatured")
    return locked


@transaction.atomic
def photo_add(*, actor: User, article: Article | int, files: list[Any]) -> list[ArticlePhoto]:
    """Attach photos (checked and re-encoded like the orders' uploads)."""
    locked = _locked(actor, article)
    _may_edit(actor, locked)
    rows = []
    for upload in files[: uploads.MAX_FILES]:
        data, content_type, ext = uploads.clean_image(upload, field="photos")
        rows.append(
            ArticlePhoto.objects.create(
                article=locked,
                stored_name=uploads.store(data, ext),
                content_type=content_type,
                caption=uploads.display_name(getattr(upload, "name", ""))[:200],
                added_by=actor,
            )
        )
    if rows:
        _event(locked, actor, "edited", payload={"photos": [r.pk for r in rows]})
    return rows


# --- from the work ---------------------------------------------------------------------------


def _order_secrets(order: ServiceOrder) -> list[str]:
    customer = order.customer
    out: list[str] = [*cases.secrets_of_name(customer.name), customer.phone]
    for contact in customer.contacts.all():
        out += [*cases.secrets_of_name(contact.name), contact.phone]
    for address in customer.addresses.all():
        out.append(address.line)
    unit = order.unit
    if unit is not None:
        out.append(unit.serial)
        if unit.address is not None:
            out.append(unit.address.line)
    if order.address is not None:
        out.append(order.address.line)
    return [s for s in out if s]


def _case_source(order: ServiceOrder) -> tuple[cases.CaseSource, list[Any], list[Any]]:
    records = list(
        ServiceRecord.objects.filter(order=order).prefetch_related("fault_codes").order_by("id")
    )
    codes: dict[int, FaultCode] = {}
    for rec in records:
        for fc in rec.fault_codes.all():
            codes.setdefault(fc.pk, fc)
    used: dict[int, Part] = {}
    for move in order.stock_moves.filter(kind=MoveKind.ISSUE).select_related("part"):
        used.setdefault(move.part_id, move.part)
    model = order.unit.product_model if order.unit is not None else None
    src = cases.CaseSource(
        number=order.number,
        category=model.category.name if model else "",
        model=model.code if model else "",
        service_type=order.get_service_type_display(),
        fault_description=order.fault_description,
        visits=[
            cases.VisitNotes(
                diagnosis=r.diagnosis,
                cause=r.get_cause_display() if r.cause else "",
                work_done=r.work_done,
                result=r.get_result_display() if r.result else "",
            )
            for r in records
        ],
        fault_codes=[fc.code for fc in codes.values()],
        parts=[f"{p.code} {p.name}" for p in used.values()],
        secrets=_order_secrets(order),
    )
    return src, list(codes.values()), list(used.values())


def _headings() -> cases.Headings:
    return cases.Headings(
        what_happened=gettext("What happened"),
        diagnosis=gettext("Diagnosis"),
        cause=gettext("Cause"),
        work=gettext("What was done"),
        parts=gettext("Parts"),
        result=gettext("Result"),
        learned=gettext("What we learned"),
        learned_hint=gettext("(Write what others should know next time.)"),
        title=gettext("%(model)s: %(fault)s"),
    )


@transaction.atomic
def case_from_order(*, actor: User, order: ServiceOrder | int) -> Article:
    """A draft service case from a completed order in one step: fault, diagnosis, cause, work,
    parts, fault codes and the visit's photos carried over; the customer's personal data
    (names, phones, addresses, the serial) removed."""
    require(actor, Perm.KNOWLEDGE_DRAFT)
    pk = order.pk if isinstance(order, ServiceOrder) else order
    found = (
        orders_visible_to(actor)
        .select_related("customer", "address", "unit__product_model__category", "unit__address")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("Not found."))
    if found.status not in DONE_ORDER:
        raise Conflict("order_not_done", _("Only a completed order can become a case."))
    existing = Article.objects.filter(source_order=found, kind=Kind.CASE).first()
    if existing is not None:
        raise Conflict(
            "case_exists",
            _("This order already has a case."),
            details={"article": existing.pk},
        )
    src, codes, used = _case_source(found)
    title, body = cases.case_text(src, _headings())
    model = found.unit.product_model if found.unit is not None else None
    article = article_create(
        actor=actor,
        kind=Kind.CASE,
        title=title,
        body=body,
        category=model.category if model else None,
        product_models=[model] if model else [],
        fault_codes=codes,
        parts=used,
        source_order=found,
    )
    for photo in SitePhoto.objects.filter(order=found).order_by("id"):
        ArticlePhoto.objects.create(
            article=article,
            stored_name=photo.stored_name,
            content_type=photo.content_type,
            caption=photo.get_kind_display(),
            added_by=actor,
        )
    return article


# --- feedback and the phone ------------------------------------------------------------------


@transaction.atomic
def article_feedback(
    *, actor: User, article: Article | int, helped: bool, order: ServiceOrder | None = None
) -> ArticleFeedback:
    """“This helped / did not help” (once per person and order); ranks the article."""
    require(actor, Perm.KNOWLEDGE_VIEW)
    pk = article.pk if isinstance(article, Article) else article
    found = articles_visible_to(actor).filter(pk=pk, status=Status.PUBLISHED).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    already = ArticleFeedback.objects.filter(article=found, user=actor, order=order)
    if already.exists():
        raise Conflict("feedback_given", _("You have already given feedback on this article."))
    row = ArticleFeedback.objects.create(article=found, user=actor, order=order, helped=helped)
    counter = "helped_count" if helped else "not_helped_count"
    Article.objects.filter(pk=found.pk).update(**{counter: F(counter) + 1})
    _event(
        found, actor, "feedback", payload={"helped": helped, "order": getattr(order, "pk", None)}
    )
    return row


@transaction.atomic
def order_solved_by_phone(
    *, actor: User, order: ServiceOrder | int, article: Article | int, note: str = ""
) -> ServiceOrder:
    """The agent read `article` to the customer and that solved it: the order closes as
    solved remotely (its own event) and the article is credited with having helped."""
    pk = order.pk if isinstance(order, ServiceOrder) else order
    found = orders_visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    art = articles_visible_to(actor).filter(pk=getattr(article, "pk", article)).first()
    if art is None:
        raise NotFound("not_found", _("Not found."))
    reason = note.strip() or gettext("Solved on the phone with “%(title)s”.") % {"title": art.title}
    closed = order_transition(
        actor=actor, order=found, action="solve_remotely", reason=reason, recorded=True
    )
    article_feedback(actor=actor, article=art, helped=True, order=closed)
    return closed


@transaction.atomic
def synonyms_update(*, actor: User, text: str) -> SynonymList:
    require(actor, Perm.KNOWLEDGE_REVIEW)
    text = (text or "").replace("\r\n", "\n").strip()
    errors = Errors()
    if len(text) > 20_000:
        errors.add("text", _("At most %(n)d characters.") % {"n": 20_000})
    errors.raise_if_any()
    row, _created = SynonymList.objects.select_for_update().get_or_create(
        company_id=actor.company_id
    )
    row.text = text
    row.updated_at = clock.now()
    row.save(update_fields=["text", "updated_at"])
    return row
