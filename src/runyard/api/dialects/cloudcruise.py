"""CloudCruise: ``GET /runs`` (seed 003) and every run and workflow call of the
``cloudcruise`` SDK, wired together by ``build``.

CloudCruise's words: session = run, workspace = project, ``permissioned_user_id`` (a vault
credential) = ``credential_id``; ``execution.requeued`` is a queued run on a later attempt.
This module holds the run list and the calls about one run; the others are in
``cloudcruise_workflows`` (workflows, starting a run), ``cloudcruise_events`` (the run
stream) and ``cloudcruise_unserved`` (what runyard does not keep), their shapes in
``cloudcruise_wire``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request

from runyard.api.dialects import (
    base,
    cloudcruise_events,
    cloudcruise_unserved,
    cloudcruise_workflows,
    schemas,
)
from runyard.api.dialects.cloudcruise_wire import (
    ERROR_SCHEMA,
    ERRORS,
    QUEUED,
    REQUEUED,
    STATUS,
    WORDS,
    PrincipalDep,
    envelope,
    result,
    summary,
)
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, InvalidInput
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus

__all__ = ["build", "summary"]  # the dashboard shows a run as this dialect renders it
DEFAULT_WINDOW = timedelta(hours=24)
MAX_AGE = timedelta(days=365)


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
    routes = APIRouter()  # a new one per application: including a router copies its routes
    for part in (
        router,
        cloudcruise_workflows.router,
        cloudcruise_events.router,
        cloudcruise_unserved.router,
    ):
        routes.include_router(part)
    return base.compat_app("CloudCruise", routes, envelope, ERRORS, ERROR_SCHEMA)
