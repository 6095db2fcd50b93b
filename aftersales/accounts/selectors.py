"""Scope: which rows a user may see. Station people see their station, regional staff their
region, everyone else the whole company. Every list and lookup goes through here."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from aftersales.accounts.choices import STATION_ROLES, Role
from aftersales.accounts.models import Region, Station, User

M = TypeVar("M", bound=Model)


def scope(
    user: Any,
    qs: QuerySet[M],
    *,
    company_field: str = "company",
    region_field: str | None = "region",
    station_field: str | None = "station",
) -> QuerySet[M]:
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return qs.none()
    qs = qs.filter(**{f"{company_field}_id": user.company_id})
    if user.role in STATION_ROLES or user.station_id:
        if not user.station_id or station_field is None:
            return qs.none()
        return qs.filter(**{f"{station_field}_id": user.station_id})
    if user.region_id:
        if region_field is None:
            return qs.none()
        return qs.filter(**{f"{region_field}_id": user.region_id})
    return qs


def in_scope(
    user: Any,
    row: Model,
    *,
    company_field: str = "company",
    region_field: str | None = "region",
    station_field: str | None = "station",
) -> bool:
    """`scope` judged on one loaded row, without a query: True when `scope(user, …)` would
    hold it. For a row just read (under lock) from the database; the fields are direct ones."""
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return False
    if getattr(row, f"{company_field}_id") != user.company_id:
        return False
    if user.role in STATION_ROLES or user.station_id:
        if not user.station_id or station_field is None:
            return False
        return bool(getattr(row, f"{station_field}_id") == user.station_id)
    if user.region_id:
        if region_field is None:
            return False
        return bool(getattr(row, f"{region_field}_id") == user.region_id)
    return True


def stations_visible_to(user: Any) -> QuerySet[Station]:
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return Station.objects.none()
    qs = Station.objects.filter(company_id=user.company_id)
    if user.role in STATION_ROLES or user.station_id:
        return qs.filter(id=user.station_id) if user.station_id else qs.none()
    if user.region_id:
        return qs.filter(region_id=user.region_id)
    return qs


def regions_visible_to(user: Any) -> QuerySet[Region]:
    """The company's regions; regional and station people see their own region."""
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return Region.objects.none()
    qs = Region.objects.filter(company_id=user.company_id)
    if user.role in STATION_ROLES or user.station_id:
        if not user.station_id:
            return qs.none()
        return qs.filter(stations__id=user.station_id)
    if user.region_id:
        return qs.filter(id=user.region_id)
    return qs


def technicians_visible_to(user: Any) -> QuerySet[User]:
    """The technicians of the stations the user sees."""
    return User.objects.filter(
        role=Role.TECHNICIAN, station__in=stations_visible_to(user).values("pk")
    )
