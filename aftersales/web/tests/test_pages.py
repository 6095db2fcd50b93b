"""Pages: scope by id, forms through the actions, language, login throttling."""

import pytest

from aftersales.accounts.choices import Role
from aftersales.customers.models import Customer, InstalledUnit


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.STATION_MANAGER])
def test_station_user_pages_hide_other_stations(role, data, make_user, login):
    client = login(make_user(role, station=data["s1"]))
    c2, u2 = data["c2"].pk, data["u2"].pk
    for path in [
        f"/customers/{c2}/",
        f"/customers/{c2}/edit/",
        f"/units/{u2}/",
        f"/units/{u2}/edit/",
        f"/customers/{c2}/units/new/",
    ]:
        response = client.get(path)
        assert response.status_code in (403, 404), path
    assert client.post(f"/customers/{c2}/phone/").status_code == 404
    assert client.post(
        f"/units/{u2}/edit/",
        {"serial": "HACK", "product_model": data["model"].pk, "status": "in_service", "version": 1},
    ).status_code in (403, 404)
    data["u2"].refresh_from_db()
    assert data["u2"].serial == "KF2401000002"
    listing = client.get("/units/").content.decode()
    assert "KF2401000001" in listing and "KF2401000002" not in listing


def test_customer_create_form_goes_through_the_action(data, agent, login):
    client = login(agent)
    response = client.post(
        "/customers/new/",
        {
            "name": "周杰",
            "phone": "13611112222",
            "kind": "person",
            "station": data["s1"].pk,
            "address_line": "上海市1号",
        },
    )
    customer = Customer.objects.get(phone="13611112222")
    assert response.status_code == 302 and response.url == f"/customers/{customer.pk}/"
    assert customer.region == data["east"]


def test_customer_create_form_shows_action_errors(data, agent, login):
    response = login(agent).post("/customers/new/", {"name": "", "phone": "1", "kind": "person"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "phone"}
    assert Customer.objects.count() == 2


def test_edit_form_keeps_the_masked_phone_unchanged(data, agent, login):
    client = login(agent)
    response = client.post(
        f"/customers/{data['c1'].pk}/edit/",
        {
            "name": "张三",
            "phone": "138****5678",
            "kind": "person",
            "notes": "VIP",
            "version": 1,
            "station": data["s1"].pk,
        },
    )
    assert response.status_code == 302
    data["c1"].refresh_from_db()
    assert data["c1"].phone == "13812345678" and data["c1"].notes == "VIP"


def test_unit_form_reports_duplicate_serial(data, agent, login):
    response = login(agent).post(
        f"/customers/{data['c2'].pk}/units/new/",
        {"product_model": data["model"].pk, "serial": "KF2401000001"},
    )
    assert response.status_code == 200
    assert "已登记" in response.content.decode()
    assert InstalledUnit.objects.count() == 2


def test_unit_page_shows_history(data, agent, login):
    from aftersales.customers import actions

    actions.unit_update(actor=agent, unit=data["u1"], version=1, voucher_no="SB-9")
    page = login(agent).get(f"/units/{data['u1'].pk}/").content.decode()
    # The action by its label (issue 14), no longer the code unit.update.
    assert "修改：设备档案" in page and "SB-9" in page and "unit.update" not in page


def test_reveal_phone_fragment(data, agent, login):
    response = login(agent).post(f"/customers/{data['c1'].pk}/phone/")
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()


def test_list_page_uses_a_constant_number_of_queries(
    data, agent, login, django_assert_max_num_queries
):
    from aftersales.customers import actions

    client = login(agent)
    for i in range(30):
        actions.unit_create(
            actor=agent, customer=data["c1"], product_model=data["model"], serial=f"Q-{i}"
        )
    with django_assert_max_num_queries(8):
        response = client.get("/units/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="unit-link"') == 25


def test_language_switch(data, agent, login):
    client = login(agent)
    assert "客户" in client.get("/customers/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    page = client.get("/customers/").content.decode()
    assert "New customer" in page and "新建客户" not in page


def test_login_page_lists_demo_accounts(db, client, settings, tmp_path):
    import json

    settings.DATA_DIR = tmp_path
    (tmp_path / "demo_accounts.json").write_text(
        json.dumps([{"role": "agent", "username": "agent", "password": "pw-1"}])
    )
    page = client.get("/login/").content.decode()
    assert "演示账号" in page and "客服坐席" in page and "pw-1" in page


def test_login_is_throttled_after_repeated_failures(org_tree, make_user, client):
    user = make_user(Role.AGENT)
    for _ in range(5):
        client.post("/login/", {"username": user.username, "password": "wrong"})
    response = client.post("/login/", {"username": user.username, "password": "pw-for-tests-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_succeeds_with_the_right_password(org_tree, make_user, client):
    user = make_user(Role.AGENT)
    response = client.post("/login/", {"username": user.username, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_security_headers(client, db):
    response = client.get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
