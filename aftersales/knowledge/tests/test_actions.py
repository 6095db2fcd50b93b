"""Articles: lifecycle by role with events, versions, drafts' visibility, safe Markdown,
cases from orders without personal data, feedback, solved on the phone."""

from __future__ import annotations

import pytest

from aftersales.core.errors import ApplicationError
from aftersales.knowledge import actions
from aftersales.knowledge.markdown import render
from aftersales.knowledge.models import Article, ArticleEvent, ArticlePhoto
from aftersales.knowledge.selectors import articles_visible_to

pytestmark = pytest.mark.django_db


def draft(person, **kw):
    kw.setdefault("kind", "solution")
    kw.setdefault("title", "压缩机不启动")
    kw.setdefault("body", "检查电容")
    return actions.article_create(actor=person, **kw)


@pytest.mark.parametrize("role", ["agent", "tech", "station_manager", "service_manager"])
def test_agents_technicians_and_managers_write_drafts(people, role):
    art = draft(people[role])
    assert art.status == "draft"
    assert [e.action for e in art.events.all()] == ["created"]
    assert art.versions.count() == 1


@pytest.mark.parametrize("role", ["dispatcher", "finance", "department_head", "admin"])
def test_other_roles_do_not_write(people, role):
    with pytest.raises(ApplicationError) as err:
        draft(people[role])
    assert err.value.code == "forbidden"


def test_lifecycle_draft_review_published_retired_with_events(people):
    art = draft(people["tech"])
    actions.article_transition(actor=people["tech"], article=art, verb="submit")
    actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
    actions.article_transition(
        actor=people["service_manager"], article=art, verb="retire", reason="型号停产"
    )
    art.refresh_from_db()
    assert art.status == "retired"
    assert art.published_at is not None
    steps = [
        (e.action, e.from_status, e.to_status) for e in ArticleEvent.objects.filter(article=art)
    ]
    assert steps == [
        ("created", "", "draft"),
        ("submit", "draft", "in_review"),
        ("publish", "in_review", "published"),
        ("retire", "published", "retired"),
    ]


@pytest.mark.parametrize("role", ["agent", "tech", "station_manager"])
@pytest.mark.parametrize("verb", ["publish", "return", "retire"])
def test_only_the_service_manager_publishes_returns_and_retires(people, role, verb):
    art = draft(people[role])
    actions.article_transition(actor=people[role], article=art, verb="submit")
    with pytest.raises(ApplicationError) as err:
        actions.article_transition(actor=people[role], article=art, verb=verb, reason="x")
    assert err.value.code == "forbidden"


def test_return_needs_a_reason(people):
    art = draft(people["tech"])
    actions.article_transition(actor=people["tech"], article=art, verb="submit")
    with pytest.raises(ApplicationError) as err:
        actions.article_transition(actor=people["service_manager"], article=art, verb="return")
    assert err.value.code == "reason_required"


def test_drafts_are_visible_to_their_author_and_reviewers_only(people):
    art = draft(people["tech"])
    assert articles_visible_to(people["tech"]).filter(pk=art.pk).exists()
    assert articles_visible_to(people["service_manager"]).filter(pk=art.pk).exists()
    for other in ("agent", "tech_b", "station_manager", "dispatcher"):
        assert not articles_visible_to(people[other]).filter(pk=art.pk).exists()
    actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
    assert articles_visible_to(people["agent"]).filter(pk=art.pk).exists()


def test_someone_else_cannot_submit_or_edit_a_draft(people):
    art = draft(people["tech"])
    with pytest.raises(ApplicationError) as err:
        actions.article_update(actor=people["tech_b"], article=art, title="改")
    assert err.value.code == "not_found"  # not even visible


def test_author_cannot_edit_once_published_but_the_reviewer_can(people):
    art = draft(people["tech"])
    actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
    with pytest.raises(ApplicationError) as err:
        actions.article_update(actor=people["tech"], article=art, title="改")
    assert err.value.code == "not_editable"
    actions.article_update(actor=people["service_manager"], article=art, body="新的检查顺序")
    art.refresh_from_db()
    assert art.status == "published"


