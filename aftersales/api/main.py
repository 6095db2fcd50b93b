"""The JSON API, /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI, Schema

from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import ROLE_PERMISSIONS
from aftersales.api import errors
from aftersales.api.auth import AUTH
from aftersales.api.billing import router as billing_router
from aftersales.api.catalog import router as catalog_router
from aftersales.api.customers import router as customers_router
from aftersales.api.dispatch import router as dispatch_router
from aftersales.api.feedback import router as feedback_router
from aftersales.api.fieldwork import router as fieldwork_router
from aftersales.api.imports import router as imports_router
from aftersales.api.knowledge import router as knowledge_router
from aftersales.api.kpi import router as kpi_router
from aftersales.api.maintenance import router as maintenance_router
from aftersales.api.orders import router as orders_router
from aftersales.api.organisation import router as organisation_router
from aftersales.api.parser import InputParser
from aftersales.api.parts import router as parts_router
from aftersales.api.privacy import router as privacy_router
from aftersales.api.reports import router as reports_router
from aftersales.api.spreadsheets import router as spreadsheet_router
from aftersales.api.warranty import router as warranty_router
from aftersales.api.workshop import router as workshop_router

api = NinjaAPI(
    title="Aftersales API",
    version="1",
    description=(
        "After-sales service management. Authenticate with `Authorization: Bearer <token>` "
        "(tokens are created on the web page *API tokens*) or with the web session and its "
        'CSRF token. Errors are `{"code": ..., "message": ...}` with a 4xx status; the '
        "message is in the language of `Accept-Language` (zh-hans or en)."
    ),
    auth=AUTH,
    urls_namespace="api-v1",
)
errors.install(api)
api.parser = InputParser()


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    company_id: int | None
    region_id: int | None
    station_id: int | None
    permissions: list[str]


@api.get("/me", response=MeOut, tags=["accounts"])
def me(request: AuthedRequest) -> Any:
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "role": user.role,
        "company_id": user.company_id,
        "region_id": user.region_id,
        "station_id": user.station_id,
        "permissions": sorted(ROLE_PERMISSIONS.get(user.role, ())),
    }


api.add_router("/", customers_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", spreadsheet_router)
api.add_router("/", orders_router)
api.add_router("/", warranty_router)
api.add_router("/", dispatch_router)
api.add_router("/", parts_router)
api.add_router("/", fieldwork_router)
api.add_router("/", feedback_router)
api.add_router("/", organisation_router)
api.add_router("/", reports_router)
api.add_router("/", kpi_router)
api.add_router("/", maintenance_router)
api.add_router("/", knowledge_router)
api.add_router("/", workshop_router)
api.add_router("/", billing_router)
api.add_router("/", imports_router)
api.add_router("/", privacy_router)
