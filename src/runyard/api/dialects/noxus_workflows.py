"""Noxus's workflow calls: ``workflows.list``, ``workflows.get`` and running a workflow
(``WorkflowDefinition.run``), over the same services as the native API.

A run started here is an ordinary runyard run of the workflow's current version: it is
queued, and a runyard worker serving the workflow executes it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from runyard.api.dialects import base, schemas
from runyard.api.dialects.noxus_render import PrincipalDep, run, runyard_types, workflow
from runyard.api.render import JSONResponse
from runyard.core.errors import InvalidInput
from runyard.service.inputs import TriggerIn

router = APIRouter()


@router.get("/v1/workflows", summary="List workflows", response_model=schemas.NoxusWorkflowPage)
def list_workflows(
    request: Request,
    who: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number")] = 1,
    size: Annotated[int | None, Query(ge=1, le=100, description="Page size (default 10)")] = None,
    page_size: Annotated[int | None, Query(ge=1, le=100, include_in_schema=False)] = None,
    type: Annotated[
        Literal["flow", "handler", "ingestion"] | None, Query(description="Noxus workflow type")
    ] = None,
) -> JSONResponse:
    """A project's live workflows, by name (a project holds tens of them, so they are
    read whole and paged here)."""
    if size is not None and page_size is not None and size != page_size:
        raise InvalidInput.field(("query", "size"), "size and page_size differ; send one")
    per_page = size or page_size or 10
    found = base.services(request).workflows.all(who, runyard_types(type))
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "items": [workflow(w) for w in found[start : start + per_page]],
            "total": len(found),
            "page": page,
            "size": per_page,
            "pages": -(-len(found) // per_page),
        }
    )


@router.get(
    "/v1/workflows/{workflow_id}", summary="Get a workflow", response_model=schemas.NoxusWorkflow
)
def get_workflow(request: Request, who: PrincipalDep, workflow_id: str) -> JSONResponse:
    workflows = base.services(request).workflows
    found = workflows.get(who, workflow_id)
    # ``runs_count`` and ``last_run_at`` come with the project's list (a few kept counts)
    counted = next((w for w in workflows.all(who) if w.id == found.id), found)
    return JSONResponse(workflow(counted))


class RunIn(BaseModel):
    """What ``WorkflowDefinition.run`` sends."""

    model_config = ConfigDict(extra="forbid")
    input: dict[str, Any] = Field(default_factory=dict)
    workflow_version_id: UUID | None = None
    callback_url: Annotated[str, Field(max_length=2000, pattern=r"^https?://")] | None = None


@router.post(
    "/v1/workflows/{workflow_id}/runs", summary="Run a workflow", response_model=schemas.NoxusRun
)
def run_workflow(
    request: Request, who: PrincipalDep, workflow_id: str, body: RunIn
) -> JSONResponse:
    """Queue a run; ``callback_url`` gets runyard's completion callback when it ends."""
    services = base.services(request)
    found = services.workflows.get(who, workflow_id)
    wanted = body.workflow_version_id
    if wanted is not None and str(wanted) != found.version_id:
        raise InvalidInput.field(
            ("body", "workflow_version_id"),
            f"runyard runs a workflow's current version only ({found.version_id})",
        )
    trigger = TriggerIn(input=body.input, webhook_callback_url=body.callback_url)
    made, _ = services.runs.trigger(who, found.id, trigger)
    return JSONResponse(run(made, services.workflows.of_runs(who, [made], with_counts=True)))