def test_edits_keep_every_version_with_who_and_when(people):
    art = draft(people["tech"], title="v1")
    actions.article_update(actor=people["tech"], article=art, title="v2", version=art.version)
    actions.article_update(actor=people["service_manager"], article=art, body="b3")
    art.refresh_from_db()
    assert art.revision == 3
    assert [(v.number, v.title, v.edited_by) for v in art.versions.all()] == [
        (3, "v2", people["service_manager"]),
        (2, "v2", people["tech"]),
        (1, "v1", people["tech"]),
    ]
    assert [e.action for e in art.events.all()] == ["created", "edited", "edited"]


def test_stale_version_is_refused(people):
    art = draft(people["tech"])
    actions.article_update(actor=people["tech"], article=art, title="新")
    with pytest.raises(ApplicationError) as err:
        actions.article_update(actor=people["tech"], article=art, title="旧", version=1)
    assert err.value.code == "stale_version"


def test_links_must_belong_to_the_company(people, data):
    with pytest.raises(ApplicationError) as err:
        draft(people["tech"], product_models=[data["other_model"]])
    assert "product_models" in err.value.details["fields"]


def test_publishing_needs_a_text(people):
    art = draft(people["tech"], body="")
    with pytest.raises(ApplicationError) as err:
        actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
    assert err.value.code == "incomplete"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](http://example.com/a.png)",
        '<iframe src="http://example.com"></iframe>',
        "<div onclick=alert(1)>hi</div>",
    ],
)
def test_markdown_lets_no_html_or_script_through(source):
    html = render(source)
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<div" not in html
    assert 'href="javascript' not in html.lower()
    assert 'href="data' not in html.lower()


def test_plain_snippet_is_text_not_markup():
    from aftersales.knowledge.markdown import plain

    assert plain("## 检查\n\n1. 电容 <script>x</script>") == "检查 电容 <script>x</script>"


def test_markdown_renders_headings_lists_links_and_tables():
    html = render(
        "## 检查\n\n1. 电容\n2. 绕组\n\n[手册](https://example.com/m)\n\n|a|b|\n|-|-|\n|1|2|"
    )
    assert '<h2 class="h5 mt-3">检查</h2>' in html
    assert "<ol>" in html
    assert 'href="https://example.com/m"' in html and "noopener" in html
    assert "<table class=" in html


# --- cases from orders -----------------------------------------------------------------------


@pytest.fixture
def done_order(new_order, walk, people, data, codes):
    from aftersales.customers.models import Contact
    from aftersales.fieldwork import actions as field
    from aftersales.fieldwork.tests.fixtures import drawn_signature

    Contact.objects.create(customer=data["c1"], name="王小明", phone="13700001111")
    order = new_order(
        fault_description="张先生来电：空调不制冷，电话13812345678，地址上海市浦东新区世纪大道100号"
    )
    order = walk(order, "arrive")
    tech = people["tech"]
    field.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=drawn_signature()
    )
    field.record_diagnosis(
        actor=tech,
        order=order,
        diagnosis="张三家外机电容鼓包，联系王小明 137 0000 1111 确认；机身号KF2401000001",
        cause="product_fault",
        work_done="更换电容，试机制冷正常",
        fault_codes=[codes["E4"].pk],
    )
    return field.visit_finish(actor=tech, order=order, result="fixed", signature=drawn_signature())


def test_a_completed_order_becomes_a_draft_case_in_one_step(people, done_order, data):
    art = actions.case_from_order(actor=people["tech"], order=done_order)
    assert art.kind == "case" and art.status == "draft" and art.author == people["tech"]
    assert "电容鼓包" in art.body and "更换电容" in art.body
    assert list(art.fault_codes.values_list("code", flat=True)) == ["E4"]
    assert list(art.product_models.all()) == [data["model"]]
    assert art.category == data["category"]
    assert art.source_order == done_order


def test_no_personal_data_reaches_the_case(people, done_order, data):
    art = actions.case_from_order(actor=people["tech"], order=done_order)
    text = art.title + art.body + art.tags + art.search_title + art.search_body
    for secret in [
        "张三",
        "张先生",
        "王小明",
        "13812345678",
        "13700001111",
        "137 0000 1111",
        "世纪大道",
        "上海市浦东新区",
        "KF2401000001",
        "李四",
    ]:
        assert secret not in text, secret
    for v in art.versions.all():
        assert "13812345678" not in v.body and "张三" not in v.body


