"""/api/v1/regions, /stations, /technicians: the organisation an integrator needs to read
orders and plan work, within the caller's scope, paged like every list (newest first; pass
`after` = the previous page's `next_after`)."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, require
from aftersales.accounts.selectors import (
    regions_visible_to,
    stations_visible_to,
    technicians_visible_to,
)
from aftersales.api.customers import ERRORS
from aftersales.api.types import PageParams
from aftersales.core.selectors import keyset_page

router = Router(tags=["organisation"])


class RegionOut(Schema):
    id: int
    name: str
    code: str


class RegionPage(Schema):
    items: list[RegionOut]
    next_after: int | None


class StationOut(Schema):
    id: int
    name: str
    code: str
    region_id: int
    address: str
    phone: str
    latitude: float | None
    longitude: float | None
    is_active: bool


class StationPage(Schema):
    items: list[StationOut]
    next_after: int | None


class TechnicianOut(Schema):
    id: int
    username: str
    name: str
    station_id: int | None
    is_active: bool
    skills: list[str]


class TechnicianPage(Schema):
    items: list[TechnicianOut]
    next_after: int | None


@router.get("/regions", response={200: RegionPage, **ERRORS})
def region_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    page = keyset_page(regions_visible_to(request.user), after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after}


@router.get("/stations", response={200: StationPage, **ERRORS})
def station_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    require(request.user, Perm.ORDER_VIEW)
    page = keyset_page(stations_visible_to(request.user), after=params.after, size=params.limit)
    return {"items": page.items, "next_after": page.next_after}


@router.get("/technicians", response={200: TechnicianPage, **ERRORS})
def technician_list(request: AuthedRequest, params: Query[PageParams]) -> Any:
    """Technicians of the stations the caller sees, with their skill codes."""
    require(request.user, Perm.ORDER_VIEW)
    qs = technicians_visible_to(request.user).select_related("technician")
    page = keyset_page(
        qs.prefetch_related("technician__skills"), after=params.after, size=params.limit
    )
    return {"items": [_technician(user) for user in page.items], "next_after": page.next_after}


def _technician(user: Any) -> dict[str, Any]:
    profile = getattr(user, "technician", None)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "station_id": user.station_id,
        "is_active": user.is_active and (profile is None or profile.is_active),
        "skills": sorted(s.code for s in profile.skills.all()) if profile is not None else [],
    }
