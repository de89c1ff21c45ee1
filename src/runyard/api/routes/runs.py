"""Native run routes: thin translations onto ``RunService``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import StreamingResponse

from runyard.api import render, schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.run_params import EXACT, FilterDep, QueryDep, reject_unknown
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.core.cursors import encode_cursor
from runyard.core.durations import parse_duration
from runyard.core.filters import NAMES
from runyard.core.models import Run
from runyard.core.times import to_rfc3339
from runyard.service.bulk import BulkAction
from runyard.service.inputs import ImportIn, RunPatch, StepIn, TriggerIn

router = APIRouter(prefix="/api/v1", tags=["runs"], route_class=OrjsonRoute)


@router.get("/runs", summary="Find runs", response_model=schemas.RunPageOut)
def list_runs(services: ServicesDep, query: QueryDep) -> JSONResponse:
    page = services.runs.page(query)
    next_cursor = encode_cursor(query, page.last) if page.has_more and page.last else None
    return JSONResponse(
        {
            "items": [render.run(r) for r in page.runs],
            "next_cursor": next_cursor,
            "has_more": page.has_more,
            "total": page.total.value if page.total else None,
            "total_exact": page.total.exact if page.total else None,
        }
    )


@router.get(
    "/runs/count", summary="Count runs matching the filters", response_model=schemas.CountOut
)
def count_runs(
    request: Request,
    services: ServicesDep,
    filters: FilterDep,
    exact: Annotated[bool, Query(description=EXACT)] = False,
) -> JSONResponse:
    reject_unknown(request, NAMES | {"exact"})
    counted = services.runs.count(filters, exact=exact)
    return JSONResponse({"count": counted.value, "exact": counted.exact})


BUCKETS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400, "1w": 604800}


@router.get("/runs/stats", summary="Runs over time, by status", response_model=schemas.StatsOut)
def run_stats(
    request: Request,
    services: ServicesDep,
    filters: FilterDep,
    bucket: Annotated[
        Literal["1m", "5m", "15m", "1h", "6h", "1d", "1w"], Query(description="bucket width")
    ] = "1h",
) -> JSONResponse:
    reject_unknown(request, NAMES | {"bucket"})
    buckets = services.runs.stats(filters, BUCKETS[bucket])
    totals: dict[str, int] = {}
    for b in buckets:
        for status, n in b.counts.items():
            totals[status] = totals.get(status, 0) + n
    return JSONResponse(
        {
            "bucket": bucket,
            "totals": totals,
            "buckets": [{"start": to_rfc3339(b.start), "counts": b.counts} for b in buckets],
        }
    )


CSV_COLUMNS = (
    "id",
    "workflow_id",
    "workflow_name",
    "workflow_version",
    "status",
    "attempt",
    "trigger_type",
    "triggered_by",
    "credential_id",
    "parent_run_id",
    "root_run_id",
    "is_test",
    "progress",
    "credits_used",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "duration_seconds",
    "input",
    "tags",
)


def csv_rows(runs: Iterator[Run]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for n, run in enumerate(runs, 1):
        data = render.run(run)
        writer.writerow(
            orjson.dumps(data[c]).decode() if isinstance(data[c], dict) else data[c]
            for c in CSV_COLUMNS
        )
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_rows(runs: Iterator[Run]) -> Iterator[bytes]:
    for run in runs:
        yield orjson.dumps(render.run(run)) + b"\n"


@router.get(
    "/runs/export",
    summary="Every run matching the filters, streamed",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One run per line (jsonl), or a header row and one row per run (csv)",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_runs(
    request: Request,
    services: ServicesDep,
    filters: FilterDep,
    format: Literal["csv", "jsonl"] = "jsonl",
) -> StreamingResponse:
    reject_unknown(request, NAMES | {"format"})
    runs = services.runs.export(filters)
    if format == "csv":
        return StreamingResponse(
            csv_rows(runs),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="runs.csv"'},
        )
    return StreamingResponse(
        jsonl_rows(runs),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="runs.jsonl"'},
    )


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: BulkAction = Field(description="cancel: every live run; retry: every finished run")
    dry_run: bool = Field(False, description="only count the runs the action would apply to")


@router.post(
    "/runs/bulk",
    summary="Cancel or retry every run matching the filters",
    response_model=schemas.BulkOut,
)
def bulk_action(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    filters: FilterDep,
    body: BulkIn,
) -> JSONResponse:
    reject_unknown(request, NAMES)
    bulk = services.bulk
    result = (bulk.count if body.dry_run else bulk.apply)(principal, filters, body.action)
    return JSONResponse(
        {
            "action": result.action.value,
            "dry_run": result.dry_run,
            "matched": result.matched,
            "applied": result.applied,
            "skipped": result.skipped,
        }
    )


class PruneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    older_than: str = Field(description="Age of the runs to delete, e.g. 90d, 12h, 2w")
    dry_run: bool = Field(False, description="only count the runs that would be deleted")
    limit: int = Field(10_000, ge=1, le=100_000, description="most runs deleted by this call")

    @field_validator("older_than")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


@router.post(
    "/runs/prune",
    summary="Delete ended runs older than an age (admin)",
    response_model=schemas.PruneOut,
)
def prune_runs(services: ServicesDep, principal: PrincipalDep, body: PruneIn) -> JSONResponse:
    """Deletes in short transactions (1,000 runs; 200 on SQLite) up to ``limit`` runs,
    oldest first; ``more`` says whether older runs remain. Live runs are never deleted."""
    age = parse_duration(body.older_than)
    retention = services.retention
    done = (
        retention.count(principal, age)
        if body.dry_run
        else retention.prune(principal, age, body.limit)
    )
    return JSONResponse(
        {
            "cutoff": to_rfc3339(done.cutoff),
            "dry_run": body.dry_run,
            "matched": done.matched,
            "deleted": done.deleted,
            "more": done.more,
        }
    )


@router.post(
    "/runs/import",
    summary="Import up to 1,000 complete run records",
    response_model=schemas.ImportOut,
)
def import_runs(services: ServicesDep, principal: PrincipalDep, body: ImportIn) -> JSONResponse:
    result = services.runs.import_runs(principal, body)
    return JSONResponse({"imported": result.imported, "skipped": result.skipped})


@router.post(
    "/workflows/{id_or_name}/runs",
    status_code=201,
    summary="Trigger a run",
    response_model=schemas.RunOut,
    responses={200: {"description": "The run an earlier request with this Idempotency-Key made"}},
)
def trigger_run(
    services: ServicesDep,
    principal: PrincipalDep,
    id_or_name: str,
    body: TriggerIn,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    run, created = services.runs.trigger(principal, id_or_name, body, idempotency_key)
    return JSONResponse(render.run(run), status_code=201 if created else 200)


@router.get("/runs/{run_id}", summary="One run with its steps", response_model=schemas.RunOut)
def get_run(services: ServicesDep, principal: PrincipalDep, run_id: str) -> JSONResponse:
    return JSONResponse(render.run(services.runs.get(principal, run_id)))


@router.patch(
    "/runs/{run_id}",
    summary="Report a run's status, result, error, progress",
    response_model=schemas.RunOut,
)
def patch_run(
    services: ServicesDep, principal: PrincipalDep, run_id: str, body: RunPatch
) -> JSONResponse:
    return JSONResponse(render.run(services.runs.report(principal, run_id, body)))


@router.post(
    "/runs/{run_id}/steps",
    status_code=201,
    summary="Report a step",
    response_model=schemas.StepOut,
)
def add_step(
    services: ServicesDep, principal: PrincipalDep, run_id: str, body: StepIn
) -> JSONResponse:
    return JSONResponse(render.step(services.runs.add_step(principal, run_id, body)), 201)


def _action(name: str) -> Any:
    def act(services: ServicesDep, principal: PrincipalDep, run_id: str) -> JSONResponse:
        run = getattr(services.runs, name)(principal, run_id)
        return JSONResponse(render.run(run))

    act.__name__ = f"{name}_run"
    return act


@router.post(
    "/runs/{run_id}/retry",
    status_code=201,
    summary="Retry a finished run as a new run",
    response_model=schemas.RunOut,
)
def retry_run(
    services: ServicesDep,
    principal: PrincipalDep,
    run_id: str,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    return JSONResponse(render.run(services.runs.retry(principal, run_id, idempotency_key)), 201)


for _name, _summary in (
    ("cancel", "Cancel a run (at once, or via canceling while it executes)"),
    ("terminate", "End a run at once, executing or not"),
    ("pause", "Pause a run"),
    ("resume", "Resume a paused run"),
):
    router.add_api_route(
        f"/runs/{{run_id}}/{_name}",
        _action(_name),
        methods=["POST"],
        summary=_summary,
        response_model=schemas.RunOut,
    )
