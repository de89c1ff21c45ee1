"""The query parameters of ``GET /api/v1/runs`` (and count, stats, export) -> ``RunQuery``.

The filters' parameters are built from the table of filters (``core/filters.py``): its
names, types, help and limits are the OpenAPI document's, and its reading makes the
``RunQuery``. The paging parameters are this module's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from runyard.api.services import PrincipalDep
from runyard.core.cursors import decode_cursor
from runyard.core.errors import InvalidInput
from runyard.core.filters import FILTERS, NAMES, Filter, Kind, query_fields
from runyard.core.query import COUNT_CAP, DEFAULT_LIMIT, MAX_LIMIT, RunQuery, Sort
from runyard.service.access import Principal

PAGING = {"limit", "cursor", "offset", "include_total", "exact_total", "sort"}
EXACT = (
    f"Count every match, however many. By default counting stops after {COUNT_CAP:,}"
    " matches and reports that many, marked as not exact (at least that many)."
)


def reject_unknown(request: Request, allowed: AbstractSet[str]) -> None:
    """A misspelt parameter is an error, not a silently broader query."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise InvalidInput.field(
            ("query", unknown[0]),
            f"unknown parameter; accepted: {', '.join(sorted(allowed))}",
        )


def _parameter(f: Filter) -> inspect.Parameter:
    """A filter as a FastAPI query parameter: a repeatable one is a list."""
    value: Any = f.choices or (bool if f.kind is Kind.FLAG else str)
    # A search term's length is documented; a list's values are checked as the table reads them.
    limit = f.max_len if f.kind is Kind.SEARCH else None
    query = Query(description=f.help, max_length=limit)
    annotation: Any = Annotated[list[value], query] if f.many else Annotated[value | None, query]
    default: list[str] | None = [] if f.many else None
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(f.name, keyword, annotation=annotation, default=default)


def _texts(value: object) -> list[str]:
    """A parameter's value as the table reads it: text, as it came in the URL."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


class FilterParameters:
    """The dependency ``run_filters``: its signature is the table, its result the filters
    alone (no paging), what count, stats and export take."""

    def __init__(self) -> None:
        principal = inspect.Parameter(
            "principal", inspect.Parameter.KEYWORD_ONLY, annotation=PrincipalDep
        )
        self.__signature__ = inspect.Signature([principal, *map(_parameter, FILTERS)])

    async def __call__(self, principal: Principal, **values: object) -> RunQuery:
        fields = query_fields({name: _texts(v) for name, v in values.items()})
        return RunQuery(project_id=principal.project_id, **fields)


run_filters = FilterParameters()
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
    reject_unknown(request, NAMES | PAGING)
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
