"""Health: 200 once the server is ready (migrated, bootstrapped) and the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from runyard.api.render import JSONResponse
from runyard.api.services import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Ready and able to reach the database")
def healthz(services: ServicesDep) -> JSONResponse:
    try:
        with services.db.read() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means not ready
        return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})
