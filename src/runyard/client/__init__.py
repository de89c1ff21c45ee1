"""A typed Python client for runyard's native API.

    from runyard.client import Client

    with Client("http://127.0.0.1:8000", "ry_...") as runyard:
        run = runyard.trigger("expense-audit", {"customer_id": "CUST-004711"})
        done = runyard.wait(run.id, timeout=600)
        for failed in runyard.iter_runs(status="failed", created_after="2026-11-01T00:00:00Z"):
            print(failed.id, failed.error)

``AsyncClient`` is the same for asyncio. Every error is a ``RunyardError`` (the core
classes, plus those of ``runyard.client.errors``) with the answer's ``status`` and
problem document. This package depends on ``runyard.core`` alone (and httpx, pydantic,
orjson), never on the server's layers.
"""

from runyard.client.aio import AsyncClient
from runyard.client.errors import (
    BadRequest,
    InvalidResponse,
    ServerError,
    ServerUnreachable,
    WaitTimeout,
    error_from_response,
)
from runyard.client.filters import RunFilters, RunListing, RunWalk
from runyard.client.in_process import InProcessTransport
from runyard.client.models import (
    ApiKey,
    Bucket,
    Count,
    ImportResult,
    LogLine,
    LogPage,
    LogReceipt,
    Parameter,
    Project,
    PruneResult,
    Run,
    RunPage,
    Stats,
    Step,
    StepError,
    Workflow,
)
from runyard.client.policy import RetryPolicy
from runyard.client.sync import Client
from runyard.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    LeaseLost,
    NotFound,
    RateLimited,
    RunyardError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from runyard.core.statuses import RunStatus

__all__ = [
    "ApiKey",
    "AsyncClient",
    "BadRequest",
    "Bucket",
    "Client",
    "Conflict",
    "Count",
    "FieldError",
    "Forbidden",
    "IllegalTransition",
    "ImportResult",
    "InProcessTransport",
    "InvalidInput",
    "InvalidResponse",
    "LeaseLost",
    "LogLine",
    "LogPage",
    "LogReceipt",
    "NotFound",
    "Parameter",
    "Project",
    "PruneResult",
    "RateLimited",
    "RetryPolicy",
    "Run",
    "RunFilters",
    "RunListing",
    "RunPage",
    "RunStatus",
    "RunWalk",
    "RunyardError",
    "ServerError",
    "ServerUnreachable",
    "Stats",
    "Step",
    "StepError",
    "TooLarge",
    "Unauthenticated",
    "Unavailable",
    "WaitTimeout",
    "Workflow",
    "error_from_response",
]
