"""The dispatch board as a dispatcher reads it: unplanned cards say where, when, how long and
which skills; visits are numbered in the day's order; the marks have a legend and draw without
an emoji font; Optimise is sent once."""

import pytest

from aftersales.dispatch.tests.fixtures import spot

pytestmark = pytest.mark.django_db


def test_an_unplanned_card_shows_address_due_time_duration_and_skills(
    login, crew, customer_order, soon
):
    order = customer_order(spot(1), required_skills={"ac": 2})
    client = login(crew["people"]["dispatcher"])
    board = client.get(f"/dispatch/?station={crew['station'].pk}&day={soon}").content.decode()
    card = board[board.index('data-testid="unplanned-order"') :]
    card = card[: card.index("</form>")]
    assert order.number in card
    assert "上海市测试路" in card  # the address
    assert "到场时限" in card  # the promised arrival
    assert "空调 L2" in card  # the skill by its name
    assert "分钟" in card  # the duration


def test_visits_are_numbered_and_the_marks_have_a_legend(login, crew, customer_order, soon):
    first, second = customer_order(spot(1)), customer_order(spot(2))
    client = login(crew["people"]["dispatcher"])
    for order, time in ((second, "14:00"), (first, "10:00")):
        client.post(
            "/dispatch/move/",
            {"order": order.pk, "day": soon, "technician": crew["skilled"].pk, "time": time},
        )
    board = client.get(f"/dispatch/?station={crew['station'].pk}&day={soon}").content.decode()
    row = board[board.index(f'data-technician="{crew["skilled"].pk}"') :]
    assert row.index("1. 客户") < row.index("2. 客户")
    assert 'data-testid="board-legend"' in board
    assert "⚠" not in board and "🔒" not in board
    assert "data-once" in board and "data-busy=" in board  # Optimise cannot be sent twice


def test_a_territory_boundary_is_pasted_as_lines_and_checked(login, crew, org_tree):
    from aftersales.dispatch.models import Territory
    from aftersales.web.dispatch import polygon_from_text

    assert polygon_from_text("121.4, 31.1\n121.6，31.1\n121.6 31.3") == [
        [121.4, 31.1],
        [121.6, 31.1],
        [121.6, 31.3],
    ]
    assert polygon_from_text("[[121.4, 31.1]]") == [[121.4, 31.1]]
    assert polygon_from_text("北 31.1") == "北 31.1"  # refused by the action, with its message
    client = login(crew["people"]["dispatcher"])
    base = {"op": "territory", "station": crew["station"].pk, "regions": [org_tree["east"].pk]}
    client.post("/dispatch/team/change/", {**base, "name": "两点", "polygon": "121.4, 31.1\n1, 2"})
    assert not Territory.objects.exists()
    page = client.post(
        "/dispatch/team/change/",
        {**base, "name": "徐汇", "polygon": "121.4, 31.1\n121.6, 31.1\n121.6, 31.3"},
        follow=True,
    ).content.decode()
    assert Territory.objects.get().polygon == [[121.4, 31.1], [121.6, 31.1], [121.6, 31.3]]
    t = Territory.objects.get()
    page = client.get(f"/dispatch/team/?station={crew['station'].pk}&territory={t.pk}")
    assert "121.4, 31.1\n121.6, 31.1" in page.content.decode()


def test_windows_after_the_promised_arrival_are_marked_and_the_reason_is_kept(
    login, crew, customer_order, soon
):
    import datetime as dt

    from django.utils import timezone

    order = customer_order(spot(2))
    order.arrive_due = timezone.now() + dt.timedelta(hours=1)
    order.save(update_fields=["arrive_due"])
    client = login(crew["people"]["agent"])
    html = client.get(f"/orders/{order.pk}/appointment/?first={soon.isoformat()}").content.decode()
    assert 'data-testid="arrive-due"' in html and 'data-late="1"' in html
    value = html.split('data-late="1"', 1)[0].rsplit('name="slot" value="', 1)[1].split('"')[0]
    client.post(
        f"/orders/{order.pk}/appointment/",
        {"slot": value, "version": order.version, "reason": "客户出差，下周才在家"},
    )
    event = order.events.order_by("-id").first()
    assert event.reason == "客户出差，下周才在家"
