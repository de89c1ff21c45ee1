"""Health: 200 once the server is ready (migrated, bootstrapped) and the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from runyard.api import schemas
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Ready and able to reach the database",
    response_model=schemas.HealthOut,
    responses={503: {"description": "The database cannot be reached", "model": schemas.HealthOut}},
)
def healthz(services: ServicesDep) -> JSONResponse:
    try:
        services.db.ping()
    except Exception as exc:  # any database failure means not ready
        return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics (needs the server-admin key)",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(services: ServicesDep, principal: PrincipalDep) -> Response:
    principal.require_server_admin()
    return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
