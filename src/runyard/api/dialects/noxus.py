"""Noxus: ``GET /v1/runs`` (seed 004) and the run calls of ``noxus-sdk``.

This module holds the run lists, one run, stopping and searching; the workflow calls
are in ``noxus_workflows``, a run's event stream (``Run.wait``) in ``noxus_events``,
what runyard does not keep in ``noxus_unserved``, the words and shapes in
``noxus_render``. The SDK's ``runs.list`` sends both ``page_size`` and ``size``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from runyard.api.dialects import base, noxus_events, noxus_unserved, noxus_workflows, schemas
from runyard.api.dialects.noxus_render import ERRORS, PrincipalDep, run
from runyard.api.render import JSONResponse
from runyard.core.errors import InvalidInput, NotFound
from runyard.core.query import RunQuery
from runyard.service.access import Principal

__all__ = ["build", "run"]  # ``run`` renders a run for the dashboard's vendor views too

DEFAULT_SIZE = 50
# What runyard's search reads, in Noxus's words: the run id, the input, and "other" run
# text (the headers' JSON, the workflow's parameter keys). It never reads outputs.
SEARCHED = frozenset({"input", "other", "run_id"})


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


class SearchIn(BaseModel):
    """What ``runs.search`` sends."""

    model_config = ConfigDict(extra="forbid")
    query: Annotated[str, Field(min_length=1, max_length=500)]
    limit: Annotated[int, Field(ge=1, le=100)] = 10
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    exact: bool = True
    search_in: list[Literal["input", "output", "other", "run_id"]] | None = None


@router.post("/v1/runs/search", summary="Search runs", response_model=schemas.NoxusRunSearchPage)
def search_runs(request: Request, who: PrincipalDep, body: SearchIn) -> JSONResponse:
    """runyard's search: the term as a case-insensitive substring of a run's id, input
    or other text, newest first. A narrower or fuzzier search is refused, not widened."""
    if not body.exact:
        raise InvalidInput.field(
            ("body", "exact"), "runyard matches the exact term only (any case); send true"
        )
    if body.search_in is not None and set(body.search_in) != SEARCHED:
        raise InvalidInput.field(
            ("body", "search_in"),
            "runyard searches run ids, inputs and other run text together and never "
            'outputs: leave search_in out or send ["input", "other", "run_id"]',
        )
    services = base.services(request)
    query = RunQuery(
        project_id=who.project_id, search=body.query, limit=body.limit, offset=body.offset
    )
    found = services.runs.page(query)
    context = services.workflows.of_runs(who, found.runs, with_counts=True)
    return JSONResponse(
        {
            "items": [run(r, context) for r in found.runs],
            "limit": body.limit,
            "offset": body.offset,
            "has_more": found.has_more,
        }
    )


def build() -> FastAPI:
    whole = APIRouter()
    for part in (router, noxus_workflows.router, noxus_events.router, noxus_unserved.router):
        whole.include_router(part)
    app = base.compat_app("Noxus", whole, base.detail_envelope, ERRORS, base.DETAIL_SCHEMA)
    app.router.routes.append(noxus_unserved.catch_all())  # last: its path is the widest
    return app
