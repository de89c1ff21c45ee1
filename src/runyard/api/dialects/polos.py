"""Polos: ``GET /api/v1/workflows/runs`` (seed 000) and the execution calls of ``polos-sdk``.

Polos's words: execution = run, ``workflow_id`` = the workflow's name (a slug such as
``invoice-agent``), ``payload`` = input, project = project (named by ``X-Project-ID``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from runyard.api.dialects import base, schemas
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, Forbidden, InvalidInput, Unauthenticated
from runyard.core.ids import canonical_uuid
from runyard.core.models import Run
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn

S = RunStatus
STATUS: dict[RunStatus, str] = {
    S.CREATED: "queued",
    S.QUEUED: "queued",
    S.RUNNING: "running",
    S.WAITING: "waiting",
    S.PAUSED: "waiting",
    S.CANCELING: "pending_cancel",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
    S.CANCELED: "cancelled",
    S.TERMINATED: "cancelled",
    S.TIMED_OUT: "failed",
}
ERRORS = base.ErrorStatuses(invalid=400)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "error_type"],
    "properties": {"error": {"type": "string"}, "error_type": {"type": "string"}},
}
ERROR_TYPES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "PROJECT_ACCESS_FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
}
COOKIES = ("polos_auth", "auth_token")


def envelope(status: int, detail: str, _code: str, _errors: list[FieldError]) -> Response:
    error_type = ERROR_TYPES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    return JSONResponse({"error": detail, "error_type": error_type}, status_code=status)


async def principal(
    request: Request,
    x_project_id: Annotated[str | None, Header(description="Project UUID (required)")] = None,
    project_id: Annotated[str | None, Header(include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    polos_auth: Annotated[str | None, Cookie(include_in_schema=False)] = None,
    auth_token: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> Principal:
    """Polos's order: the project header first (400 if missing or not a UUID), then the
    cookie, then ``Authorization: Bearer``; a key of another project gets 403."""
    project = x_project_id or project_id
    if not project or canonical_uuid(project) is None:
        raise InvalidInput.field(("header", "X-Project-ID"), "required, and must be a UUID")
    secret = polos_auth or auth_token or base.bearer(authorization)
    if not secret:
        raise Unauthenticated("Not authenticated")
    try:
        return await base.authenticate(request, secret, project)
    except Forbidden:
        raise Forbidden("Access to project forbidden") from None


PrincipalDep = Annotated[Principal, Depends(principal)]


# -- runs -> Polos JSON --------------------------------------------------------------------


def summary(run: Run) -> dict[str, Any]:
    """A ``WorkflowRunSummary``: every key, nulls included."""
    return {
        "id": run.id,
        "root_execution_id": run.root_run_id,
        "workflow_id": run.workflow_name,
        "session_id": run.session_id,
        "created_at": to_rfc3339(run.created_at),
        "status": STATUS[run.status],
        "completed_at": to_rfc3339(run.finished_at),
        "payload": run.input,
        "result": run.result,
        "error": run.error,
    }


def execution(run: Run) -> dict[str, Any]:
    """``GET /api/v1/executions/{id}``: what ``ExecutionHandle.get`` reads, and more."""
    return {
        **summary(run),
        "parent_execution_id": run.parent_run_id,
        "root_workflow_id": None,
        "output_schema_name": None,  # the SDK imports a class of this name when it is set
        "step_key": None,
        "started_at": to_rfc3339(run.started_at),
        "attempt": run.attempt,
    }


# -- routes ---------------------------------------------------------------------------------

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


class InvokeIn(BaseModel):
    """The body ``PolosClient.invoke`` sends; options runyard has no use for are accepted."""

    model_config = ConfigDict(extra="allow")
    payload: dict[str, Any] | None = None
    session_id: str | None = None
    user_id: str | None = None


@router.post(
    "/api/v1/workflows/{workflow_id}/run",
    summary="Invoke a workflow",
    response_model=schemas.PolosInvoked,
)
def invoke(
    request: Request,
    who: PrincipalDep,
    workflow_id: str,
    body: InvokeIn,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    trigger = TriggerIn(
        input=body.payload or {},
        session_id=body.session_id,
        triggered_by=body.user_id,
    )
    run, _ = base.services(request).runs.trigger(who, workflow_id, trigger, idempotency_key)
    return JSONResponse({"execution_id": run.id, "created_at": to_rfc3339(run.created_at)})


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
    return base.compat_app("Polos", router, envelope, ERRORS, ERROR_SCHEMA)
