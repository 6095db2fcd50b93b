"""Knowledge articles in the source: drafts at their time, their review steps at theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.imports import actions
from aftersales.imports import format as fmt
from aftersales.imports.export import history_export
from aftersales.imports.tests.legacy import jsonl
from aftersales.knowledge.models import Article, ArticleEvent

pytestmark = pytest.mark.django_db

ROWS: list[dict[str, Any]] = [
    {
        "kind": "article",
        "id": "KB-1",
        "at": "2021-04-01T09:00:00+08:00",
        "type": "solution",
        "title": "挂机不制冷",
        "body": "检查冷媒压力，补充冷媒。",
        "category": "ac",
        "models": ["KFR-35GW"],
        "tags": "冷媒,不制冷",
    },
    {"kind": "article_step", "article": "KB-1", "action": "submit", "at": "2021-04-02"},
    {"kind": "article_step", "article": "KB-1", "action": "publish", "at": "2021-04-03"},
    {
        "kind": "article_step",
        "article": "KB-1",
        "action": "retire",
        "reason": "机型停产",
        "at": "2023-01-05",
    },
]


def _apply(importer: Any, text: str) -> Any:
    job = actions.history_import_create(actor=importer, name="kb.jsonl", data=text.encode())
    return actions.history_import_apply(import_id=job.pk)


def test_article_rows_are_checked_like_any_other():
    bad = [
        {"kind": "article", "id": "KB-9", "at": "2021-04-01", "type": "poem", "title": "x"},
        {"kind": "article_step", "article": "KB-9", "action": "retire", "at": "2021-04-02"},
    ]
    checks = fmt.check_rows(fmt.read_lines(jsonl(bad)), set())
    assert ("bad_value", {"field": "type", "value": "poem"}) in checks[0].problems
    assert ("reason_needed", {}) in checks[1].problems


def test_articles_import_with_their_review_steps_at_their_times_once(importer, data):
    job = _apply(importer, jsonl(ROWS))
    assert (job.applied, job.refused) == (4, 0), list(job.issues.values_list("line", "params"))
    article = Article.objects.get()
    assert (article.kind, article.status, article.title) == ("solution", "retired", "挂机不制冷")
    assert article.created_at == dt.datetime(2021, 4, 1, 1, 0, tzinfo=dt.UTC)
    assert article.published_at == dt.datetime(2021, 4, 3, 1, 0, tzinfo=dt.UTC)
    assert list(article.product_models.values_list("code", flat=True)) == ["KFR-35GW"]
    steps = list(ArticleEvent.objects.filter(article=article).order_by("at", "pk"))
    assert [s.action for s in steps] == ["created", "submit", "publish", "retire"]
    assert {s.source for s in steps} == {"import"}
    assert steps[-1].reason == "机型停产"
    again = _apply(importer, jsonl(ROWS))
    assert again.applied == 0 and Article.objects.count() == 1
    # Exported in the same shape; the export's rows pass the same check.
    out = history_export(actor=importer)
    rows = [r for r in out.rows if r["kind"] in ("article", "article_step")]
    assert rows[0] == {
        "kind": "article",
        "id": "KB-1",
        "at": "2021-04-01T01:00:00+00:00",
        "type": "solution",
        "title": "挂机不制冷",
        "body": "检查冷媒压力，补充冷媒。",
        "language": "zh-hans",
        "category": "ac",
        "models": ["KFR-35GW"],
        "tags": article.tags,
    }
    assert [(r.get("action"), r["at"][:10]) for r in rows[1:]] == [
        ("submit", "2021-04-02"),
        ("publish", "2021-04-03"),
        ("retire", "2023-01-05"),
    ]
    assert all(c.ok for c in fmt.check_rows(fmt.read_lines(out.text()), set()))


def test_an_article_naming_an_unknown_model_is_refused_with_its_row(importer, data):
    row = dict(ROWS[0], models=["NO-SUCH"])
    job = _apply(importer, jsonl([row]))
    assert job.refused == 1 and not Article.objects.exists()
    assert "NO-SUCH" in job.issues.get().params["detail"]
