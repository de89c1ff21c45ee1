"""CloudCruise: ``GET /runs`` (seed 003) and the run calls of the ``cloudcruise`` SDK.

CloudCruise's words: session = run, workspace = project, ``permissioned_user_id`` (a vault
credential) = ``credential_id``; ``execution.requeued`` is a queued run on a later attempt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from starlette.responses import Response

from runyard.api.dialects import base, schemas
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput
from runyard.core.models import Run, RunHead
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal

S = RunStatus
# A queued run renders as execution.requeued from its second attempt on (see ``word``).
STATUS: dict[RunStatus, str] = {
    S.CREATED: "execution.queued",
    S.QUEUED: "execution.queued",
    S.RUNNING: "execution.start",
    S.WAITING: "execution.paused",
    S.PAUSED: "execution.paused",
    S.CANCELING: "execution.start",
    S.COMPLETED: "execution.success",
    S.FAILED: "execution.failed",
    S.CANCELED: "execution.stopped",
    S.TERMINATED: "execution.stopped",
    S.TIMED_OUT: "execution.failed",
}
QUEUED, REQUEUED = "execution.queued", "execution.requeued"
WORDS = sorted({*STATUS.values(), REQUEUED})
ERRORS = base.ErrorStatuses(invalid=400)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
DEFAULT_WINDOW = timedelta(hours=24)
MAX_AGE = timedelta(days=365)


def word(run: RunHead) -> str:
    if run.status is RunStatus.QUEUED and run.attempt > 1:
        return REQUEUED
    return STATUS[run.status]


def envelope(status: int, detail: str, _code: str, _errors: list[FieldError]) -> Response:
    """``{"message": ...}`` with a JSON content type: what the SDK reads errors from."""
    return JSONResponse({"message": detail}, status_code=status)


async def principal(
    request: Request,
    cc_key: Annotated[str | None, Header(description="Your runyard API key")] = None,
) -> Principal:
    if not cc_key:
        raise base.Unauthenticated("missing API key: send it in the cc-key header")
    return await base.authenticate(request, cc_key)


PrincipalDep = Annotated[Principal, Depends(principal)]


# -- request -> RunQuery -------------------------------------------------------------------


def status_filter(words: list[str]) -> tuple[tuple[RunStatus, ...], bool | None]:
    """The canonical statuses and the ``requeued`` qualifier of a list of CloudCruise words."""
    for index, w in enumerate(words):
        if w not in WORDS:
            raise InvalidInput(
                f"status: {w!r} is not a status; use one of {', '.join(WORDS)}",
                [FieldError(("query", "statuses", index), f"must be one of {', '.join(WORDS)}")],
            )
    wanted = set(words)
    statuses = {s for s in RunStatus if STATUS[s] in wanted}
    if REQUEUED in wanted:
        statuses.add(RunStatus.QUEUED)
    requeued: bool | None = None
    if QUEUED in wanted and REQUEUED not in wanted:
        requeued = False
    elif REQUEUED in wanted and QUEUED not in wanted:
        requeued = True
    return tuple(s for s in RunStatus if s in statuses), requeued


def window(
    now: datetime, start: datetime | None, end: datetime | None, cursor: datetime | None
) -> tuple[datetime, datetime | None]:
    """``created_after`` and ``created_before`` of the documented time rules."""
    start = start if start is not None else now - DEFAULT_WINDOW
    if start < now - MAX_AGE:
        raise InvalidInput.field(("query", "start_time"), "cannot be older than 1 year")
    if end is not None:
        if end < start:
            raise InvalidInput.field(("query", "end_time"), "must be at or after start_time")
        if end > now:
            raise InvalidInput.field(("query", "end_time"), "cannot be in the future")
    before = base.inclusive_end(end)
    if cursor is not None:  # strictly before the cursor
        before = cursor if before is None else min(before, cursor)
    return start, before


def summary(run: RunHead) -> dict[str, Any]:
    return {
        "session_id": run.id,
        "status": word(run),
        "created_at": to_rfc3339(run.created_at),
        "workflow_id": run.workflow_id,
        "workspace_id": run.project_id,
        "execution_start": to_rfc3339(run.started_at),
        "execution_end": to_rfc3339(run.finished_at),
        "dry_run": run.dry_run,
    }


def result(run: Run) -> dict[str, Any]:
    """``GET /run/{id}``: the fields of the SDK's ``RunResult``."""
    errors = [
        {
            **e.extra,
            "message": e.message,
            "error_code": e.error_code,
            "node_id": step.name,
            "created_at": to_rfc3339(step.finished_at),
        }
        for step in run.steps or ()
        for e in step.errors
    ]
    return {
        **summary(run),
        "input_variables": run.input,
        "data": base.json_dict(run.result),
        "video_urls": [],
        "file_urls": [],
        "screenshot_urls": [],
        "errors": errors or None,
        "permissioned_user_id": run.credential_id,
    }


# -- routes ---------------------------------------------------------------------------------

router = APIRouter()
Many = Annotated[list[str], Query(description="repeat the key or comma-separate")]


@router.get("/runs", summary="List runs", response_model=list[schemas.CloudCruiseRun])
def list_runs(
    request: Request,
    who: PrincipalDep,
    start_time: Annotated[str | None, Query(description="default: 24 hours ago")] = None,
    end_time: Annotated[str | None, Query(description="inclusive; not in the future")] = None,
    workflow_id: Many = [],  # noqa: B006 - FastAPI copies defaults
    status: Many = [],  # noqa: B006
    credential_id: Many = [],  # noqa: B006
    workflow_ids: Many = [],  # noqa: B006
    credential_ids: Many = [],  # noqa: B006
    statuses: Many = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    cursor: Annotated[str | None, Query(description="created_at of the last row")] = None,
) -> JSONResponse:
    services = base.services(request)
    after, before = window(
        services.clock(),
        base.timestamp("start_time", start_time),
        base.timestamp("end_time", end_time),
        base.timestamp("cursor", cursor),
    )
    words = base.list_values("statuses", [*status, *statuses])
    wanted, requeued = status_filter(words)
    refs = base.list_values("workflow_ids", [*workflow_id, *workflow_ids])
    found = services.runs.workflow_ids_of(who, refs)
    ids = tuple(dict.fromkeys(found[r] for r in refs if r in found))
    if (refs and not ids) or (before is not None and before <= after):
        return JSONResponse([])  # no such workflow, or an empty window: nothing matches
    query = RunQuery(
        project_id=who.project_id,
        workflow_ids=ids,
        statuses=wanted,
        requeued=requeued,
        credential_ids=tuple(base.list_values("credential_ids", [*credential_id, *credential_ids])),
        created_after=after,
        created_before=before,
        limit=limit,
    )
    return JSONResponse([summary(r) for r in services.runs.heads(query).runs])


@router.get(
    "/run/{session_id}",
    summary="Get a run's results",
    response_model=schemas.CloudCruiseRunResult,
)
def get_run(request: Request, who: PrincipalDep, session_id: str) -> JSONResponse:
    return JSONResponse(result(base.services(request).runs.get(who, session_id)))


@router.post(
    "/run/{session_id}/interrupt",
    summary="Interrupt a run",
    response_model=schemas.CloudCruiseRun,
)
def interrupt(request: Request, who: PrincipalDep, session_id: str) -> JSONResponse:
    return JSONResponse(summary(base.services(request).runs.cancel(who, session_id)))


def build() -> FastAPI:
    return base.compat_app("CloudCruise", router, envelope, ERRORS, ERROR_SCHEMA)
