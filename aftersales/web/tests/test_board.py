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
    assert "到场时限" in card or "分钟" in card
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