def test_an_open_order_cannot_become_a_case(people, new_order):
    with pytest.raises(ApplicationError) as err:
        actions.case_from_order(actor=people["agent"], order=new_order())
    assert err.value.code == "order_not_done"


def test_one_case_per_order(people, done_order):
    actions.case_from_order(actor=people["tech"], order=done_order)
    with pytest.raises(ApplicationError) as err:
        actions.case_from_order(actor=people["service_manager"], order=done_order)
    assert err.value.code == "case_exists"


def test_the_case_carries_the_visit_photos(people, done_order):
    from aftersales.fieldwork.models import ServiceRecord, SitePhoto

    rec = ServiceRecord.objects.filter(order=done_order).first()
    SitePhoto.objects.create(
        record=rec,
        order=done_order,
        kind="before",
        stored_name="abc.jpg",
        original_name="IMG_1.jpg",
        content_type="image/jpeg",
        size=10,
        uploaded_by=people["tech"],
    )
    art = actions.case_from_order(actor=people["tech"], order=done_order)
    assert list(ArticlePhoto.objects.filter(article=art).values_list("stored_name", flat=True)) == [
        "abc.jpg"
    ]


def test_the_manager_marks_a_published_case_as_featured(people, done_order):
    art = actions.case_from_order(actor=people["tech"], order=done_order)
    with pytest.raises(ApplicationError):
        actions.article_feature(actor=people["service_manager"], article=art)
    actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
    with pytest.raises(ApplicationError) as err:
        actions.article_feature(actor=people["tech"], article=art)
    assert err.value.code == "forbidden"
    actions.article_feature(actor=people["service_manager"], article=art)
    art.refresh_from_db()
    assert art.is_featured
    assert art.events.last().action == "featured"


# --- feedback, solved on the phone -----------------------------------------------------------


def test_feedback_once_per_person_and_order(people, publish, new_order):
    art = publish("漏水")
    order = new_order()
    actions.article_feedback(actor=people["agent"], article=art, helped=True, order=order)
    with pytest.raises(ApplicationError) as err:
        actions.article_feedback(actor=people["agent"], article=art, helped=False, order=order)
    assert err.value.code == "feedback_given"
    actions.article_feedback(actor=people["tech"], article=art, helped=False)
    art.refresh_from_db()
    assert (art.helped_count, art.not_helped_count) == (1, 1)


def test_solved_on_the_phone_closes_the_order_with_its_event(people, publish, new_order):
    art = publish("遥控器失灵", "先换电池")
    order = new_order(fault_description="遥控器没反应")
    closed = actions.order_solved_by_phone(actor=people["agent"], order=order, article=art)
    assert closed.status == "closed"
    assert closed.completed_at is not None and closed.closed_at is not None
    event = closed.events.filter(action="solve_remotely").get()
    assert (event.from_status, event.to_status) == ("registered", "closed")
    assert "遥控器失灵" in event.reason
    art.refresh_from_db()
    assert art.helped_count == 1


def test_solved_on_the_phone_only_before_dispatch(people, publish, new_order, walk):
    art = publish("遥控器失灵")
    order = walk(new_order(), "dispatch")
    with pytest.raises(ApplicationError) as err:
        actions.order_solved_by_phone(actor=people["agent"], order=order, article=art)
    assert err.value.code == "illegal_transition"
    assert Article.objects.get(pk=art.pk).helped_count == 0


def test_synonym_list_is_edited_by_the_reviewer(people, publish):
    from aftersales.knowledge.selectors import article_search

    publish("机器冒烟")
    assert article_search(people["agent"], "起火") == []
    with pytest.raises(ApplicationError):
        actions.synonyms_update(actor=people["agent"], text="冒烟 / 起火")
    actions.synonyms_update(actor=people["service_manager"], text="冒烟 / 起火")
    assert [a.title for a, _s in article_search(people["agent"], "起火")] == ["机器冒烟"]


def test_solve_remotely_only_comes_with_an_article(people, new_order):
    from aftersales.orders.actions import order_transition

    with pytest.raises(ApplicationError) as err:
        order_transition(actor=people["agent"], order=new_order(), action="solve_remotely")
    assert err.value.code == "use_knowledge"
