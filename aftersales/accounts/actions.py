"""Writes to organisations, users, technicians and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import STATION_ROLES, Role, TokenScope
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
from aftersales.calendars.actions import calendar_load_published_years
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.selectors import as_id
from aftersales.core.validation import Errors, ValidationFailed
from aftersales.orders.service_levels import sla_policies_seed


@transaction.atomic
def company_create(*, actor: User | None, name: str, code: str, hotline: str = "") -> Company:
    errors = Errors()
    if Company.objects.filter(name=name).exists():
        errors.add("name", _("This name is taken."))
    if Company.objects.filter(code=code).exists():
        errors.add("code", _("This code is taken."))
    errors.raise_if_any()
    company = Company.objects.create(name=name, code=code, hotline=hotline)
    audit_record(actor=actor, action="company.create", obj=company, changes={"name": [None, name]})
    # A new company starts with the published holiday schedules and the default service levels.
    calendar_load_published_years(company_id=company.pk, since=timezone.localdate().year - 2)
    sla_policies_seed(company_id=company.pk)
    return company


@transaction.atomic
def region_create(*, actor: User | None, company: Company, name: str, code: str) -> Region:
    if Region.objects.filter(company=company, code=code).exists():
        raise ValidationFailed({"code": _("This code is taken.")})
    region = Region.objects.create(company=company, name=name, code=code)
    audit_record(actor=actor, action="region.create", obj=region, changes={"name": [None, name]})
    return region


@transaction.atomic
def station_create(
    *,
    actor: User | None,
    region: Region,
    name: str,
    code: str,
    address: str = "",
    phone: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Station:
    if Station.objects.filter(company_id=region.company_id, code=code).exists():
        raise ValidationFailed({"code": _("This code is taken.")})
    station = Station.objects.create(
        company=region.company,
        region=region,
        name=name,
        code=code,
        address=address,
        phone=phone,
        latitude=latitude,
        longitude=longitude,
    )
    audit_record(actor=actor, action="station.create", obj=station, changes={"name": [None, name]})
    return station


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    company: Company,
    first_name: str = "",
    last_name: str = "",
    region: Region | None = None,
    station: Station | None = None,
    phone: str = "",
) -> User:
    errors = Errors()
    if role not in Role.values:
        errors.add("role", _("Unknown role."))
    if role in STATION_ROLES and station is None:
        errors.add("station", _("Technicians and station managers belong to a station."))
    if station is not None and station.company_id != company.pk:
        errors.add("station", _("Unknown service station."))
    if region is not None and region.company_id != company.pk:
        errors.add("region", _("Unknown region."))
    elif region is not None and station is not None and region.pk != station.region_id:
        errors.add("region", _("A station's people belong to the station's region."))
    if User.objects.filter(username=username).exists():
        errors.add("username", _("This user name is taken."))
    errors.raise_if_any()
    user = User(
        username=username,
        role=role,
        company=company,
        region=region or (station.region if station else None),
        station=station,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, changes={"role": [None, role]})
    return user


@transaction.atomic
def technician_profile_set(
    *,
    actor: User | None,
    user: User,
    skills: dict[Skill, int],
    home_address: str = "",
    home_latitude: float | None = None,
    home_longitude: float | None = None,
    work_start: dt.time = dt.time(9, 0),
    work_end: dt.time = dt.time(18, 0),
    max_visits_per_day: int = 8,
) -> TechnicianProfile:
    if user.role != Role.TECHNICIAN or user.station is None:
        raise ApplicationError("not_a_technician", _("Only a station's technician has a profile."))
    if work_end <= work_start:
        raise ApplicationError("invalid_hours", _("Work must end after it starts."))
    if any(s.company_id != user.company_id for s in skills):
        raise ApplicationError("unknown_skill", _("Unknown skill."))
    profile, _created = TechnicianProfile.objects.update_or_create(
        user=user,
        defaults={
            "station": user.station,
            "home_address": home_address,
            "home_latitude": home_latitude,
            "home_longitude": home_longitude,
            "work_start": work_start,
            "work_end": work_end,
            "max_visits_per_day": max_visits_per_day,
        },
    )
    TechnicianSkill.objects.filter(technician=profile).delete()
    TechnicianSkill.objects.bulk_create(
        [
            TechnicianSkill(technician=profile, skill=s, level=max(1, min(5, lvl)))
            for s, lvl in skills.items()
        ]
    )
    audit_record(
        actor=actor,
        action="technician.set",
        obj=profile,
        changes={"skills": [None, {s.code: lvl for s, lvl in skills.items()}]},
    )
    return profile


@transaction.atomic
def user_language_set(*, actor: User, language: str) -> User:
    """The person's interface language (the footer's switch), kept for what is written to them
    while they are away (messages)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed({"language": _("Unknown language.")})
    if actor.language != language:
        before = actor.language
        actor.language = language
        actor.save(update_fields=["language"])
        audit_record(
            actor=actor, action="user.language", obj=actor, changes={"language": [before, language]}
        )
    return actor


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    name: str,
    scope: str = "full",
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the key is returned once and only its hash is kept. A `read` token only
    reads; a token with `expires_at` stops working then."""
    errors = Errors()
    if scope not in TokenScope.values:
        errors.add("scope", _("Unknown scope."))
    if expires_at is not None and expires_at <= clock.now():
        errors.add("expires_at", _("The expiry must be in the future."))
    errors.raise_if_any()
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=actor,
        name=((name or "").strip() or "token")[:100],
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        scope=scope,
        expires_at=expires_at,
    )
    audit_record(actor=actor, action="api_token.create", obj=token)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: Any) -> None:
    token = ApiToken.objects.filter(pk=as_id(token_id), user=actor, revoked=False).first()
    if token is None:
        raise NotFound("not_found", _("Not found."))
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(actor=actor, action="api_token.revoke", obj=token)
