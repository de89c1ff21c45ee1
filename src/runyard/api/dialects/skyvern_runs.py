"""Skyvern's calls about runs by id, and its newer run list, over ``RunService``.

``get_run`` (``GET /v1/runs/{id}``), ``cancel_run``, ``bulk_cancel_runs`` (``POST
/v1/runs/cancel``) and ``get_runs_v2`` (``GET /v1/runs``, Skyvern's run-history list:
top-level runs, newest first, ``TaskRunListItem`` bodies).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from runyard.api.dialects import base, schemas
from runyard.api.dialects.skyvern_access import PrincipalDep
from runyard.api.dialects.skyvern_words import (
    STATUS,
    TRIGGER,
    WORKFLOW_RUN,
    only_workflow_runs,
    trigger_types_for,
)
from runyard.api.render import JSONResponse
from runyard.core.filters import read_search
from runyard.core.models import Run
from runyard.core.query import RunQuery
from runyard.core.times import to_rfc3339
from runyard.service.workflows import WorkflowsOfRuns

MAX_BULK = 100  # Skyvern's own limit on one bulk cancel


def run_request(run: Run) -> dict[str, Any]:
    """What started the run, as Skyvern echoes it (``WorkflowRunRequest``)."""
    return {
        "workflow_id": run.workflow_id,
        "parameters": run.input,
        "webhook_url": run.webhook_callback_url,
        "extra_http_headers": run.extra_http_headers,
        "run_metadata": run.tags or None,
    }


def run_response(run: Run) -> dict[str, Any]:
    """The ``workflow_run`` member of Skyvern's run union: what ``get_run``,
    ``run_workflow`` and ``retry_workflow_run`` answer."""
    output = run.result if isinstance(run.result, dict | list | str) else None
    if output is None and run.result is not None:
        output = {"value": run.result}
    errors = [
        {**e.extra, "error_code": e.error_code, "message": e.message, "step": s.name}
        for s in run.steps or ()
        for e in s.errors
    ]
    return {
        "run_type": WORKFLOW_RUN,
        "run_id": run.id,
        "status": STATUS[run.status],
        "output": output,
        "failure_reason": run.failure_reason or run.error,
        "created_at": to_rfc3339(run.created_at),
        "modified_at": to_rfc3339(run.modified_at),
        "queued_at": to_rfc3339(run.queued_at),
        "started_at": to_rfc3339(run.started_at),
        "finished_at": to_rfc3339(run.finished_at),
        "errors": errors,
        "step_count": len(run.steps or ()),
        "run_request": run_request(run),
    }


def list_item(run: Run, context: WorkflowsOfRuns) -> dict[str, Any]:
    """A ``TaskRunListItem``, with the attempt fields Skyvern's server adds."""
    workflow = context.of(run)
    return {
        "task_run_id": run.id,
        "run_id": run.id,
        "task_run_type": WORKFLOW_RUN,
        "status": STATUS[run.status],
        "title": workflow.title,
        "started_at": to_rfc3339(run.started_at),
        "finished_at": to_rfc3339(run.finished_at),
        "created_at": to_rfc3339(run.created_at),
        "workflow_permanent_id": run.workflow_id,
        "workflow_deleted": workflow.deleted_at is not None,
        "script_run": False,
        "trigger_type": TRIGGER[run.trigger_type],
        "attempt": run.attempt,
        "retry_pending": False,
        "next_attempt_at": None,
    }


router = APIRouter()


@router.get("/v1/runs/{run_id}", summary="Get a run", response_model=schemas.SkyvernRunResponse)
def get_run(request: Request, who: PrincipalDep, run_id: str) -> JSONResponse:
    return JSONResponse(run_response(base.services(request).runs.get(who, run_id)))


@router.post("/v1/runs/{run_id}/cancel", summary="Cancel a run")
def cancel_run(request: Request, who: PrincipalDep, run_id: str) -> Response:
    base.services(request).runs.cancel(who, run_id)
    return Response(orjson.dumps(None), media_type="application/json")


class BulkCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run_ids: list[Annotated[str, Field(max_length=200)]] = Field(max_length=MAX_BULK)


@router.post(
    "/v1/runs/cancel", summary="Bulk cancel runs", response_model=schemas.SkyvernBulkCancel
)
def bulk_cancel_runs(request: Request, who: PrincipalDep, body: BulkCancelIn) -> JSONResponse:
    """Cancel in one transaction; a run that is unknown, another project's or already
    ended is in ``failed``, as Skyvern lists the runs it could not cancel."""
    wanted = list(dict.fromkeys(body.run_ids))
    done = set(base.services(request).runs.cancel_many(who, wanted))
    return JSONResponse(
        {
            "cancelled": [r for r in wanted if r in done],
            "failed": [r for r in wanted if r not in done],
        }
    )


@router.get("/v1/runs", summary="List runs", response_model=list[schemas.SkyvernRunListItem])
def get_runs_v2(
    request: Request,
    who: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100, description="Page number (at most 100)")] = 1,
    page_size: Annotated[int, Query(ge=1, le=100, description="Runs per page (1-100)")] = 10,
    status: Annotated[list[str] | None, Query(description="Run statuses (repeat the key)")] = None,
    search_key: Annotated[
        str | None,
        Query(min_length=3, max_length=500, description="Substring of the run id or its input"),
    ] = None,
    run_type: Annotated[
        list[str] | None, Query(description="Run types; runyard's runs are all workflow_run")
    ] = None,
    workflow_permanent_id: Annotated[
        list[str] | None, Query(max_length=50, description="Runs of these workflows")
    ] = None,
    trigger_type: Annotated[
        list[str] | None, Query(description="manual, api, scheduled or webhook (runyard's own)")
    ] = None,
) -> JSONResponse:
    """Top-level runs of every workflow, newest first."""
    services = base.services(request)
    statuses = base.statuses_for(status or (), STATUS)
    triggers = trigger_types_for(trigger_type or ())
    if not only_workflow_runs(run_type or ()):
        return JSONResponse([])
    workflow_ids: tuple[str, ...] = ()
    if workflow_permanent_id:
        found = services.runs.workflow_ids_of(who, workflow_permanent_id)
        if not found:
            return JSONResponse([])
        workflow_ids = tuple(sorted(set(found.values())))
    query = RunQuery(
        project_id=who.project_id,
        workflow_ids=workflow_ids,
        statuses=statuses,
        search=read_search("search_key", search_key),
        trigger_types=triggers,
        has_parent=False,
        limit=page_size,
        offset=base.paged_offset(page, page_size),
    )
    runs = services.runs.page(query).runs
    context = services.workflows.of_runs(who, runs)
    return JSONResponse([list_item(r, context) for r in runs])
