"""Organisation, user, technician and API-token actions, called directly.

These actions take no permission of their own: they are called by the demo, the history
import, the system accounts of other apps and the tokens page (whose user acts on their own
tokens only), so what they guard is the data (field errors, one company's rows kept from
another's, the token owner) rather than a role.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from aftersales.accounts import actions
from aftersales.accounts.choices import Role
from aftersales.accounts.models import (
    ApiToken,
    Company,
    Region,
    Skill,
    Station,
    TechnicianProfile,
    TechnicianSkill,
    User,
)
from aftersales.calendars.models import CalendarDay
from aftersales.core import clock, holidays
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.models import AuditEntry
from aftersales.core.validation import ValidationFailed
from aftersales.orders import sla
from aftersales.orders.models import SlaPolicy


def audit_of(obj, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    )


def new_user(org_tree, username: str = "wang", **kw) -> User:
    fields = {
        "actor": None,
        "username": username,
        "password": "pw-for-tests-1",
        "role": Role.AGENT,
        "company": org_tree["company"],
    }
    fields.update(kw)
    return actions.user_create(**fields)


# --- companies -------------------------------------------------------------------------------


def test_company_create_saves_the_company_and_an_audit_entry(db):
    company = actions.company_create(actor=None, name="新电器", code="new", hotline="400-800")
    company.refresh_from_db()
    assert (company.name, company.code, company.hotline) == ("新电器", "new", "400-800")
    entry = audit_of(company, "company.create")
    assert entry.actor is None
    assert entry.changes == {"name": [None, "新电器"]}


def test_company_create_records_the_acting_user(org_tree, make_user):
    admin = make_user(Role.ADMIN)
    company = actions.company_create(actor=admin, name="新电器", code="new")
    assert audit_of(company, "company.create").actor == admin


def test_new_company_gets_the_default_service_levels_and_recent_holiday_schedules(db):
    company = actions.company_create(actor=None, name="新电器", code="new")
    policies = SlaPolicy.objects.filter(company=company)
    assert policies.count() == len(sla.DEFAULT_RULES)
    assert set(policies.values_list("name", flat=True)) == {r.name for r in sla.DEFAULT_RULES}
    since = timezone.localdate().year - 2
    expected_years = {y for y in holidays.published_years() if y >= since}
    loaded_years = {
        d.year for d in CalendarDay.objects.filter(company=company).values_list("date", flat=True)
    }
    assert expected_years, "the holiday package should know a recent year"
    assert loaded_years == expected_years


def test_new_company_seeds_only_its_own_rows(org_tree):
    before = SlaPolicy.objects.filter(company=org_tree["company"]).count()
    days_before = CalendarDay.objects.filter(company=org_tree["company"]).count()
    actions.company_create(actor=None, name="新电器", code="new")
    assert SlaPolicy.objects.filter(company=org_tree["company"]).count() == before
    assert CalendarDay.objects.filter(company=org_tree["company"]).count() == days_before


@pytest.mark.parametrize(
    "name, code", [("测试电器", "fresh"), ("另一家", "test")], ids=["same-name", "same-code"]
)
def test_company_with_a_taken_name_or_code_is_refused(org_tree, name, code):
    with pytest.raises((IntegrityError, ApplicationError)):
        actions.company_create(actor=None, name=name, code=code)
    assert Company.objects.count() == 2
    assert AuditEntry.objects.filter(action="company.create").count() == 2


def test_company_with_a_taken_code_is_refused_with_a_field_error(org_tree):
    with pytest.raises(ValidationFailed) as exc:
        actions.company_create(actor=None, name="另一家", code="test")
    assert "code" in exc.value.errors


# --- regions ---------------------------------------------------------------------------------


def test_region_create_belongs_to_its_company_and_is_audited(org_tree):
    region = actions.region_create(
        actor=None, company=org_tree["company"], name="华南", code="south"
    )
    assert Region.objects.get(pk=region.pk).company == org_tree["company"]
    assert audit_of(region, "region.create").changes == {"name": [None, "华南"]}


def test_region_code_may_repeat_in_another_company(org_tree):
    # The other company already has region "x"; this company may have one too.
    region = actions.region_create(actor=None, company=org_tree["company"], name="X", code="x")
    assert Region.objects.filter(code="x").count() == 2
    assert region.company == org_tree["company"]


def test_region_code_taken_in_the_same_company_is_refused(org_tree):
    with pytest.raises((IntegrityError, ApplicationError)):
        actions.region_create(actor=None, company=org_tree["company"], name="又一个", code="east")
    assert Region.objects.filter(company=org_tree["company"], code="east").count() == 1


def test_region_code_taken_in_the_same_company_is_a_field_error(org_tree):
    with pytest.raises(ValidationFailed) as exc:
        actions.region_create(actor=None, company=org_tree["company"], name="又一个", code="east")
    assert "code" in exc.value.errors


# --- stations --------------------------------------------------------------------------------


def test_station_create_takes_its_company_from_the_region(org_tree):
    station = actions.station_create(
        actor=None,
        region=org_tree["other_region"],
        name="别家一站",
        code="o-1",
        address="杭州市",
        phone="0571-1234",
        latitude=30.2,
        longitude=120.1,
    )
    station.refresh_from_db()
    assert station.company == org_tree["other"]
    assert station.region == org_tree["other_region"]
    assert (station.address, station.phone, station.latitude, station.longitude) == (
        "杭州市",
        "0571-1234",
        30.2,
        120.1,
    )
    assert station.is_active is True
    assert audit_of(station, "station.create").changes == {"name": [None, "别家一站"]}


def test_station_code_may_repeat_in_another_company(org_tree):
    actions.station_create(actor=None, region=org_tree["other_region"], name="别家", code="sh-1")
    assert set(Station.objects.filter(code="sh-1").values_list("company__code", flat=True)) == {
        "test",
        "other",
    }


def test_station_code_taken_in_the_same_company_is_refused(org_tree):
    # Another region, same company: codes are unique per company, not per region.
    with pytest.raises((IntegrityError, ApplicationError)):
        actions.station_create(actor=None, region=org_tree["north"], name="重复", code="sh-1")
    assert Station.objects.filter(company=org_tree["company"], code="sh-1").count() == 1


def test_station_code_taken_in_the_same_company_is_a_field_error(org_tree):
    with pytest.raises(ValidationFailed) as exc:
        actions.station_create(actor=None, region=org_tree["north"], name="重复", code="sh-1")
    assert "code" in exc.value.errors


# --- users -----------------------------------------------------------------------------------


def test_user_create_saves_a_company_wide_user_with_a_hashed_password(org_tree, make_user):
    admin = make_user(Role.ADMIN)
    user = new_user(
        org_tree,
        actor=admin,
        first_name="小美",
        last_name="王",
        phone="13800000000",
        password="a-good-secret-9",
    )
    user.refresh_from_db()
    assert (user.role, user.company, user.region, user.station) == (
        Role.AGENT,
        org_tree["company"],
        None,
        None,
    )
    assert user.get_full_name() == "王小美"
    assert user.phone == "13800000000"
    assert user.password != "a-good-secret-9"
    assert user.check_password("a-good-secret-9")
    assert not user.check_password("wrong")
    assert user.is_active
    entry = audit_of(user, "user.create")
    assert entry.actor == admin
    assert entry.changes == {"role": [None, Role.AGENT]}
    assert "a-good-secret-9" not in str(entry.changes)


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.STATION_MANAGER])
def test_station_people_take_their_stations_region(org_tree, role):
    user = new_user(org_tree, role=role, station=org_tree["s2"])
    assert (user.station, user.region) == (org_tree["s2"], org_tree["north"])
    assert user.is_station_user


def test_an_office_role_tied_to_a_station_takes_its_region(org_tree):
    user = new_user(org_tree, role=Role.DISPATCHER, station=org_tree["s1"])
    assert (user.station, user.region) == (org_tree["s1"], org_tree["east"])
    assert not user.is_station_user


def test_a_regional_user_has_a_region_and_no_station(org_tree):
    user = new_user(org_tree, role=Role.SERVICE_MANAGER, region=org_tree["north"])
    assert (user.region, user.station) == (org_tree["north"], None)


def test_unknown_role_is_refused(org_tree):
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role="superhero")
    assert exc.value.code == "invalid"
    assert exc.value.status == 422
    assert set(exc.value.errors) == {"role"}
    assert not User.objects.filter(username="wang").exists()


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.STATION_MANAGER])
def test_station_people_without_a_station_are_refused(org_tree, role):
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role=role, region=org_tree["east"])
    assert set(exc.value.errors) == {"station"}
    assert not User.objects.filter(username="wang").exists()


def test_a_station_of_another_company_is_refused(org_tree):
    foreign = actions.station_create(
        actor=None, region=org_tree["other_region"], name="别家一站", code="o-1"
    )
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role=Role.TECHNICIAN, station=foreign)
    assert set(exc.value.errors) == {"station"}
    assert not User.objects.filter(username="wang").exists()


def test_a_taken_username_is_refused_and_the_holder_is_untouched(org_tree):
    first = new_user(org_tree, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role=Role.AGENT, company=org_tree["other"], password="another-pw-77")
    assert set(exc.value.errors) == {"username"}
    first.refresh_from_db()
    assert (first.role, first.company) == (Role.ADMIN, org_tree["company"])
    assert first.check_password("pw-for-tests-1")
    assert User.objects.filter(username="wang").count() == 1


def test_field_errors_are_reported_together(org_tree):
    new_user(org_tree)
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role="superhero")
    assert set(exc.value.errors) == {"role", "username"}
    assert set(exc.value.details["fields"]) == {"role", "username"}


def test_a_refused_user_writes_no_audit_entry(org_tree):
    with pytest.raises(ValidationFailed):
        new_user(org_tree, role=Role.TECHNICIAN)
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_a_region_of_another_company_is_refused(org_tree):
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role=Role.SERVICE_MANAGER, region=org_tree["other_region"])
    assert set(exc.value.errors) == {"region"}


def test_a_region_other_than_the_stations_is_refused(org_tree):
    # s1 is in the east region.
    with pytest.raises(ValidationFailed) as exc:
        new_user(org_tree, role=Role.TECHNICIAN, station=org_tree["s1"], region=org_tree["north"])
    assert set(exc.value.errors) == {"region"}


# --- technician profiles ---------------------------------------------------------------------


@pytest.fixture
def skills(org_tree):
    company = org_tree["company"]
    return {
        "ac": Skill.objects.create(company=company, code="ac", name="空调"),
        "wm": Skill.objects.create(company=company, code="wm", name="洗衣机"),
        "tv": Skill.objects.create(company=company, code="tv", name="电视"),
        "foreign": Skill.objects.create(company=org_tree["other"], code="ac", name="别家空调"),
    }


def test_profile_set_creates_the_profile_at_the_technicians_station(make_user, skills, org_tree):
    tech = make_user(Role.TECHNICIAN, station=org_tree["s2"])
    actor = make_user(Role.STATION_MANAGER, station=org_tree["s2"])
    profile = actions.technician_profile_set(
        actor=actor,
        user=tech,
        skills={skills["ac"]: 3, skills["wm"]: 1},
        home_address="北京市海淀区",
        home_latitude=39.9,
        home_longitude=116.3,
        work_start=dt.time(8, 30),
        work_end=dt.time(17, 0),
        max_visits_per_day=6,
    )
    profile.refresh_from_db()
    assert profile.user == tech and profile.station == org_tree["s2"]
    assert (profile.home_address, profile.home_latitude, profile.home_longitude) == (
        "北京市海淀区",
        39.9,
        116.3,
    )
    assert (profile.work_start, profile.work_end, profile.max_visits_per_day) == (
        dt.time(8, 30),
        dt.time(17, 0),
        6,
    )
    levels = {ts.skill.code: ts.level for ts in TechnicianSkill.objects.filter(technician=profile)}
    assert levels == {"ac": 3, "wm": 1}
    entry = audit_of(profile, "technician.set")
    assert entry.actor == actor
    assert entry.changes == {"skills": [None, {"ac": 3, "wm": 1}]}


def test_profile_defaults_to_a_nine_to_six_day_of_eight_visits(make_user):
    profile = actions.technician_profile_set(actor=None, user=make_user(Role.TECHNICIAN), skills={})
    assert (profile.work_start, profile.work_end, profile.max_visits_per_day) == (
        dt.time(9, 0),
        dt.time(18, 0),
        8,
    )
    assert not profile.skills.exists()


def test_skill_levels_are_kept_between_one_and_five(make_user, skills):
    tech = make_user(Role.TECHNICIAN)
    profile = actions.technician_profile_set(
        actor=None, user=tech, skills={skills["ac"]: 9, skills["wm"]: 0, skills["tv"]: -3}
    )
    levels = {ts.skill.code: ts.level for ts in TechnicianSkill.objects.filter(technician=profile)}
    assert levels == {"ac": 5, "wm": 1, "tv": 1}


def test_profile_set_again_replaces_the_skills_and_keeps_one_profile(make_user, skills):
    tech = make_user(Role.TECHNICIAN)
    first = actions.technician_profile_set(
        actor=None, user=tech, skills={skills["ac"]: 2, skills["wm"]: 2}, max_visits_per_day=8
    )
    second = actions.technician_profile_set(
        actor=None, user=tech, skills={skills["tv"]: 4}, max_visits_per_day=5
    )
    assert second.pk == first.pk
    assert TechnicianProfile.objects.filter(user=tech).count() == 1
    assert list(second.skills.values_list("code", flat=True)) == ["tv"]
    assert TechnicianProfile.objects.get(user=tech).max_visits_per_day == 5
    assert AuditEntry.objects.filter(action="technician.set", object_id=str(first.pk)).count() == 2


def test_profile_follows_the_technician_to_a_new_station(make_user, org_tree):
    tech = make_user(Role.TECHNICIAN, station=org_tree["s1"])
    actions.technician_profile_set(actor=None, user=tech, skills={})
    tech.station = org_tree["s2"]
    tech.save(update_fields=["station"])
    profile = actions.technician_profile_set(actor=None, user=tech, skills={})
    assert TechnicianProfile.objects.get(pk=profile.pk).station == org_tree["s2"]


@pytest.mark.parametrize(
    "role", [Role.STATION_MANAGER, Role.DISPATCHER, Role.AGENT, Role.ADMIN], ids=str
)
def test_profile_set_refuses_anyone_but_a_technician(make_user, skills, role):
    user = make_user(role)
    with pytest.raises(ApplicationError) as exc:
        actions.technician_profile_set(actor=None, user=user, skills={skills["ac"]: 3})
    assert exc.value.code == "not_a_technician"
    assert exc.value.status == 400
    assert not TechnicianProfile.objects.exists()
    assert not TechnicianSkill.objects.exists()


def test_profile_set_refuses_a_technician_without_a_station(make_user):
    tech = make_user(Role.TECHNICIAN)
    User.objects.filter(pk=tech.pk).update(station=None)
    tech.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        actions.technician_profile_set(actor=None, user=tech, skills={})
    assert exc.value.code == "not_a_technician"
    assert not TechnicianProfile.objects.exists()


@pytest.mark.parametrize(
    "start, end", [(dt.time(9), dt.time(9)), (dt.time(18), dt.time(9))], ids=["equal", "reversed"]
)
def test_profile_set_refuses_a_day_that_does_not_end_after_it_starts(make_user, start, end):
    tech = make_user(Role.TECHNICIAN)
    with pytest.raises(ApplicationError) as exc:
        actions.technician_profile_set(
            actor=None, user=tech, skills={}, work_start=start, work_end=end
        )
    assert exc.value.code == "invalid_hours"
    assert not TechnicianProfile.objects.exists()


def test_a_refused_profile_change_keeps_the_previous_one(make_user, skills):
    tech = make_user(Role.TECHNICIAN)
    actions.technician_profile_set(actor=None, user=tech, skills={skills["ac"]: 2})
    with pytest.raises(ApplicationError):
        actions.technician_profile_set(
            actor=None, user=tech, skills={}, work_start=dt.time(18), work_end=dt.time(8)
        )
    profile = TechnicianProfile.objects.get(user=tech)
    assert (profile.work_start, profile.work_end) == (dt.time(9), dt.time(18))
    assert list(profile.skills.values_list("code", flat=True)) == ["ac"]


def test_profile_set_refuses_a_skill_of_another_company(make_user, skills):
    tech = make_user(Role.TECHNICIAN)
    with pytest.raises(ApplicationError):
        actions.technician_profile_set(actor=None, user=tech, skills={skills["foreign"]: 3})
    assert not TechnicianSkill.objects.filter(skill=skills["foreign"]).exists()


# --- API tokens ------------------------------------------------------------------------------


def bearer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def test_token_create_keeps_only_the_hash_and_returns_the_key_once(agent):
    token, key = actions.api_token_create(actor=agent, name="  报表  ")
    token.refresh_from_db()
    assert key.startswith("as_") and len(key) > 30
    assert token.key_hash == ApiToken.hash_key(key) != key
    assert token.prefix == key[:8]
    assert key not in {token.name, token.key_hash, token.prefix}
    assert (token.user, token.name, token.scope, token.expires_at, token.revoked) == (
        agent,
        "报表",
        "full",
        None,
        False,
    )
    entry = audit_of(token, "api_token.create")
    assert entry.actor == agent
    assert key not in str(entry.changes)


def test_each_token_gets_its_own_key(agent):
    (_a, key_a), (_b, key_b) = (
        actions.api_token_create(actor=agent, name="a"),
        actions.api_token_create(actor=agent, name="a"),
    )
    assert key_a != key_b
    assert ApiToken.objects.filter(user=agent).count() == 2


@pytest.mark.parametrize(
    "given, kept",
    [
        ("", "token"),
        ("长" * 150, "长" * 100),
        ("   ", "token"),
    ],
    ids=["empty", "too-long", "blank"],
)
def test_token_name_is_defaulted_and_cut_to_fit(agent, given, kept):
    token, _key = actions.api_token_create(actor=agent, name=given)
    assert ApiToken.objects.get(pk=token.pk).name == kept


def test_the_new_key_authenticates_as_its_user(agent):
    _token, key = actions.api_token_create(actor=agent, name="集成")
    response = bearer(key).get("/api/v1/orders")
    assert response.status_code == 200
    assert bearer(key + "x").get("/api/v1/orders").status_code == 401


def test_unknown_scope_is_refused(agent):
    with pytest.raises(ValidationFailed) as exc:
        actions.api_token_create(actor=agent, name="x", scope="admin")
    assert set(exc.value.errors) == {"scope"}
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("offset", [dt.timedelta(0), -dt.timedelta(minutes=1)], ids=["now", "past"])
def test_an_expiry_that_is_not_in_the_future_is_refused(agent, offset):
    moment = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    with clock.at(moment), pytest.raises(ValidationFailed) as exc:
        actions.api_token_create(actor=agent, name="x", expires_at=moment + offset)
    assert set(exc.value.errors) == {"expires_at"}
    assert not ApiToken.objects.exists()


def test_a_future_expiry_and_read_scope_are_kept(agent):
    moment = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    with clock.at(moment):
        token, _key = actions.api_token_create(
            actor=agent, name="x", scope="read", expires_at=moment + dt.timedelta(seconds=1)
        )
    token.refresh_from_db()
    assert (token.scope, token.expires_at) == ("read", moment + dt.timedelta(seconds=1))


def test_scope_and_expiry_errors_are_reported_together(agent):
    with pytest.raises(ValidationFailed) as exc:
        actions.api_token_create(
            actor=agent, name="x", scope="nope", expires_at=clock.now() - dt.timedelta(days=1)
        )
    assert set(exc.value.errors) == {"scope", "expires_at"}


def test_token_revoke_revokes_the_users_own_token(agent):
    token, key = actions.api_token_create(actor=agent, name="x")
    other, other_key = actions.api_token_create(actor=agent, name="y")
    actions.api_token_revoke(actor=agent, token_id=token.pk)
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked is True and other.revoked is False
    assert audit_of(token, "api_token.revoke").actor == agent
    assert bearer(key).get("/api/v1/orders").status_code == 401
    assert bearer(other_key).get("/api/v1/orders").status_code == 200


def test_token_revoke_accepts_the_id_as_text(agent):
    token, _key = actions.api_token_create(actor=agent, name="x")
    actions.api_token_revoke(actor=agent, token_id=str(token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked is True


@pytest.mark.parametrize("owner", ["same-company", "other-company"])
def test_nobody_revokes_another_users_token(agent, make_user, org_tree, owner):
    if owner == "same-company":
        holder = make_user(Role.ADMIN)
    else:
        holder = make_user(Role.ADMIN, company=org_tree["other"])
    token, key = actions.api_token_create(actor=holder, name="theirs")
    with pytest.raises(NotFound) as exc:
        actions.api_token_revoke(actor=agent, token_id=token.pk)
    assert (exc.value.code, exc.value.status) == ("not_found", 404)
    assert ApiToken.objects.get(pk=token.pk).revoked is False
    assert not AuditEntry.objects.filter(action="api_token.revoke").exists()
    assert bearer(key).get("/api/v1/orders").status_code == 200


def test_revoking_twice_or_an_unknown_token_is_not_found(agent):
    token, _key = actions.api_token_create(actor=agent, name="x")
    actions.api_token_revoke(actor=agent, token_id=token.pk)
    with pytest.raises(NotFound):
        actions.api_token_revoke(actor=agent, token_id=token.pk)
    with pytest.raises(NotFound):
        actions.api_token_revoke(actor=agent, token_id=token.pk + 1000)
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_revoking_a_token_id_that_is_not_a_number_is_not_found(agent):
    with pytest.raises(NotFound):
        actions.api_token_revoke(actor=agent, token_id="abc")


def test_a_deactivated_users_token_stops_working(agent):
    _token, key = actions.api_token_create(actor=agent, name="x")
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert bearer(key).get("/api/v1/orders").status_code == 401
