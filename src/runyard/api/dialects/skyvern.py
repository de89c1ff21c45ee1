"""Skyvern: ``GET /v1/workflows/runs`` and friends (seed 002), as the ``skyvern`` SDK calls them.

Skyvern's words: organization = project, ``workflow_permanent_id`` = workflow id,
``workflow_id`` = the id of the workflow version a run ran, task = step.

This module holds the run lists (all runs, a workflow's runs) and ``build()``; runs by id
and the newer run list are in ``skyvern_runs``, starting and retrying runs in
``skyvern_start``, a run's timeline in ``skyvern_timeline``, workflows in
``skyvern_workflows``, what runyard does not keep in ``skyvern_unsupported``, the
vendor's words in ``skyvern_words`` and its key and error statuses in ``skyvern_access``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request

from runyard.api.dialects import (
    base,
    schemas,
    skyvern_runs,
    skyvern_start,
    skyvern_timeline,
    skyvern_unsupported,
    skyvern_workflows,
)
from runyard.api.dialects.skyvern_access import ERRORS, PrincipalDep
from runyard.api.dialects.skyvern_words import STATUS, TRIGGER
from runyard.api.render import JSONResponse
from runyard.core.errors import InvalidInput
from runyard.core.filters import read_search
from runyard.core.models import Run
from runyard.core.query import RunQuery, TagFilter
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal
from runyard.service.workflows import WorkflowsOfRuns

__all__ = ["STATUS", "build", "workflow_run"]  # the dashboard's vendor views render runs too

MAX_TAG_TERMS = 20


# -- requests -> RunQuery ----------------------------------------------------------------


def tag_filters(raw: list[str]) -> tuple[TagFilter, ...]:
    """``env:prod`` (a value), ``env:*`` (any value); AND across keys, OR within one key."""
    terms = base.list_values("tags", raw)
    if len(terms) > MAX_TAG_TERMS:
        raise InvalidInput.field(("query", "tags"), f"at most {MAX_TAG_TERMS} terms")
    by_key: dict[str, set[str] | None] = {}
    for term in terms:
        key, sep, value = term.partition(":")
        if not sep or not key or not value:
            raise InvalidInput.field(
                ("query", "tags"),
                f"{term!r}: runyard tags are key:value pairs; use 'key:value' or 'key:*'",
            )
        if value == "*":
            by_key[key] = None
        elif by_key.get(key, set()) is not None:
            by_key.setdefault(key, set()).add(value)  # type: ignore[union-attr]
    return tuple(
        TagFilter(key, tuple(sorted(values or ()))) for key, values in sorted(by_key.items())
    )


def list_query(
    principal: Principal,
    page: int,
    page_size: int,
    status: list[str] | None,
    search_key: str | None,
    error_code: str | None,
    **narrower: Any,
) -> RunQuery:
    if page_size > 1000:
        raise InvalidInput.field(("query", "page_size"), "at most 1000 runs per page")
    return RunQuery(
        project_id=principal.project_id,
        statuses=base.statuses_for(status or (), STATUS),
        search=read_search("search_key", search_key),
        error_codes=(error_code,) if error_code else (),
        limit=page_size,
        offset=base.paged_offset(page, page_size),
        **narrower,
    )


# -- runs -> Skyvern JSON ---------------------------------------------------------------------


def workflow_run(run: Run, context: WorkflowsOfRuns) -> dict[str, Any]:
    """A ``WorkflowRun`` with every key of the seed, unknown ones null."""
    workflow = context.of(run)
    return {
        "workflow_run_id": run.id,
        "workflow_id": context.version_id(run),
        "workflow_permanent_id": run.workflow_id,
        "organization_id": run.project_id,
        "browser_session_id": None,
        "browser_profile_id": None,
        "debug_session_id": None,
        "status": STATUS[run.status],
        "extra_http_headers": run.extra_http_headers,
        "cdp_connect_headers": None,
        "proxy_location": None,
        "webhook_callback_url": run.webhook_callback_url,
        "webhook_failure_reason": None,
        "totp_verification_url": None,
        "totp_identifier": None,
        "failure_reason": run.failure_reason or run.error,
        "failure_category": run.failure_category,
        "parent_workflow_run_id": run.parent_run_id,
        "workflow_title": workflow.title,
        "max_screenshot_scrolls": None,
        "max_elapsed_time_minutes": None,
        "browser_address": None,
        "run_with": None,
        "script_run": None,
        "job_id": None,
        "depends_on_workflow_run_id": run.depends_on_run_id,
        "sequential_key": None,
        "ai_fallback": None,
        "code_gen": None,
        "trigger_type": TRIGGER[run.trigger_type],
        "workflow_schedule_id": None,
        "ignore_inherited_workflow_system_prompt": False,
        "copilot_session_id": None,
        "credits_used": round(run.credits_used),
        "cached_credits_used": 0,
        "queued_at": to_rfc3339(run.queued_at),
        "started_at": to_rfc3339(run.started_at),
        "finished_at": to_rfc3339(run.finished_at),
        "created_at": to_rfc3339(run.created_at),
        "modified_at": to_rfc3339(run.modified_at),
    }


# -- routes ---------------------------------------------------------------------------------

router = APIRouter()

Page = Annotated[int, Query(ge=1, description="Page number for pagination.")]
PageSize = Annotated[int, Query(ge=1, description="Number of runs to return per page.")]
Status = Annotated[
    list[str] | None, Query(description="Filter by one or more run statuses (repeat the key).")
]
SearchKey = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Case-insensitive substring of the run id, the workflow's parameter keys "
        "and descriptions, input values, or extra HTTP headers.",
    ),
]
ErrorCode = Annotated[str | None, Query(max_length=500, description="Exact step error code.")]


def _page(request: Request, who: Principal, query: RunQuery) -> JSONResponse:
    services = base.services(request)
    runs = services.runs.page(query).runs
    context = services.workflows.of_runs(who, runs)
    return JSONResponse([workflow_run(r, context) for r in runs])


def all_runs(
    request: Request,
    who: PrincipalDep,
    page: Page = 1,
    page_size: PageSize = 10,
    status: Status = None,
    search_key: SearchKey = None,
    error_code: ErrorCode = None,
) -> JSONResponse:
    """Runs of every workflow of the organization, newest first; child runs left out."""
    query = list_query(who, page, page_size, status, search_key, error_code, has_parent=False)
    return _page(request, who, query)


def runs_of_workflow(
    request: Request,
    who: PrincipalDep,
    workflow_id: Annotated[str, Path(description="workflow_permanent_id, or runyard name")],
    page: Page = 1,
    page_size: PageSize = 10,
    status: Status = None,
    search_key: SearchKey = None,
    error_code: ErrorCode = None,
    created_at_start: Annotated[str | None, Query(description="At or after (ISO 8601)")] = None,
    created_at_end: Annotated[str | None, Query(description="Strictly before (ISO 8601)")] = None,
    tags: Annotated[
        list[str] | None, Query(description="key:value or key:*; repeat or comma-separate")
    ] = None,
    include_child_runs: bool = False,
) -> JSONResponse:
    """Runs of one workflow (its permanent id, or runyard name), newest first."""
    found = base.services(request).runs.workflow_id_of(who, workflow_id)
    if found is None:
        return JSONResponse([])
    query = list_query(
        who,
        page,
        page_size,
        status,
        search_key,
        error_code,
        workflow_ids=(found,),
        created_after=base.timestamp("created_at_start", created_at_start),
        created_before=base.timestamp("created_at_end", created_at_end),
        tags=tag_filters(tags or []),
        has_parent=None if include_child_runs else False,
    )
    return _page(request, who, query)


for path in ("/v1/agents/runs", "/v1/workflows/runs", "/api/v1/workflows/runs"):
    for suffix in ("", "/"):
        router.add_api_route(
            path + suffix,
            all_runs,
            methods=["GET"],
            summary="Get all runs",
            response_model=list[schemas.SkyvernWorkflowRun],
            include_in_schema=not suffix,
        )
for path in ("/v1/agents/{workflow_id}/runs", "/v1/workflows/{workflow_id}/runs"):
    for suffix in ("", "/"):
        router.add_api_route(
            path + suffix,
            runs_of_workflow,
            methods=["GET"],
            summary="Get all runs by agent",
            response_model=list[schemas.SkyvernWorkflowRun],
            include_in_schema=not suffix,
        )


def build() -> FastAPI:
    """The lists first: ``/v1/agents/runs`` must win over ``/v1/agents/{workflow_permanent_id}``."""
    routers = APIRouter()
    for part in (
        router,
        skyvern_runs.router,
        skyvern_start.router,
        skyvern_timeline.router,
        skyvern_workflows.router,
        skyvern_unsupported.router,
    ):
        routers.include_router(part)
    return base.compat_app("Skyvern", routers, base.detail_envelope, ERRORS, base.DETAIL_SCHEMA)
