"""The query parameters of ``GET /api/v1/runs`` (and count, stats, export) -> ``RunQuery``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from runyard.api.services import PrincipalDep
from runyard.core.cursors import decode_cursor
from runyard.core.errors import InvalidInput
from runyard.core.models import TriggerType, WorkflowType
from runyard.core.query import (
    COUNT_CAP,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    RunQuery,
    Sort,
    TagFilter,
)
from runyard.core.search_text import MAX_TERM_LENGTH
from runyard.core.statuses import RunStatus
from runyard.core.times import parse_timestamp

PAGING = {"limit", "cursor", "offset", "include_total", "exact_total", "sort"}
EXACT = (
    f"Count every match, however many. By default counting stops after {COUNT_CAP:,}"
    " matches and reports that many, marked as not exact (at least that many)."
)


def reject_unknown(request: Request, allowed: set[str]) -> None:
    """A misspelt parameter is an error, not a silently broader query."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise InvalidInput.field(
            ("query", unknown[0]),
            f"unknown parameter; accepted: {', '.join(sorted(allowed))}",
        )


def query_time(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 query parameter (with an offset), or a 4xx naming it."""
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise InvalidInput.field(("query", name), str(exc)) from None


def _tag(value: str) -> TagFilter:
    try:
        return TagFilter.parse(value)
    except ValueError as exc:
        raise InvalidInput.field(("query", "tag"), str(exc)) from None


async def run_filters(
    request: Request,
    principal: PrincipalDep,
    workflow_id: Annotated[
        list[str], Query(description="Workflow id or name; repeat for several")
    ] = [],  # noqa: B006 - FastAPI copies defaults
    workflow_type: Annotated[list[WorkflowType], Query()] = [],  # noqa: B006
    status: Annotated[list[RunStatus], Query(description="Canonical status; repeatable")] = [],  # noqa: B006
    created_after: Annotated[
        str | None, Query(description="RFC 3339 with offset; inclusive")
    ] = None,
    created_before: Annotated[
        str | None, Query(description="RFC 3339 with offset; exclusive")
    ] = None,
    trigger_type: Annotated[list[TriggerType], Query()] = [],  # noqa: B006
    triggered_by: Annotated[list[str], Query()] = [],  # noqa: B006
    credential_id: Annotated[list[str], Query()] = [],  # noqa: B006
    error_code: Annotated[
        list[str], Query(description="Runs with a step error of this code; repeatable")
    ] = [],  # noqa: B006
    search: Annotated[
        str | None,
        Query(
            max_length=MAX_TERM_LENGTH,
            description="Case-insensitive substring of the run id, input values, "
            "extra_http_headers, or the workflow's parameter keys and descriptions",
        ),
    ] = None,
    parent_run_id: str | None = None,
    root_run_id: str | None = None,
    tag: Annotated[list[str], Query(description="'key' or 'key=value'; repeatable")] = [],  # noqa: B006
    is_test: bool | None = None,
    has_parent: Annotated[
        bool | None, Query(description="false: top-level runs only; true: child runs only")
    ] = None,
    requeued: Annotated[
        bool | None,
        Query(
            description="Qualifies queued runs: true keeps those queued again after a worker "
            "vanished (attempt > 1), false first attempts; other statuses are unaffected"
        ),
    ] = None,
) -> RunQuery:
    """The filters alone (no paging): what count, stats and export take."""
    for name, values in (
        ("triggered_by", triggered_by),
        ("credential_id", credential_id),
        ("error_code", error_code),
        ("workflow_id", workflow_id),
    ):
        if any(not v or len(v) > 200 for v in values):
            raise InvalidInput.field(("query", name), "each value must be 1-200 characters")
    return RunQuery(
        project_id=principal.project_id,
        workflow_ids=tuple(workflow_id),
        workflow_types=tuple(t.value for t in workflow_type),
        statuses=tuple(status),
        created_after=query_time("created_after", created_after),
        created_before=query_time("created_before", created_before),
        trigger_types=tuple(t.value for t in trigger_type),
        triggered_by=tuple(triggered_by),
        credential_ids=tuple(credential_id),
        error_codes=tuple(error_code),
        search=search if search else None,
        parent_run_id=parent_run_id,
        root_run_id=root_run_id,
        tags=tuple(_tag(t) for t in tag),
        is_test=is_test,
        has_parent=has_parent,
        requeued=requeued,
    )


FILTERS = {
    "workflow_id", "workflow_type", "status", "created_after", "created_before",
    "trigger_type", "triggered_by", "credential_id", "error_code", "search",
    "parent_run_id", "root_run_id", "tag", "is_test", "has_parent", "requeued",
}  # fmt: skip

FilterDep = Annotated[RunQuery, Depends(run_filters)]


async def run_query(
    request: Request,
    filters: FilterDep,
    sort: Annotated[
        str, Query(description="created_at, started_at, finished_at or duration; '-x' or 'x:desc'")
    ] = "-created_at",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    include_total: Annotated[
        bool, Query(description="Also count the matches: total and total_exact")
    ] = False,
    exact_total: Annotated[bool, Query(description=EXACT)] = False,
) -> RunQuery:
    reject_unknown(request, FILTERS | PAGING)
    try:
        order = Sort.parse(sort)
    except ValueError as exc:
        raise InvalidInput.field(("query", "sort"), str(exc)) from None
    query = replace(
        filters,
        sort=order,
        limit=limit,
        offset=offset,
        include_total=include_total,
        exact_total=exact_total,
    )
    if cursor:
        query = replace(query, after=decode_cursor(query, cursor))
    return query


QueryDep = Annotated[RunQuery, Depends(run_query)]
