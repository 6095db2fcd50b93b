"""The staff menu: built from one structure by role, every entry opens, each role lands on
its work page after signing in."""

import pytest

from aftersales.accounts.choices import Role
from aftersales.web.navigation import MENU, menu_for

pytestmark = pytest.mark.django_db

LANDINGS = {
    Role.TECHNICIAN: "/my/day/",
    Role.DISPATCHER: "/dispatch/",
    Role.AGENT: "/orders/new/",
    Role.STATION_MANAGER: "/orders/?queue=unassigned",
    Role.SERVICE_MANAGER: "/orders/?queue=open",
    Role.DEPARTMENT_HEAD: "/orders/?queue=open",
    Role.FINANCE: "/orders/?queue=open",
    Role.ADMIN: "/",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_work_page(client, make_user, role):
    user = make_user(role)
    response = client.post("/login/", {"username": user.username, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == LANDINGS[role]
    assert client.get(response["Location"]).status_code == 200


def test_a_next_page_wins_over_the_landing(client, make_user):
    user = make_user(Role.TECHNICIAN)
    response = client.post(
        "/login/?next=/units/", {"username": user.username, "password": "pw-for-tests-1"}
    )
    assert response["Location"] == "/units/"


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_entry_opens_for_the_role_that_sees_it(login, make_user, role):
    user = make_user(role)
    client = login(user)
    groups = menu_for(user)
    assert groups, role
    for group in groups:
        for entry in group["entries"]:
            assert client.get(entry["url"]).status_code == 200, (role, entry["name"])


def test_the_technician_menu_has_my_day_and_no_api_tokens(make_user):
    names = {e["name"] for g in menu_for(make_user(Role.TECHNICIAN)) for e in g["entries"]}
    assert "my-day" in names
    assert "token-list" not in names
    assert "audit-list" not in names


def test_a_manager_sees_settings_and_reports_and_no_my_day(make_user):
    groups = menu_for(make_user(Role.SERVICE_MANAGER))
    keys = [g["key"] for g in groups]
    assert keys == ["work", "planning", "stock", "people", "settings", "reports"]
    names = {e["name"] for g in groups for e in g["entries"]}
    assert {"token-list", "audit-list", "feedback-settings", "dispatch-board"} <= names
    assert "my-day" not in names


def test_the_current_page_marks_its_entry_and_group(make_user):
    groups = menu_for(make_user(Role.SERVICE_MANAGER), "/stock/requests/5/")
    active = [(g["key"], e["name"]) for g in groups for e in g["entries"] if e["active"]]
    assert active == [("stock", "stock-requests")]
    assert [g["key"] for g in groups if g["active"]] == ["stock"]


def test_every_menu_entry_names_a_url_and_has_a_label():
    from django.urls import reverse

    for group in MENU:
        assert str(group.label)
        for entry in group.entries:
            assert reverse(entry.url_name)
            assert str(entry.label)


def test_the_page_renders_the_groups_and_log_out(login, make_user):
    html = login(make_user(Role.SERVICE_MANAGER)).get("/").content.decode()
    assert 'data-testid="nav-settings"' in html
    assert 'data-testid="logout"' in html
    assert "工作" in html and "报表" in html


def test_the_favicon_is_linked_and_served(client):
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200
