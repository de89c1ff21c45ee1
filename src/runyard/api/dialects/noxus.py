"""Noxus: ``GET /v1/runs`` (seed 004) and the run calls of ``noxus-sdk``.

Noxus's words: group = project, ``source`` = ``trigger_type``; each run embeds its
workflow. The SDK's ``runs.list`` sends both ``page_size`` and ``size``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request

from runyard.api.dialects import base, schemas
from runyard.api.render import JSONResponse
from runyard.core.errors import InvalidInput, NotFound
from runyard.core.models import Run, Workflow
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal
from runyard.service.workflows import WorkflowsOfRuns

S = RunStatus
STATUS: dict[RunStatus, str] = {
    S.CREATED: "queued",
    S.QUEUED: "queued",
    S.RUNNING: "running",
    S.WAITING: "running",
    S.PAUSED: "running",
    S.CANCELING: "running",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELED: "stopped",
    S.TERMINATED: "stopped",
    S.TIMED_OUT: "failed",
}
ERRORS = base.ErrorStatuses(invalid=422)
DEFAULT_SIZE = 50


async def principal(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="Your runyard API key")] = None,
) -> Principal:
    if not x_api_key:
        raise base.Unauthenticated("missing API key: send it in the X-API-Key header")
    return await base.authenticate(request, x_api_key)


PrincipalDep = Annotated[Principal, Depends(principal)]


def workflow(w: Workflow) -> dict[str, Any]:
    return {
        "id": w.id,
        "group_id": w.project_id,
        "name": w.title or w.name,
        "type": w.type.value,
        "definition": w.definition,
        "last_updated_at": to_rfc3339(w.modified_at),
        "last_run_at": to_rfc3339(w.last_run_at),
        "created_at": to_rfc3339(w.created_at),
        "deleted_at": to_rfc3339(w.deleted_at),
        "runs_count": w.runs_count,
        "author_name": None,
        "description": w.description,
        "saved": True,
        "error_handler": w.error_handler_id,
    }


def run(r: Run, context: WorkflowsOfRuns | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": r.id,
        "group_id": r.project_id,
        "workflow_id": r.workflow_id,
        "input": r.input,
        "node_ids": r.node_ids,
        "status": STATUS[r.status],
        "progress": r.progress,
        "definitions": {},
        "created_at": to_rfc3339(r.created_at),
        "finished_at": to_rfc3339(r.finished_at),
        "source": r.trigger_type.value,
        "output": base.json_dict(r.result) if r.result is not None else None,
    }
    if context is not None:
        body["workflow"] = workflow(context.of(r))
    return body


def size_of(size: int | None, page_size: int | None) -> int:
    if size is not None and page_size is not None and size != page_size:
        raise InvalidInput.field(("query", "size"), "size and page_size differ; send one")
    return size or page_size or DEFAULT_SIZE


router = APIRouter()
PageNo = Annotated[int, Query(ge=1, description="Page number")]
Size = Annotated[int | None, Query(ge=1, le=100, description="Page size (default 50)")]


def _paginated(request: Request, who: Principal, query: RunQuery, page: int) -> JSONResponse:
    services = base.services(request)
    found = services.runs.page(query)
    context = services.workflows.of_runs(who, found.runs, with_counts=True)
    total = found.total.value if found.total else 0
    return JSONResponse(
        {
            "items": [run(r, context) for r in found.runs],
            "total": total,
            "page": page,
            "size": query.limit,
            "pages": -(-total // query.limit),
        }
    )


def _query(who: Principal, page: int, size: int, **filters: Any) -> RunQuery:
    return RunQuery(
        project_id=who.project_id,
        limit=size,
        offset=base.paged_offset(page, size),
        include_total=True,
        exact_total=True,  # Noxus clients page until ``pages``: a bound would cut them short
        **filters,
    )


@router.get("/v1/runs", summary="Get Paginated Runs", response_model=schemas.NoxusRunPage)
def runs(
    request: Request,
    who: PrincipalDep,
    page: PageNo = 1,
    size: Size = None,
    page_size: Annotated[int | None, Query(ge=1, le=100, include_in_schema=False)] = None,
) -> JSONResponse:
    return _paginated(request, who, _query(who, page, size_of(size, page_size)), page)


@router.get(
    "/v1/workflows/{workflow_id}/runs",
    summary="Get a workflow's runs",
    response_model=schemas.NoxusRunPage,
)
def workflow_runs(
    request: Request,
    who: PrincipalDep,
    workflow_id: str,
    page: PageNo = 1,
    size: Size = None,
    page_size: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> JSONResponse:
    found = base.services(request).runs.workflow_id_of(who, workflow_id)
    if found is None:
        raise NotFound(f"workflow {workflow_id} not found")
    query = _query(who, page, size_of(size, page_size), workflow_ids=(found,))
    return _paginated(request, who, query, page)


@router.get(
    "/v1/workflows/{workflow_id}/runs/{run_id}",
    summary="Get a run",
    response_model=schemas.NoxusRun,
)
def get_run(request: Request, who: PrincipalDep, workflow_id: str, run_id: str) -> JSONResponse:
    services = base.services(request)
    found = services.runs.get(who, run_id)
    if services.runs.workflow_id_of(who, workflow_id) != found.workflow_id:
        raise NotFound(f"run {run_id} is not a run of workflow {workflow_id}")
    return JSONResponse(run(found, services.workflows.of_runs(who, [found], with_counts=True)))


@router.post("/v1/runs/{run_id}/stop", summary="Stop a run", response_model=schemas.NoxusRun)
def stop_run(request: Request, who: PrincipalDep, run_id: str) -> JSONResponse:
    return JSONResponse(run(base.services(request).runs.cancel(who, run_id)))


def build() -> FastAPI:
    return base.compat_app("Noxus", router, base.detail_envelope, ERRORS, base.DETAIL_SCHEMA)
