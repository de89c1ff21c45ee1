"""Projects and API keys."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from runyard.api import render, schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.service.inputs import KeyIn, ProjectIn

router = APIRouter(prefix="/api/v1", tags=["projects"], route_class=OrjsonRoute)


@router.post(
    "/projects",
    status_code=201,
    summary="Create a project (server admin)",
    response_model=schemas.ProjectOut,
)
def create_project(services: ServicesDep, principal: PrincipalDep, body: ProjectIn) -> JSONResponse:
    return JSONResponse(render.project(services.projects.create(principal, body.name)), 201)


@router.get("/projects", summary="Projects this key can see", response_model=schemas.ProjectsOut)
def list_projects(services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse({"items": [render.project(p) for p in services.projects.all(principal)]})


@router.post(
    "/projects/{project_id}/api-keys",
    status_code=201,
    summary="Create an API key; its secret is shown in this response only",
    response_model=schemas.NewApiKeyOut,
)
def create_key(
    services: ServicesDep, principal: PrincipalDep, project_id: str, body: KeyIn
) -> JSONResponse:
    key, secret = services.projects.create_key(principal, project_id, body.name, body.role)
    return JSONResponse({**render.api_key(key), "key": secret}, 201)


@router.get(
    "/api-keys",
    summary="The project's API keys (never their secrets)",
    response_model=schemas.ApiKeysOut,
)
def list_keys(services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(
        {"items": [render.api_key(k) for k in services.projects.list_keys(principal)]}
    )


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_key(services: ServicesDep, principal: PrincipalDep, key_id: str) -> Response:
    services.projects.revoke_key(principal, key_id)
    return Response(status_code=204)
