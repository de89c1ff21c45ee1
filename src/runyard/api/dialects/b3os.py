"""B3OS: ``GET /v1/workflows/{id}/runs`` (seed 001), in B3OS's response envelope.

B3OS's words: org = project, ``totalCu`` = ``credits_used``, ``isDustTest`` = ``is_test``,
``isSimulation`` = ``dry_run``, ``triggerSource`` = ``trigger_type``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from starlette.responses import Response

from runyard.api.dialects import base, schemas
from runyard.api.render import JSONResponse
from runyard.core import vendor_words
from runyard.core.errors import FieldError, NotFound
from runyard.core.models import RunHead
from runyard.core.query import RunQuery
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal

STATUS = vendor_words.B3OS_STATUS  # core/vendor_words.py: shared with runyard.vendor_import
ERRORS = base.ErrorStatuses(invalid=400)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "data", "message", "requestId"],
    "properties": {
        "code": {"type": "integer"},
        "data": {"type": "null"},
        "message": {"type": "string"},
        "requestId": {"type": "string"},
    },
}


def request_id() -> str:
    return f"req-{uuid.uuid4().hex}"


def wrap(code: int, data: Any, message: str) -> JSONResponse:
    body = {"code": code, "data": data, "message": message, "requestId": request_id()}
    return JSONResponse(body, status_code=code)


def envelope(status: int, detail: str, _code: str, _errors: list[FieldError]) -> Response:
    """Errors travel in the same envelope as answers: ``code`` is the HTTP status."""
    return wrap(status, None, detail)


async def principal(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <runyard API key>")] = None,
) -> Principal:
    secret = base.bearer(authorization)
    if not secret:
        raise base.Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    return await base.authenticate(request, secret)


PrincipalDep = Annotated[Principal, Depends(principal)]


def item(run: RunHead) -> dict[str, Any]:
    return {
        "finishedAt": to_rfc3339(run.finished_at),
        "id": run.id,
        "isDustTest": run.is_test,
        "isSimulation": run.dry_run,
        "sourceRunId": run.source_run_id,
        "startedAt": to_rfc3339(run.started_at),
        "status": STATUS[run.status],
        "totalCu": run.credits_used,
        "triggerSource": run.trigger_type.value,
        "triggeredBy": run.triggered_by,
        "workflowId": run.workflow_id,
        "workflowVersion": run.workflow_version,
    }


router = APIRouter()


@router.get(
    "/v1/workflows/{workflow_id}/runs",
    summary="List all runs for a specific workflow",
    response_model=schemas.B3osRunsResponse,
)
def workflow_runs(
    request: Request,
    who: PrincipalDep,
    workflow_id: str,
    limit: Annotated[int, Query(ge=1, le=100, description="default 20, max 100")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    status: Literal["running", "success", "failure", "waiting", "cancelled"] | None = None,
) -> JSONResponse:
    services = base.services(request)
    found = services.runs.workflow_id_of(who, workflow_id)
    if found is None:
        raise NotFound(f"workflow {workflow_id!r} not found")
    query = RunQuery(
        project_id=who.project_id,
        workflow_ids=(found,),
        statuses=base.statuses_for([status] if status else [], STATUS),
        limit=limit,
        offset=offset,
    )
    page = services.runs.heads(query)
    data = {
        "hasMore": page.has_more,
        "items": [item(r) for r in page.runs],
        "limit": limit,
        "offset": offset,
    }
    return wrap(200, data, "success")


def build() -> FastAPI:
    return base.compat_app("B3OS", router, envelope, ERRORS, ERROR_SCHEMA)
