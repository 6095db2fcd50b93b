"""Knowledge API: search, article CRUD through the actions, steps, feedback, suggestions for an
order, a case from an order, solved on the phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_search_finds_a_two_character_word(api, people, publish):
    publish("压缩机不启动", "检查电容")
    res = api(people["tech"]).get("/knowledge/search?q=压缩")
    assert res.status_code == 200
    assert [h["title"] for h in res.json()] == ["压缩机不启动"]


def test_article_crud_and_lifecycle(api, people, data):
    tech, manager = api(people["tech"]), api(people["service_manager"])
    res = tech.post(
        "/knowledge/articles",
        {
            "kind": "solution",
            "title": "外机不转",
            "body": "## 检查\n\n<script>x</script>",
            "tags": "空调,风扇",
            "product_model_ids": [data["model"].pk],
        },
    )
    assert res.status_code == 201, res.json()
    art = res.json()
    assert art["status"] == "draft" and art["tags"] == ["空调", "风扇"]
    assert "<script>" not in art["body_html"]
    res = tech.patch(
        f"/knowledge/articles/{art['id']}", {"version": art["version"], "title": "外机风扇不转"}
    )
    assert res.status_code == 200 and res.json()["revision"] == 2
    assert tech.post(f"/knowledge/articles/{art['id']}/submit", {}).json()["status"] == "in_review"
    assert tech.post(f"/knowledge/articles/{art['id']}/publish", {}).status_code == 403
    res = manager.post(f"/knowledge/articles/{art['id']}/publish", {})
    assert res.json()["status"] == "published"
    assert api(people["agent"]).get(f"/knowledge/articles/{art['id']}").status_code == 200


def test_drafts_are_404_to_others(api, people):
    res = api(people["tech"]).post("/knowledge/articles", {"kind": "answer", "title": "草稿"})
    pk = res.json()["id"]
    assert api(people["agent"]).get(f"/knowledge/articles/{pk}").status_code == 404
    assert api(people["service_manager"]).get(f"/knowledge/articles/{pk}").status_code == 200


def test_bad_input_is_a_422_with_fields(api, people):
    res = api(people["tech"]).post("/knowledge/articles", {"kind": "poem", "title": ""})
    assert res.status_code == 422
    assert set(res.json()["details"]["fields"]) >= {"kind", "title"}


def test_feedback_and_suggestions_for_an_order(api, people, publish, new_order, data):
    art = publish("外机不转怎么办", "检查电容", product_models=[data["model"]])
    order = new_order(fault_description="空调外机不转")
    agent = api(people["agent"])
    res = agent.get(f"/orders/{order.pk}/knowledge")
    assert [h["id"] for h in res.json()] == [art.pk]
    res = agent.post(
        f"/knowledge/articles/{art.pk}/feedback", {"helped": True, "order_id": order.pk}
    )
    assert res.status_code == 201


def test_solved_by_phone_closes_the_order(api, people, publish, new_order):
    art = publish("遥控器没反应", "换电池")
    order = new_order(fault_description="遥控器没反应")
    res = api(people["agent"]).post(f"/orders/{order.pk}/solved-by-phone", {"article_id": art.pk})
    assert res.status_code == 200 and res.json()["status"] == "closed"
    res = api(people["agent"]).post(f"/orders/{order.pk}/solved-by-phone", {"article_id": art.pk})
    assert res.status_code == 409


def test_case_from_an_open_order_is_refused(api, people, new_order):
    order = new_order()
    res = api(people["agent"]).post(f"/orders/{order.pk}/knowledge-case", {})
    assert res.status_code == 409 and res.json()["code"] == "order_not_done"
