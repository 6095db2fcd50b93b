"""Knowledge articles (fault solutions, service cases, customer answers), their versions,
events, photos, feedback, and the company's synonym list for search."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company
from aftersales.catalog.models import FaultCode, Part, ProductCategory, ProductModel
from aftersales.core import clock
from aftersales.core.models import AppendOnlyModel, TransitionEvent
from aftersales.knowledge.choices import Kind, Language, Status
from aftersales.knowledge.markdown import plain
from aftersales.orders.models import ServiceOrder


class Article(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product_models = models.ManyToManyField(
        ProductModel, verbose_name=_("models"), blank=True, related_name="+"
    )
    fault_codes = models.ManyToManyField(
        FaultCode, verbose_name=_("fault codes"), blank=True, related_name="+"
    )
    parts = models.ManyToManyField(Part, verbose_name=_("parts"), blank=True, related_name="+")
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    # A service case made from an order (the order's personal data is not copied).
    source_order = models.ForeignKey(
        ServiceOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # 优质案例: picked by the service manager for headquarters.
    is_featured = models.BooleanField(_("featured case"), default=False)
    featured_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # The content's version number (one ArticleVersion row each); `version` is the row's
    # optimistic-locking counter (moved by every write, transitions included).
    revision = models.PositiveIntegerField(_("revision"), default=1)
    version = models.PositiveIntegerField(default=1)
    helped_count = models.PositiveIntegerField(_("helped"), default=0)
    not_helped_count = models.PositiveIntegerField(_("did not help"), default=0)
    # Derived search columns (tokens.py), rewritten by the actions with every content change;
    # the full-text indexes (SQLite FTS5, PostgreSQL GIN) read them.
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    search_tags = models.TextField(blank=True, editable=False)
    search_codes = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["company", "status", "kind"], name="article_status_idx"),
            models.Index(fields=["company", "is_featured"], name="article_featured_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def snippet(self) -> str:
        return plain(self.body)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (x.strip() for x in self.tags.split(",")) if t]


class ArticleVersion(AppendOnlyModel):
    """The content as it was saved: edit history (who and when)."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    edited_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleEvent(TransitionEvent):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="events")

    class Meta(TransitionEvent.Meta):
        indexes = [models.Index(fields=["article", "at"], name="article_event_idx")]


class ArticlePhoto(models.Model):
    """A photo of an article (stored like the orders' uploads; a case reuses the visit's)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="photos")
    stored_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.stored_name


class ArticleFeedback(AppendOnlyModel):
    """“This helped / did not help”, by one person, for one order at most once."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="feedback")
    order = models.ForeignKey(
        ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    helped = models.BooleanField(_("helped"))
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user", "order"], name="article_feedback_once"
            ),
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=models.Q(order__isnull=True),
                name="article_feedback_once_no_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helped else '-'}"


class SynonymList(models.Model):
    """The company's synonym groups (one a line: 不制冷 / 不冷 / 制冷差)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("synonyms"), blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("synonym list")

    def __str__(self) -> str:
        return f"synonyms of {self.company_id}"
