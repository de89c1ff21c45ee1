"""Native workflow routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from runyard.api import render, schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.core.models import WorkflowType
from runyard.service.inputs import WorkflowIn, WorkflowPatch

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"], route_class=OrjsonRoute)


@router.post(
    "",
    status_code=201,
    summary="Create a workflow, or a new version of the one with that name",
    response_model=schemas.WorkflowOut,
    responses={200: {"description": "A new version of the workflow of that name"}},
)
def create_workflow(
    services: ServicesDep, principal: PrincipalDep, body: WorkflowIn
) -> JSONResponse:
    workflow, created = services.workflows.create_or_version(principal, body)
    return JSONResponse(render.workflow(workflow), status_code=201 if created else 200)


@router.get("", summary="List workflows with run counts", response_model=schemas.WorkflowsOut)
def list_workflows(
    services: ServicesDep,
    principal: PrincipalDep,
    type: Annotated[list[WorkflowType], Query()] = [],  # noqa: B006
) -> JSONResponse:
    found = services.workflows.all(principal, tuple(t.value for t in type))
    return JSONResponse({"items": [render.workflow(w) for w in found]})


@router.get("/{id_or_name}", summary="One workflow", response_model=schemas.WorkflowOut)
def get_workflow(services: ServicesDep, principal: PrincipalDep, id_or_name: str) -> JSONResponse:
    return JSONResponse(render.workflow(services.workflows.get(principal, id_or_name)))


@router.patch(
    "/{id_or_name}",
    summary="Change a workflow (a new version if definition or parameters change)",
    response_model=schemas.WorkflowOut,
)
def patch_workflow(
    services: ServicesDep, principal: PrincipalDep, id_or_name: str, body: WorkflowPatch
) -> JSONResponse:
    return JSONResponse(render.workflow(services.workflows.patch(principal, id_or_name, body)))


@router.delete("/{id_or_name}", status_code=204, summary="Soft-delete a workflow (its runs stay)")
def delete_workflow(services: ServicesDep, principal: PrincipalDep, id_or_name: str) -> Response:
    services.workflows.delete(principal, id_or_name)
    return Response(status_code=204)


@router.delete(
    "/{id_or_name}/parameters/{key}",
    summary="Soft-delete a parameter definition",
    response_model=schemas.WorkflowOut,
)
def delete_parameter(
    services: ServicesDep, principal: PrincipalDep, id_or_name: str, key: str
) -> JSONResponse:
    return JSONResponse(
        render.workflow(services.workflows.delete_parameter(principal, id_or_name, key))
    )
