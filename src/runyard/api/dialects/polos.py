"""Polos: ``GET /api/v1/workflows/runs`` (seed 000) and the execution calls of ``polos-sdk``.

This module holds the list, one execution and cancelling; invoking (one run or a batch)
is in ``polos_invoke``, the words and shapes in ``polos_render``, the caller and the
error envelope in ``polos_access``. Polos's project is runyard's (``X-Project-ID``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Request

from runyard.api.dialects import base, polos_invoke, schemas
from runyard.api.dialects.polos_access import ERROR_SCHEMA, ERRORS, PrincipalDep, envelope
from runyard.api.dialects.polos_render import execution, summary
from runyard.api.render import JSONResponse
from runyard.core.query import RunQuery

__all__ = ["build", "summary"]  # ``summary`` renders a run for the dashboard's vendor views

router = APIRouter()


@router.get(
    "/api/v1/workflows/runs",
    summary="Get workflow runs (executions)",
    response_model=list[schemas.PolosRunSummary],
)
def workflow_runs(
    request: Request,
    who: PrincipalDep,
    workflow_type: Annotated[
        Literal["workflow", "agent", "tool"], Query(description="workflow, agent or tool")
    ] = "workflow",
    workflow_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="default 50")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    start_time: Annotated[str | None, Query(description="RFC 3339, inclusive")] = None,
    end_time: Annotated[str | None, Query(description="RFC 3339, inclusive")] = None,
) -> JSONResponse:
    services = base.services(request)
    workflow_ids: tuple[str, ...] = ()
    if workflow_id is not None:
        found = services.runs.workflow_id_of(who, workflow_id)
        if found is None:
            return JSONResponse([])  # as Polos: a filter that matches nothing
        workflow_ids = (found,)
    query = RunQuery(
        project_id=who.project_id,
        workflow_types=(workflow_type,),
        workflow_ids=workflow_ids,
        created_after=base.timestamp("start_time", start_time),
        created_before=base.inclusive_end(base.timestamp("end_time", end_time)),
        limit=limit,
        offset=offset,
    )
    return JSONResponse([summary(r) for r in services.runs.page(query).runs])


@router.get(
    "/api/v1/executions/{execution_id}",
    summary="Get an execution",
    response_model=schemas.PolosExecution,
)
def get_execution(request: Request, who: PrincipalDep, execution_id: str) -> JSONResponse:
    return JSONResponse(execution(base.services(request).runs.get(who, execution_id)))


@router.post(
    "/api/v1/executions/{execution_id}/cancel",
    summary="Cancel an execution",
    response_model=schemas.PolosExecution,
)
def cancel_execution(request: Request, who: PrincipalDep, execution_id: str) -> JSONResponse:
    return JSONResponse(execution(base.services(request).runs.cancel(who, execution_id)))


def build() -> FastAPI:
    whole = APIRouter()
    whole.include_router(router)  # the static /workflows/runs before /workflows/{id}/run
    whole.include_router(polos_invoke.router)
    return base.compat_app("Polos", whole, envelope, ERRORS, ERROR_SCHEMA)
