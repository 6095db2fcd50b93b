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


# Product-model and fault codes are unique per product category, not per company.


@pytest.fixture
def shared_codes(data: dict[str, Any]) -> dict[str, Any]:
    """A second category (water heaters) with a model and a fault code whose codes the air
    conditioners also have."""
    from aftersales.catalog.models import FaultCode, ProductCategory, ProductModel

    ac = data["category"]
    wh = ProductCategory.objects.create(company=ac.company, code="wh", name="热水器")
    return {
        "ac_model": data["model"],
        "wh_model": ProductModel.objects.create(category=wh, code="KFR-35GW", name="同号热水器"),
        "ac_fault": FaultCode.objects.create(category=ac, code="E1", symptom="不制冷"),
        "wh_fault": FaultCode.objects.create(category=wh, code="E1", symptom="不加热"),
        "wh": wh,
    }


def test_article_codes_are_looked_up_in_the_articles_category(importer, shared_codes):
    row = dict(ROWS[0], category="wh", fault_codes=["E1"])
    job = _apply(importer, jsonl([row]))
    assert (job.applied, job.refused) == (1, 0), list(job.issues.values_list("params", flat=True))
    article = Article.objects.get()
    assert list(article.product_models.all()) == [shared_codes["wh_model"]]
    assert list(article.fault_codes.all()) == [shared_codes["wh_fault"]]


def test_a_code_two_categories_share_is_refused_when_the_row_does_not_say_which(
    importer, shared_codes
):
    row = {k: v for k, v in ROWS[0].items() if k != "category"}
    job = _apply(importer, jsonl([dict(row, fault_codes=["E1"])]))
    assert job.refused == 1 and not Article.objects.exists()
    detail = job.issues.get().params["detail"]
    assert "KFR-35GW" in detail and "ac, wh" in detail
    # Said with the code's own category, it is found.
    named = dict(
        row,
        models=[{"category": "wh", "code": "KFR-35GW"}],
        fault_codes=[{"category": "ac", "code": "E1"}],
    )
    job = _apply(importer, jsonl([named]))
    assert (job.applied, job.refused) == (1, 0)
    article = Article.objects.get()
    assert list(article.product_models.all()) == [shared_codes["wh_model"]]
    assert list(article.fault_codes.all()) == [shared_codes["ac_fault"]]


def test_a_code_missing_from_the_articles_category_is_refused_not_taken_elsewhere(
    importer, shared_codes
):
    shared_codes["wh_model"].delete()
    job = _apply(importer, jsonl([dict(ROWS[0], category="wh")]))
    assert job.refused == 1 and not Article.objects.exists()
    assert "KFR-35GW" in job.issues.get().params["detail"]


def test_a_malformed_code_entry_is_refused_by_the_check():
    row = dict(ROWS[0], models=[{"code": "KFR-35GW"}], parts=[{"category": "ac", "code": "P"}])
    problems = fmt.check_rows(fmt.read_lines(jsonl([row])), set())[0].problems
    assert ("bad_value", {"field": "models", "value": str(row["models"])[:40]}) in problems
    assert ("bad_value", {"field": "parts", "value": str(row["parts"])[:40]}) in problems


def test_articles_linking_shared_codes_round_trip_into_an_empty_company(
    importer, shared_codes, make_user
):
    """Export writes a code of another category with its category; the import of the export
    into a company with the same catalogue links the same records."""
    from aftersales.accounts.choices import Role
    from aftersales.accounts.models import Company
    from aftersales.catalog.models import FaultCode, ProductCategory, ProductModel
    from aftersales.imports.replay import import_actor
    from aftersales.knowledge.actions import article_create

    ac = shared_codes["ac_model"].category
    writer = import_actor(ac.company)  # a service manager
    article_create(
        actor=writer,
        kind="solution",
        title="两类同号",
        category=ac,
        product_models=[shared_codes["ac_model"], shared_codes["wh_model"]],
        fault_codes=[shared_codes["wh_fault"]],
    )
    article_create(
        actor=writer, kind="answer", title="无类", fault_codes=[shared_codes["ac_fault"]]
    )
    out = history_export(actor=importer)
    rows = [r for r in out.rows if r["kind"] == "article"]
    assert rows[0]["models"] == ["KFR-35GW", {"category": "wh", "code": "KFR-35GW"}]
    assert rows[0]["fault_codes"] == [{"category": "wh", "code": "E1"}]
    assert rows[1]["fault_codes"] == [{"category": "ac", "code": "E1"}]

    empty = Company.objects.create(name="新公司", code="new")
    for old in ProductCategory.objects.filter(company=ac.company):
        new = ProductCategory.objects.create(company=empty, code=old.code, name=old.name)
        for m in old.models.all():
            ProductModel.objects.create(category=new, code=m.code, name=m.name)
        for f in old.fault_codes.all():
            FaultCode.objects.create(category=new, code=f.code, symptom=f.symptom)
    admin = make_user(Role.ADMIN, company=empty)
    job = actions.history_import_create(actor=admin, name="rt.jsonl", data=out.text().encode())
    job = actions.history_import_apply(import_id=job.pk)
    assert job.refused == 0, list(job.issues.values_list("params", flat=True))

    def links(company: Any) -> list[Any]:
        return [
            (
                a.title,
                sorted((m.category.code, m.code) for m in a.product_models.all()),
                sorted((f.category.code, f.code) for f in a.fault_codes.all()),
            )
            for a in Article.objects.filter(company=company).order_by("title")
        ]

    assert links(empty) == links(ac.company)


def test_an_article_keeps_its_author_through_import_and_export(importer, tech):
    """The source's author (a member of staff here, through the staff map like technicians)
    writes the draft; the export names them; an author nobody here is refuses the row."""
    rows = [
        dict(ROWS[0], author="wang"),
        dict(ROWS[0], id="KB-2", title="外机异响", author="nobody"),
        ROWS[1],
    ]
    job = actions.history_import_create(
        actor=importer, name="kb.jsonl", data=jsonl(rows).encode(), staff={"wang": tech.username}
    )
    done = actions.history_import_apply(import_id=job.pk)
    assert (done.applied, done.refused) == (2, 1), list(done.issues.values_list("line", "params"))
    refused = done.issues.get()
    assert refused.line == 2 and "nobody" in refused.params["detail"]
    article = Article.objects.get()
    assert article.author == tech and article.status == "in_review"
    created = ArticleEvent.objects.get(article=article, action="created")
    assert created.actor == tech and created.source == "import"
    exported = [r for r in history_export(actor=importer).rows if r["kind"] == "article"]
    assert [r.get("author") for r in exported] == [tech.username]
