"""Cron schedules of workflows."""

from __future__ import annotations

from fastapi import APIRouter

from runyard.api import render, schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.service.schedules import ScheduleIn

router = APIRouter(prefix="/api/v1", tags=["schedules"], route_class=OrjsonRoute)


@router.post(
    "/workflows/{id_or_name}/schedules",
    status_code=201,
    summary="Run a workflow on a cron schedule (in a time zone)",
    response_model=schemas.ScheduleOut,
)
def create_schedule(
    services: ServicesDep, principal: PrincipalDep, id_or_name: str, body: ScheduleIn
) -> JSONResponse:
    schedule = services.schedules.create(principal, id_or_name, body)
    return JSONResponse(render.schedule(schedule), status_code=201)


@router.get("/schedules", summary="The project's schedules", response_model=schemas.SchedulesOut)
def list_schedules(services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse({"items": [render.schedule(s) for s in services.schedules.all(principal)]})


@router.delete("/schedules/{schedule_id}", status_code=204, summary="Delete a schedule")
def delete_schedule(services: ServicesDep, principal: PrincipalDep, schedule_id: str) -> None:
    services.schedules.delete(principal, schedule_id)
